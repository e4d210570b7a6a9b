"""screen.xlsx holds the summaries by default; the eligible rows only when asked for (``--excel-rows``)."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook

from huiqi.batch.screen import screen
from huiqi.batch.synth import generate, write
from huiqi.catalogue import get_policy


def test_the_workbook_has_the_summaries_and_says_where_the_rows_are(tmp_path):
    write(generate(400, seed=7), tmp_path / "reg")
    result = screen(get_policy(), tmp_path / "reg", dt.date(2024, 10, 1), tmp_path / "out")
    wb = load_workbook(tmp_path / "out" / "screen.xlsx")
    assert wb.sheetnames == ["按措施汇总", "按区县汇总", "资金池", "无法使用的行", "说明"]
    note = [r[0] for r in wb["说明"].iter_rows(min_row=2, values_only=True)]
    assert result.eligible > 0 and f"共 {result.eligible:,} 行" in note[0] and "--excel-rows" in note[1]
    assert wb["按措施汇总"].max_row > 1  # the summaries are all there
