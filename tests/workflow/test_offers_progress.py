"""`huiqi offers` reports its stages like `screen`: a line per stage with counts when stderr is a log."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from huiqi.batch.stages import OFFERS_STAGES, Stages
from huiqi.batch.synth import generate, write
from huiqi.workflow import offers

AS_OF = dt.date(2024, 10, 1)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    path = tmp_path_factory.mktemp("registry")
    write(generate(3000, seed=11), path)
    return path


def _texts(log: io.StringIO) -> list[str]:
    lines = log.getvalue().splitlines()
    assert all(re.match(r"^\[\s*\d+\.\d s\] ", line) for line in lines)
    return [line.split("] ", 1)[1] for line in lines]


def test_offers_log_each_stage_and_what_was_created(db, registry):
    log = io.StringIO()
    with Stages(OFFERS_STAGES, stream=log, terminal=False) as tick, db.transaction() as s:
        created = offers.create_from_registry(s, registry, AS_OF, progress=tick)
    texts = _texts(log)
    assert created > 0
    assert [t for t in texts if t in OFFERS_STAGES] == list(OFFERS_STAGES)[:-1]  # the last is told with its counts
    last = [t for t in texts if t.startswith(OFFERS_STAGES[-1])]
    assert last[-1] == f"{OFFERS_STAGES[-1]}：符合 eligible {created:,}，新增 new {created:,}"
    assert texts[-1] == "完成 done"

    log = io.StringIO()  # a second screen of the same registry offers nothing new, and says so
    with Stages(OFFERS_STAGES, stream=log, terminal=False) as tick, db.transaction() as s:
        assert offers.create_from_registry(s, registry, AS_OF, progress=tick) == 0
    assert f"{OFFERS_STAGES[-1]}：符合 eligible {created:,}，新增 new 0" in _texts(log)
