"""Schemathesis over the OpenAPI document: generated requests to every operation, no server error."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from huiqi.api.app import create_app  # noqa: E402
from huiqi.storage.db import Database  # noqa: E402
from huiqi.workflow.demo import seed  # noqa: E402


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/fuzz.db")
    db.create_all()
    seed(db)
    return create_app(db)


def test_no_server_errors(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    count = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case):
            nonlocal count
            count += 1
            response = case.call()
            if response.status_code >= 500:
                failures.append((operation.label, case.body, response.status_code, response.text[:200]))

        check()
    assert count > 500
    assert not failures, failures[:3]
