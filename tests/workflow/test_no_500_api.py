"""No request to the API can produce a 500 (issue 13): schemathesis over every operation of the OpenAPI
document the app serves at run time, as each role, on SQLite and PostgreSQL.

Each operation gets requests within its schema (they reach the workflow's own refusals) and outside it
(wrong types, missing fields, hostile strings). An operation on an application is sent once with the generated
id and once with a real one of the demo's (draft, under review, in 公示), so approvals, publications, objections
and uploads run against real records. The requests are generated once, reproducibly (a fixed seed per
operation), then replayed with each role's bearer token on each database: generating is the slow part.
"""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from sqlalchemy import select

from huiqi.api.app import create_app
from huiqi.storage.db import Database
from huiqi.storage.models import Application, User
from huiqi.workflow import accounts
from huiqi.workflow.demo import seed

# one demo account per role; None: no credentials at all
ROLES = {"anonymous": None, "applicant": "ent-demo", "reviewer": "rev-gongxin", "finance": "fin-demo", "admin": "admin"}
EXAMPLES = 6  # per operation and kind of input (within / outside the schema)


def generate(schema, examples: int = EXAMPLES) -> list:
    """``examples`` valid and ``examples`` invalid requests per operation, the same on every run."""
    cases = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @fixed_seed(zlib.crc32(f"{operation.label} {mode.value}".encode()))
            @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def keep(case):
                cases.append(case)

            try:
                keep()
            except Unsatisfiable:  # nothing to send outside the schema (an operation without parameters)
                assert mode is GenerationMode.NEGATIVE
    return cases


def server_errors(app, cases: list, headers: dict, real_ids: dict) -> list[str]:
    """Send every case to ``app`` (with a real id too where its path names one); what answered 5xx or raised."""
    failures = []
    with asgi.get_client(app) as client:
        for n, case in enumerate(cases):
            variants = [dict(case.path_parameters or {})]
            for name, ids in real_ids.items():
                if name in variants[0] and ids:
                    variants.append({**variants[0], name: ids[n % len(ids)]})
            for path in variants:
                case.path_parameters = path
                try:
                    case.call_and_validate(app=app, session=client, headers=headers, checks=[not_a_server_error])
                except Exception as exc:  # a 5xx, or an exception out of the app: recorded, the run goes on
                    failures.append(f"{case.operation.label} {path} {case.query} {case.body!r:.200}: {exc!s:.800}")
            case.path_parameters = variants[0]
    return failures


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """The requests, generated from the OpenAPI document of a throwaway app (the document needs no data)."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('openapi')}/doc.db")
    db.create_all()
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(db))
    found = generate(schema)
    operations = {c.operation.label for c in found}
    assert len(operations) >= 30 and len(operations) == len(list(schema.get_all_operations()))  # every operation
    return found


@pytest.fixture
def site(db):
    """The real app on the demo data, a bearer token per role and the ids of the demo's applications."""
    seed(db, if_empty=False)
    tokens = {}
    with db.transaction() as s:
        for role, username in ROLES.items():
            if username:
                user = s.execute(select(User).where(User.username == username)).scalar_one()
                tokens[role] = {"Authorization": "Bearer " + accounts.new_token(s, user, "fuzz")}
        app_ids = list(s.execute(select(Application.id).order_by(Application.id)).scalars())
    assert len(app_ids) >= 3
    return create_app(db), tokens, {"app_id": app_ids, "measure_id": ["m07", "m30"]}


def test_no_operation_answers_a_server_error_as_any_role(site, cases):
    app, tokens, real_ids = site
    failures = []
    for role in ROLES:
        failures += [f"[{role}] {f}" for f in server_errors(app, cases, tokens.get(role, {}), real_ids)]
    assert not failures, "\n".join(failures[:5]) + f"\n… {len(failures)} in all"


def test_the_run_reports_a_server_error():
    """The replay fails on a 500 (it can fail): a document whose one operation breaks on some inputs."""
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int, q: str = ""):
        if item_id == 7 or len(q) > 3:
            raise RuntimeError("broken")
        return {"id": item_id}

    found = generate(schemathesis.openapi.from_asgi("/openapi.json", app), examples=20)
    failures = server_errors(app, found, {}, {"item_id": [7]})
    assert failures and all("GET /items/{item_id}" in f for f in failures)
    assert any("'item_id': 7" in f for f in failures)
