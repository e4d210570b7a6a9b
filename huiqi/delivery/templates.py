"""The import templates (projects, lists, progress) as officials need them, written by :mod:`huiqi.exports`.

Why more than a header: an official fills the file in Excel or WPS without the manual at hand. So the first sheet
has the header the import expects, dropdowns for every coded column (districts, stages, statuses, 是/否, the
policy's list kinds and commitment numbers), and one example row marked 【示例】 that the importer skips if it is
left in (:func:`is_example`); the 说明 sheet explains each column (``columns.yaml``: required or not, how to write
it, other names accepted); the 代码表 sheet holds the codes the dropdowns offer, with their names. The projects
export is the same workbook without the example, so an export can be edited and imported back.
"""

from __future__ import annotations

from typing import Any

from huiqi import clock, exports
from huiqi.delivery import fields, policy_or_default

EXAMPLE_MARK = "【示例】"
SHEETS = {"projects": "项目库", "lists": "推介清单", "progress": "督办进展"}
CODE_SHEET, ABOUT_SHEET = "代码表", "说明"
DROPDOWN_ROWS = 2_000
KIND_RULE = {"money": "金额，单位元，最多两位小数；列名写成「（万元）」「（亿元）」时按该单位",
             "date": "日期，如 2025-05-01、2025年5月1日，或 Excel 日期",
             "bool": "填「是」或「否」（可下拉选择）",
             "code": "编号或代码，照原样填写", "text": "文字"}


def is_example(values: dict[str, Any]) -> bool:
    """A row of a template's example (a text cell starting with 【示例】): the importer skips it."""
    return any(isinstance(v, str) and v.strip().startswith(EXAMPLE_MARK) for v in values.values())


def _codes(table: str, policy) -> dict[str, list[tuple[str, str]]]:
    """field → [(value offered, its name or "")] for every coded column of ``table``."""
    from huiqi.standards.divisions import districts

    out: dict[str, list[tuple[str, str]]] = {}
    if table in ("projects", "lists"):
        out["district"] = [(d.code, d.name_zh) for d in districts(include_zones=True)]  # as the pages' forms offer
    if table == "projects":
        from huiqi.delivery import projects

        out["investor_origin"] = [(zh, "") for zh in projects.ORIGINS.values()]
        out["stage"] = [(zh, "") for zh in projects.STAGES.values()]
    if table == "lists":
        from huiqi.delivery import lists

        out["kind"] = [(zh, "") for zh, _ in lists.kinds(policy).values()]
    if table == "progress":
        from huiqi.delivery import commitments
        from huiqi.delivery.importer import COMMITMENT_STATUS_BY_ZH

        out["commitment_id"] = [(s.id, s.sentence) for s in commitments.extract(policy)]
        out["status"] = [(zh, "") for zh in COMMITMENT_STATUS_BY_ZH]
    return out


def _example(table: str, policy, codes: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """One filled row that passes every check (the tests import it with its mark taken off)."""
    from huiqi.standards.divisions import districts

    first = {f: values[0][0] for f, values in codes.items() if values}
    first["district"] = next(d.code for d in districts() if d.level == "county")  # a county, not the whole city
    day = clock.today()
    if table == "projects":
        return {"code": "XM-0001", "name": EXAMPLE_MARK + "智能制造生产线建设项目", "investor": "某某科技有限公司",
                "investor_origin": first["investor_origin"], "district": first["district"],
                "total_investment": exports.yuan(10_000_000_000), "annual_investment": exports.yuan(3_000_000_000),
                "stage": first["stage"], "introduced_on": day, "packaged": False}
    if table == "lists":
        return {"kind": first.get("kind"), "name": EXAMPLE_MARK + "新能源产业园配套项目", "sector": "新能源",
                "district": first["district"], "investment": exports.yuan(50_000_000_000),
                "contact": "张先生 13800000000", "published_on": day}
    return {"commitment_id": first.get("commitment_id"), "status": first["status"],
            "note": EXAMPLE_MARK + "已召开专题会议，制定实施方案"}


def project_row(p) -> list[Any]:
    """A stored project as a row of the projects template (what an official would type): ¥ numbers, Chinese
    choices, 是/否, measure numbers joined by commas — so the export imports back unchanged."""
    from huiqi.delivery import projects

    d = projects.as_dict(p)
    for m in projects.MONEY_FIELDS:
        d[m] = exports.yuan(getattr(p, f"{m}_fen"))
    d["investor_origin"] = projects.ORIGINS[p.investor_origin]
    d["stage"] = projects.STAGES[p.stage]
    d["measures"] = ",".join(d["measures"])
    return [d.get(c["field"]) for c in fields.about("projects")]


def _rule(col: dict[str, Any], offered: list[tuple[str, str]] | None) -> str:
    if offered is not None and col["field"] == "district":
        return f"县（市、区）6位代码或园区9位代码，下拉选择（代码与名称见「{CODE_SHEET}」）"
    if offered is not None and len(offered) > 8:
        return f"下拉选择（可选值见「{CODE_SHEET}」）"
    if offered is not None:
        return "下拉选择：" + "、".join(v for v, _ in offered)
    return KIND_RULE.get(col["kind"], KIND_RULE["text"])


def workbook(table: str, policy=None, rows: list[list[Any]] | None = None, example: bool = True,
             extra: dict[str, int] | None = None) -> bytes:
    """The template of ``table`` (projects, lists, progress) for ``policy`` (default: the default policy), with
    ``rows`` under the header (an export) and the example row unless ``example`` is False. ``extra``: read-only
    columns inserted for people ({header: position from 0}), which the importer ignores."""
    policy = policy_or_default(policy)
    cols = fields.about(table)
    codes = _codes(table, policy)
    headers = [c["header"] for c in cols]
    for header, at in sorted((extra or {}).items(), key=lambda kv: kv[1]):
        headers.insert(at, header)
    position = {c["field"]: headers.index(c["header"]) + 1 for c in cols}
    wb = exports.new_workbook()
    ex = _example(table, policy, codes) if example else None
    body = ([[ex.get(c["field"]) for c in cols]] if ex else []) + list(rows or [])
    if ex and extra:
        for header, at in sorted(extra.items(), key=lambda kv: kv[1]):
            body[0].insert(at, None)
    ws, _ = exports.write_sheet(wb, SHEETS[table], headers, body)
    if ex:
        exports.mark_example(ws, 2, len(headers))
    # the code lists, each in two columns (value, name), and the dropdowns that use them
    code_ws = exports.new_sheet(wb, CODE_SHEET)
    col = 1
    for c in cols:
        offered = codes.get(c["field"])
        prompt = (c["help"] + ("（必填）" if c["required"] else ""))
        if c["kind"] == "bool":
            exports.dropdown(ws, position[c["field"]], f'"{exports.YES},{exports.NO}"', last_row=DROPDOWN_ROWS,
                             prompt=prompt, title=c["header"])
            continue
        if offered is None:
            continue
        exports.code_list(code_ws, col, c["header"], "名称" if any(n for _, n in offered) else "", offered)
        exports.dropdown(ws, position[c["field"]], exports.code_range(CODE_SHEET, col, len(offered)),
                         last_row=DROPDOWN_ROWS, prompt=prompt, title=c["header"])
        col += 3
    about = [[c["header"], "是" if c["required"] else "否", _rule(c, codes.get(c["field"])), c["help"],
              "、".join(c["other_names"])] for c in cols]
    notes = [[], ["填写须知"], [f"第2行为示例（以「{EXAMPLE_MARK}」开头），导入时自动跳过，可保留也可删除。" if example else
                               "本表可直接修改后重新导入。"],
             ["列的顺序可以调整，列名也可用「也可写作」中的名称；表头上方可以有标题行。"],
             ["有误的行会单独列出行号和原因，其余行照常导入。"]]
    exports.write_sheet(wb, ABOUT_SHEET, ["列名", "必填", "填写要求", "说明", "也可写作"], about + notes,
                        widths={1: 28, 3: 48, 4: 48, 5: 40}, autofilter=False)
    wb.move_sheet(CODE_SHEET, offset=1)  # the data, 说明, then 代码表
    return exports.to_bytes(wb)
