"""docs/registry-columns.md, written from the schema so the reference cannot drift from what the readers accept.

The registry's tables and columns come from :mod:`huiqi.batch.schema` (itself the profile model), their names
from the reader's own specs (:func:`huiqi.batch.inputs._registry_specs`: the schema name, the question's Chinese
and English words, ``registry_columns.yaml``); the delivery imports' from ``huiqi/delivery/columns.yaml``
through :mod:`huiqi.delivery.fields`. ``huiqi docs columns`` writes the file; a test fails when it is stale.
"""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "registry-columns.md"

# the readers' kinds: (类型, type, accepted formats, examples) — the formats are huiqi.parse.values'
KINDS: dict[str, tuple[str, str, str, str]] = {
    "text": ("文本", "text", "任意文字 / any text", "—"),
    "money": ("金额（元）", "money (yuan)",
              "元，最多两位小数；可带 ¥、千分位、单位 元/万元/亿元，表头写「（万元）」时整列按万元换算；不接受科学计数法 / "
              "yuan, at most two decimals; ¥, thousands separators and 元/万元/亿元 accepted, a 「（万元）」 header "
              "scales the column; no exponents",
              "`1200000`、`1,200,000.00`、`120万元`、`¥1200000`"),
    "ratio": ("比例", "ratio", "小数（0.35 即 35%）/ a decimal fraction", "`0.35`"),
    "date": ("日期", "date",
             "年-月-日的常见写法、Excel 日期单元格或序列号 / the usual year-month-day forms, Excel date cells or "
             "serial numbers", "`2025-05-01`、`2025/5/1`、`2025.05.01`、`2025年5月1日`、`20250501`"),
    "bool": ("是/否", "yes/no", "是/否、√/×、✓/✗、Y/N、yes/no、true/false、1/0、有/无", "`是`、`√`、`Y`"),
    "int": ("整数", "whole number", "整数，可用全角数字 / a whole number, full-width digits accepted", "`25`"),
    "enum": ("选项", "choice", "代码、中文名称或同义词（见下表）/ the code, its Chinese word or a synonym (below)", "—"),
    "choice": ("选项", "choice", "中文名称或同义词（见下表）/ the Chinese word or a synonym (below)", "—"),
    "code": ("编码", "code", "全角字母数字转为半角，去掉空格 / full-width made half-width, spaces removed", "`A-001`"),
    "credit_code": ("统一社会信用代码", "credit code",
                    "18 位，GB 32100 校验位须正确；全角、空格可容忍 / 18 characters with a valid GB 32100 check character",
                    "—"),
    "district": ("行政区划代码", "district code", "6 位县（市、区）代码（GB/T 2260）/ a six-digit county code", "—"),
    "industry": ("行业代码", "industry code", "国民经济行业分类代码（GB/T 4754-2017）/ a GB/T 4754-2017 class",
                 "`I6510`"),
    "provision_id": ("条款编号", "provision id", "政策条款编号（见 huiqi measures show）/ a provision's id", "—"),
}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ") if text not in (None, "") else "—"


def _limits(col) -> str:
    parts = []
    if col.minimum is not None:
        parts.append(f"≥ {col.minimum}")
    if col.maximum is not None:
        parts.append(f"≤ {col.maximum}")
    if col.max_length is not None:
        parts.append(f"≤ {col.max_length} 字 chars")
    if col.default not in (None, "", (), []):
        parts.append(f"空缺时 default `{col.default}`")
    return "；".join(parts)


def _kinds_table(kinds: list[str]) -> list[str]:
    lines = ["| 类型 | type | 接受的写法 accepted | 示例 examples |", "| --- | --- | --- | --- |"]
    for k in kinds:
        zh, en, formats, example = KINDS[k]
        lines.append(f"| {zh} | {en} | {formats} | {example} |")
    return lines


def _registry() -> list[str]:
    from huiqi.batch.inputs import _extra, _registry_specs, _sheet_names
    from huiqi.batch.schema import all_tables, table_columns
    from huiqi.profile.questions import fact_label, fact_value

    tables = all_tables()
    specs, sheets, extra = _registry_specs(tables), _sheet_names(tables), _extra()
    used = sorted({c.kind for t in tables for c in table_columns(t)}, key=list(KINDS).index)
    out = ["## 登记册 The registry (`huiqi screen`, `huiqi simulate`, `huiqi offers`)", "",
           "一个文件夹（每表一个 Parquet/CSV 文件）或一个 Excel 工作簿（每表一个工作表）。列名可用下列任一名称；"
           "缺少的表视为空表。/ A folder (a Parquet or CSV file per table) or one workbook (a sheet per table); a "
           "column may carry any of its names; an absent table is empty. See [batch.md](batch.md).", "",
           "### 类型 Types", "", *_kinds_table(used), ""]
    for table in tables:
        names = [n for n in dict.fromkeys(sheets[table]) if n]
        out += [f"### `{table}`", "", f"工作表名称 sheet names: `{table}`" + "".join(f"、{n}" for n in names), "",
                "| 列 column | 中文名 Chinese | English | 其他名称 other names | 类型 type | 必填 required | 限制 limits |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        by_field = {s.field: s for s in specs[table]}
        choices: list[str] = []
        for col in table_columns(table):
            key = ("entity." if table == "entities" else "event.") + col.name
            zh, en = (w if (w := fact_label(key, lang)) != col.name else "" for lang in ("zh", "en"))
            others = [n for n in by_field[col.name].names if n not in (col.name, zh, en)]
            kind_zh, kind_en = KINDS[col.kind][:2]
            out.append(f"| `{col.name}` | {_cell(zh)} | {_cell(en)} | {_cell('、'.join(others))} | {kind_zh} {kind_en} "
                       f"| {'是 yes' if col.required else '否 no'} | {_cell(_limits(col))} |")
            if col.kind == "enum":
                words = [f"`{a}` {fact_value(a, 'zh') or ''}".strip()
                         + "".join(f"、{w}" for w in extra["values"].get(a, [])) for a in col.allowed]
                choices.append(f"- `{col.name}`：" + "；".join(words))
        out.append("")
        if choices:
            out += ["选项 choices（代码、中文名称及同义词 code, Chinese word and synonyms）:", "", *choices, ""]
    return out


def _delivery() -> list[str]:
    from huiqi.delivery import fields
    from huiqi.delivery.importer import _choices

    titles = {"projects": "项目库 Projects (`huiqi import projects`)", "lists": "推介清单 Published lists "
              "(`huiqi import lists`)", "progress": "督办任务进展 Commitment progress (`huiqi import progress`)"}
    columns = fields._columns()
    used = sorted({c.get("kind", "text") for t in titles for c in columns[t].values()}, key=list(KINDS).index)
    out = ["## 兑现台账导入 The delivery imports", "",
           "Excel 工作簿或 CSV；第一个名称是模板的表头，也是错误提示中的名称。/ An Excel workbook or CSV; the first "
           "name is the template's header and the one errors show. See [delivery.md](delivery.md).", "",
           "### 类型 Types", "", *_kinds_table(used), ""]
    for table, title in titles.items():
        out += [f"### {title}", "", "| 字段 field | 表头 header | 其他名称 other names | 类型 type | 必填 required | 说明 |",
                "| --- | --- | --- | --- | --- | --- |"]
        choices: list[str] = []
        own = _choices(table)
        for name, col in columns[table].items():
            kind = col.get("kind", "text")
            kind_zh, kind_en = KINDS[kind][:2]
            out.append(f"| `{name}` | {_cell(col['names'][0])} | {_cell('、'.join(col['names'][1:]))} | {kind_zh} {kind_en} "
                       f"| {'是 yes' if col.get('required') else '否 no'} | {_cell(col.get('help'))} |")
            if kind == "choice":
                values = list(own.get(name, {}).values())
                synonyms = col.get("synonyms") or {}
                listed = "、".join(values) if values else "（由政策数据给出 / from the policy's data）"
                also = "；".join(f"{w} → {t}" for w, t in synonyms.items())
                choices.append(f"- `{name}`：{listed}" + (f"；同义词 synonyms：{also}" if also else ""))
        out.append("")
        if choices:
            out += ["选项 choices:", "", *choices, ""]
    return out


def render() -> str:
    """The whole reference as Markdown."""
    lines = ["# 登记册与导入的列 Registry and import columns", "",
             "<!-- 由 `huiqi docs columns` 从 huiqi/batch/schema.py、huiqi/batch/registry_columns.yaml 和 "
             "huiqi/delivery/columns.yaml 生成，请勿手工修改 / generated by `huiqi docs columns`; do not edit -->", "",
             "列名匹配前去掉全角、空格、`*` 和括号中的单位；空单元格、`-`、`—`、`/`、`无` 视为未填。/ Names are matched "
             "after full-width characters, spaces, `*` and a bracketed unit are taken off; an empty cell, `-`, `—`, "
             "`/` or `无` is no value.", "", *_registry(), *_delivery()]
    return "\n".join(lines).rstrip() + "\n"
