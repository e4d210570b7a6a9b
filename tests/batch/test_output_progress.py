"""Progress of screen and simulate: a line per stage with its counts when stderr is not a terminal."""

from __future__ import annotations

import datetime as dt
import io
import re

import duckdb

from huiqi.batch.screen import screen
from huiqi.batch.stages import SCREEN_STAGES, Stages, tell, watching
from huiqi.catalogue import get_policy


def test_a_log_gets_one_line_per_stage_and_its_counts(registry, tmp_path):
    log = io.StringIO()
    with Stages(SCREEN_STAGES, stream=log, terminal=False) as tick:
        result = screen(get_policy(), registry, dt.date(2024, 10, 1), tmp_path / "out", excel=False, progress=tick)
    lines = log.getvalue().splitlines()
    assert all(re.match(r"^\[\s*\d+\.\d s\] ", line) for line in lines)
    texts = [line.split("] ", 1)[1] for line in lines]
    assert [t for t in texts if t in SCREEN_STAGES] == list(SCREEN_STAGES)  # each stage begins once, in order
    assert f"校验 checking rows：主体 entities {result.entities:,}，拒绝 rejected {result.rejected:,}" in texts
    assert f"资金池 pools：符合 eligible {result.eligible:,}" in texts
    assert texts[-1] == "完成 done" and not any("%" in t for t in texts)  # no bar redrawn into the log


def test_the_running_query_moves_the_stage_and_a_stage_only_reporter_still_works():
    told: list[tuple] = []

    def reporter(stage, rows=None, percent=None):
        told.append((stage, rows, percent))

    con = duckdb.connect()
    with watching(con, reporter, "筛查 screening", every=0.01):
        con.execute("SELECT count(DISTINCT i % 1000003), sum(hash(i)) FROM range(40000000) t(i)").fetchall()
    assert all(stage == "筛查 screening" and 0 <= percent <= 100 for stage, _, percent in told)
    stages: list[str] = []
    tell(stages.append, "筛查 screening", rows={"结果行 rows": 3})  # the Spark engine's reporter takes the stage only
    tell(stages.append, "筛查 screening", percent=50.0)
    assert stages == ["筛查 screening"]
