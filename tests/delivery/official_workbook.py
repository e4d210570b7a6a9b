"""A project list as a bureau official actually keeps it (issue 14): a notes sheet first, then the list under a
title row 「2024年重大项目清单」, a two-row merged header, Chinese dates, amounts in 万元 and 亿元, 外省 and 在建,
√, full-width county codes and a 合计 row. Built here so the tests need no binary fixture."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook

EXPECTED = {  # code → (total fen, annual fen, stage, origin, introduced_on, packaged, district)
    "ZD-001": (150_000_000_000, 30_000_000_000, "started", "out_of_province", dt.date(2024, 5, 1), True, "530111"),
    "ZD-002": (20_000_000_000, None, "preparation", "in_province", dt.date(2024, 3, 15), False, "530102"),
    "ZD-003": (123_456_780, 500_000_000, "reserve", "foreign", dt.date(2024, 6, 30), False, "530111"),
    "ZD-004": (300_000_000_000, None, "operating", "out_of_province", dt.date(2024, 1, 8), True, None),
}


def build() -> bytes:
    wb = Workbook()
    notes = wb.active
    notes.title = "填报说明"
    notes.append(["1. 金额单位：万元（另有注明的除外）"])
    notes.append(["2. 日期格式不限，如 2024年5月1日"])
    ws = wb.create_sheet("重大项目")
    ws.append(["2024年重大项目清单"])
    ws.merge_cells("A1:K1")
    ws.append(["序号", "项目编号", "项目名称", "投资主体", "投资来源", "投资额", None, "建设阶段", "引进时间", "是否策划包装", "县区代码"])
    ws.append([None, None, None, None, None, "总投资（万元）", "年度计划投资（万元）", None, None, None, None])
    for col in "ABCDEHIJK":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("F2:G2")
    ws.append([1, "ZD-001", "新能源电池材料项目", "某新能源有限公司", "外省", "150,000", 30000, "在建", "2024年5月1日", "√", "５３０１１１"])
    ws.append([2, "ZD-002", "绿色食品加工项目", "某食品有限公司", "本省", "2亿元", None, "前期", dt.datetime(2024, 3, 15), "×", 530102])
    ws.append([3, "ＺＤ－００３", "生物医药研发项目", "某医药有限公司", "外资", 123.45678, "500", "储备项目", "2024.06.30", "否", "530111"])
    ws.append([4, "ZD-004", "智能装备制造项目", "某装备有限公司", "省外", "30亿", None, "已投产", 45299, "是", None])
    ws.append(["合计", None, None, None, None, "=SUM(F4:F7)", None, None, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
