"""Type and check every registry row in one pass; good rows become the facts tables, bad rows the rejects.

A row is checked field by field against the profile model's rules (the same ones a single
profile meets): required fields, credit-code check character, known district and industry
codes, money exact to the fen and not negative, real dates, allowed values. The first failing
check is the row's reason, named by field. Nothing is dropped silently: every rejected row is in
``rejects`` with its table, source row number and reason, and an event whose applicant was
rejected is rejected too ("entity rejected").

The checks are one plan (:func:`check_plan`): an ordered list of steps, each a SELECT written once
(in DuckDB's SQL, printed in any dialect by sqlglot — Spark runs the very same checks) or a small
lookup table computed in Python from a query's distinct values. Why it is fast: each column is typed
and checked in the same projection; Parquet columns whose type already fits are not re-checked;
district, industry and provision codes are checked once per distinct code by the calculator's own
validators and joined back (no subquery per row); duplicates are found by a hash aggregate over the
keys (only the duplicated keys are joined back), not a window over every row; the credit code's check
character is an inlined expression (no macro), evaluated only on rows that passed the earlier checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import duckdb

from huiqi.batch.schema import ENTITY_TABLE, SUPPORT_TABLE, Column, all_tables, event_tables, registry_kinds, table_columns
from huiqi.profile.facts import district_facts, industry_facts, size_class_of

CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]
USCC_PATTERN = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
# each character's value by its code point: entry 1 + ascii(ch) % 43 (every code point lands in the list, so no
# dialect sees an index out of range, Spark's ANSI mode included; '0'..'Y' are 48..89, 43 distinct entries)
_VALUES = [0] * 43
for _v, _ch in enumerate(CS):
    _VALUES[ord(_ch) % 43] = _v
_VALUE_LIST = "[" + ", ".join(map(str, _VALUES)) + "]"


def uscc_ok_sql(c: str) -> str:
    """GB 32100's check as one SQL expression on the (upper-cased) code ``c`` — proven equal to
    :func:`huiqi.standards.uscc.is_valid_uscc` by the tests; no macro, so any dialect can run it.
    The pattern admits only the 31 symbols; each one's value is read from a list by its code point (8 % fewer
    instructions than finding it in the symbols' string), and the weighted sum with the check value is 0 mod 31."""
    value = [f"{_VALUE_LIST}[ascii(substr({c}, {i + 1}, 1)) % 43 + 1]" for i in range(18)]
    terms = " + ".join(f"{v} * {w}" for v, w in zip(value, WEIGHTS))
    return (f"(length({c}) = 18 AND regexp_matches({c}, '{USCC_PATTERN}') "
            f"AND ({terms} + {value[17]}) % 31 = 0)")


@dataclass(frozen=True)
class Lookup:
    """A small table computed in Python: ``rows(values)`` from the rows of ``distinct_sql`` (None: no query)."""
    distinct_sql: str | None
    schema: tuple[tuple[str, str], ...]  # (column, DuckDB type)
    rows: Callable[[list[tuple]], list[tuple]]


@dataclass(frozen=True)
class Step:
    """One table of the plan: a SELECT (``sql``, in the plan's dialect) or a Python ``lookup``.
    ``view``: cheap to recompute (a view will do); otherwise materialise it."""
    name: str
    sql: str | None = None
    lookup: Lookup | None = None
    view: bool = False


_TYPE_WORDS = {"STRING": "VARCHAR", "TEXT": "VARCHAR", "INT": "INTEGER", "LONG": "BIGINT", "INT64": "BIGINT",
               "INT32": "INTEGER", "BOOL": "BOOLEAN", "SHORT": "SMALLINT", "BYTE": "TINYINT"}


def normalise_type(t: str) -> str:
    """A column type as DuckDB or Spark names it → DuckDB's name (``decimal(18,2)`` → ``DECIMAL(18,2)``)."""
    t = re.sub(r"\s+", "", str(t)).upper()
    return _TYPE_WORDS.get(t, t)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _is_text_type(rtype: str) -> bool:
    return rtype in ("VARCHAR", "") or rtype.startswith("VARCHAR")


def _text_sql(raw: str, rtype: str) -> str:
    """A cell as trimmed text, empty as NULL."""
    return f"NULLIF(trim({raw}), '')" if _is_text_type(rtype) else f"NULLIF(trim(CAST({raw} AS VARCHAR)), '')"


def _decimal_scale(rtype: str) -> int | None:
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", rtype)
    return int(m.group(2)) if m else None


_INTS = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT")


def _already_typed(kind: str, rtype: str) -> bool:
    """A raw column whose type is the typed one already (the typed value is the raw value)."""
    if kind in ("money", "ratio"):
        return _decimal_scale(rtype) is not None or rtype in _INTS
    return (kind, rtype) in {("date", "DATE"), ("bool", "BOOLEAN"), ("int", "BIGINT"), ("int", "INTEGER")}


@dataclass
class _Col:
    """One column's SQL in the three layers of a typed select: text (layer 1), typed (layer 2), checks (layer 3)."""
    text: str | None = None          # layer 1 expression (NULLIF(trim(...)) or a join's column)
    joins: tuple[str, ...] = ()      # layer 1 joins
    extra: tuple[str, ...] = ()      # layer 1 extra projections ("expr AS alias")
    typed: str = ""                  # layer 2 expression, reading layer 1 (r.<raw>, x = text alias)
    checks: tuple[tuple[str, str], ...] = ()  # layer 3 (condition, reason), reading r.<raw>, x, t


def _column(col: Column, raw_cols: dict[str, str], i: int) -> _Col:
    """How column ``col`` (number ``i``) of a raw table is typed and checked.
    Names in the SQL: ``r.<raw>`` the raw value, ``__x_i`` its text, ``__t_i`` its typed value."""
    name, k = col.name, col.kind
    x, t = f"__x_{i}", f"__t_{i}"
    if name not in raw_cols:
        null = f"CAST(NULL AS {col.duckdb_type})"
        if col.required and col.default is None:
            return _Col(typed=null, checks=(("TRUE", f"{name}: 缺少此列 / missing column"),))
        return _Col(typed=null)
    raw = f"r.{_q(name)}"
    rtype = normalise_type(raw_cols[name])
    if _already_typed(k, rtype):  # a Parquet column of the right type: its text is never needed, only NULL or not
        text = raw
    else:
        text = _text_sql(raw, rtype)
    checks: list[tuple[str, str]] = []
    joins: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    if k in ("money", "ratio"):
        scale = _decimal_scale(rtype)
        typed_raw = scale is not None or rtype in _INTS
        # text: plain decimal digits only (the reader has already turned 1,000 / 万元 / full-width into them);
        # 1e3, 1_000, inf or forty digits never reach the cast
        typed = raw if typed_raw else (f"CASE WHEN regexp_matches({x}, '^-?[0-9]{{1,20}}(\\.[0-9]{{1,10}})?$') "
                                       f"THEN TRY_CAST({x} AS DECIMAL(38,10)) END")
        if not typed_raw:  # a typed Parquet column is a number already
            checks.append((f"{raw} IS NOT NULL AND {t} IS NULL", f"{name}: 不是有效数字 / not a number"))
        checks.append((f"{t} < 0", f"{name}: 不能为负数 / must not be negative"))
        if k == "money":
            if not (rtype in _INTS or (scale is not None and scale <= 2)):
                checks.append((f"{t} <> round({t}, 2)", f"{name}: 金额最小单位为分 / must be exact to the fen"))
            checks.append((f"{t} > 1000000000000", f"{name}: 金额超出合理范围 / beyond any plausible amount"))
        else:
            checks.append((f"{t} > 1", f"{name}: 比例须在0到1之间 / a ratio lies between 0 and 1"))
    elif k == "date":
        if rtype == "DATE":
            typed = raw
        else:
            typed = f"TRY_CAST({x} AS DATE)"
            checks.append((f"{raw} IS NOT NULL AND {t} IS NULL", f"{name}: 不是有效日期 / not a valid date (YYYY-MM-DD)"))
    elif k == "bool":
        if rtype == "BOOLEAN":
            typed = raw
        else:
            typed = (f"CASE WHEN {x} IN ('是', 'Y', 'y') THEN TRUE WHEN {x} IN ('否', 'N', 'n') THEN FALSE "
                     f"ELSE TRY_CAST({x} AS BOOLEAN) END")
            checks.append((f"{raw} IS NOT NULL AND {t} IS NULL", f"{name}: 须为是/否 / must be true or false"))
    elif k == "int":
        if rtype in ("BIGINT", "INTEGER"):
            typed = raw
        else:
            typed = f"TRY_CAST({x} AS BIGINT)"
            checks.append((f"{raw} IS NOT NULL AND {t} IS NULL", f"{name}: 须为整数 / must be a whole number"))
        if col.minimum is not None:
            checks.append((f"{t} < {col.minimum}", f"{name}: 不能小于 {col.minimum} / below {col.minimum}"))
        if col.maximum is not None:
            checks.append((f"{t} > {col.maximum}", f"{name}: 不能大于 {col.maximum} / above {col.maximum}"))
    elif k == "enum":
        typed = x
        allowed = ", ".join(_lit(a) for a in col.allowed)
        checks.append((f"{t} IS NOT NULL AND {t} NOT IN ({allowed})",
                       f"{name}: 不是允许的值 / not one of {', '.join(col.allowed)}"))
    elif k == "credit_code":
        typed = f"upper({x})"
        checks.append((f"{t} IS NOT NULL AND NOT {uscc_ok_sql(t)}",
                       f"{name}: 统一社会信用代码无效（校验码或字符错误） / invalid credit code (check character or characters)"))
    elif k in ("district", "industry", "provision_id"):
        table, key, code = {"district": ("valid_districts", "raw", "code"), "industry": ("valid_industries", "raw", "code"),
                            "provision_id": ("known_provisions", "id", "id")}[k]
        joins = (f"LEFT JOIN {table} __l_{i} ON __l_{i}.{key} = {text}",)
        extra = (f"__l_{i}.{code} AS __c_{i}",)
        typed = f"__c_{i}" if k != "provision_id" else x
        why = {"district": f"{name}: 未知的行政区划代码 / unknown district code",
               "industry": f"{name}: 未知的国民经济行业代码 / unknown GB/T 4754 code",
               "provision_id": f"{name}: 未知的政策条款编号 / unknown provision id"}[k]
        checks.append((f"{x} IS NOT NULL AND __c_{i} IS NULL", why))
    else:
        typed = x
        if col.max_length:
            checks.append((f"length({t}) > {col.max_length}", f"{name}: 超过 {col.max_length} 个字符 / too long"))
        if name in ("id", "event_id", "entity_id"):
            checks.append((f"{t} IS NOT NULL AND NOT regexp_matches({t}, '^[\\w\\-.]{{1,64}}$')",
                           f"{name}: 编号只能含字母、数字、-_. 且不超过64字符 / ids are letters, digits, -_. (≤ 64)"))
    if col.required and col.default is None:
        checks.insert(0, (f"{x} IS NULL", f"{name}: 必填 / required"))
    return _Col(text, joins, extra, typed, tuple(checks))  # the default is applied on output: checks see the cell


def _default(col: Column, typed: str) -> str:
    if col.default is None:
        return typed
    d = col.default
    lit = ("TRUE" if d else "FALSE") if isinstance(d, bool) else (f"CAST({d} AS DECIMAL(12,6))" if col.kind == "ratio" else repr(d))
    return f"COALESCE({typed}, {lit})"


def _narrowed(col: Column, t: str) -> str:
    if col.kind in ("money", "ratio"):  # checked above at full precision; narrowed here
        return f"TRY_CAST({t} AS {col.duckdb_type})"
    return t


# the facts that follow from a valid code, carried by its lookup table (valid_industries / valid_districts) so the
# typed entities have them without another join; column order as huiqi.profile.facts gives them
CODE_FACTS = {
    "industry": (("industry_section", "VARCHAR"), ("industry_division", "VARCHAR"), ("is_industrial", "BOOLEAN"),
                 ("is_internet_software", "BOOLEAN"), ("is_commerce", "BOOLEAN")),
    "district": (("is_main_urban", "BOOLEAN"),),
}
SIZE_FIGURES = ("industry", "employees", "revenue", "assets")


@dataclass
class _Layers:
    """A raw table's columns typed (layers 1 and 2 of its typed select), before the table's own checks."""
    cols: tuple[Column, ...]
    parts: list[_Col]
    idx: dict[str, int]
    layer1: list[str]
    joins: list[str]
    has_problem: bool
    source: str

    def l2(self) -> str:
        l1 = f"SELECT r.*{''.join(', ' + e for e in self.layer1)} FROM {self.source} r {' '.join(self.joins)}"
        return f"SELECT r.*, {', '.join(f'{p.typed} AS __t_{i}' for i, p in enumerate(self.parts))} FROM ({l1}) r"

    def final(self, name: str) -> str:
        """Column ``name``'s value as the typed table holds it (default applied, money narrowed), in layer 3."""
        i = self.idx[name]
        return _narrowed(self.cols[i], _default(self.cols[i], f"r.__t_{i}"))


def _layers(table: str, raw_cols: dict[str, str] | None, kinds=None, present: bool = True) -> _Layers:
    raw_cols = dict(raw_cols or {})
    has_problem = "_problem" in raw_cols
    raw_cols = {c: ty for c, ty in raw_cols.items() if c not in ("_row", "_problem")}
    cols = table_columns(table, kinds)
    parts = [_column(col, raw_cols, i) for i, col in enumerate(cols)]
    layer1 = [f"{p.text} AS __x_{i}" for i, p in enumerate(parts) if p.text is not None]
    layer1 += [e for p in parts for e in p.extra]
    source = f"raw_{table}" if present else "(SELECT CAST(NULL AS BIGINT) AS _row WHERE FALSE)"
    return _Layers(cols, parts, {col.name: i for i, col in enumerate(cols)}, layer1,
                   [j for p in parts for j in p.joins], has_problem, source)


def derived_sizes_select(raw_cols: dict[str, str] | None, kinds=None, present: bool = True) -> str:
    """The distinct figures (industry, employees, revenue, assets) of the entity rows that state no size class,
    typed as ``typed_entities`` types them: the SME standard sizes each set once (rows rejected later included;
    their sizes are never read)."""
    ly = _layers(ENTITY_TABLE, raw_cols, kinds, present)
    figures = ", ".join(f"{ly.final(n)} AS {_q(n)}" for n in SIZE_FIGURES)
    return (f"SELECT DISTINCT {figures} FROM ({ly.l2()}) r "
            f"WHERE {ly.final('size_class')} IS NULL AND {ly.final('industry')} IS NOT NULL")


def _entity_facts(ly: _Layers) -> tuple[str, list[str]]:
    """The entity table's facts beside its typed columns: the size class (stated, else derived by the SME standard,
    joined from ``derived_sizes``), is_sme / is_small_micro, and the facts of the industry and district codes (carried
    by their lookups). Returns the layer-3 join and the output columns after the typed ones (``size_class`` is
    the size in effect)."""
    for name, facts in CODE_FACTS.items():
        i = ly.idx[name]
        if ly.parts[i].joins:  # the column is there: its lookup is joined in layer 1
            ly.layer1 += [f"__l_{i}.{f} AS __f_{f}" for f, _ in facts]
    stated, industry = ly.final("size_class"), ly.final("industry")
    on = " AND ".join([f"__ds.industry = CASE WHEN {stated} IS NULL THEN {industry} END",
                       *(f"__ds.{_q(n)} IS NOT DISTINCT FROM {ly.final(n)}" for n in SIZE_FIGURES[1:])])
    size = f"COALESCE({stated}, __ds.size_class)"
    # is_sme / is_small_micro below say in SQL what size_facts says in Python (checked in the tests)
    out = [f"CASE WHEN {size} IS NULL THEN NULL ELSE {size} <> 'large' END AS is_sme",
           f"CASE WHEN {size} IS NULL THEN NULL ELSE {size} IN ('small', 'micro') END AS is_small_micro"]
    for name, facts in CODE_FACTS.items():
        joined = bool(ly.parts[ly.idx[name]].joins)
        out += [f"{f'r.__f_{f}' if joined else f'CAST(NULL AS {ty})'} AS {f}" for f, ty in facts]
    return f" LEFT JOIN derived_sizes __ds ON {on}", [f"{size} AS size_class", *out]


def typed_select(table: str, raw_cols: dict[str, str] | None, kinds=None, present: bool = True) -> str:
    """The typed-and-checked SELECT of one registry table (DuckDB SQL): ``_row``, every column typed, ``_reason``
    (the entity table: its facts too, see :func:`_entity_facts`).
    ``raw_cols``: the raw view's columns and types (``_problem`` among them if the reader set it); reads
    ``raw_<table>`` and the plan's lookups (and ``good_owners`` / ``all_event_ids`` for the other tables)."""
    ly = _layers(table, raw_cols, kinds, present)
    cols, parts, idx, layer1, joins = ly.cols, ly.parts, ly.idx, ly.layer1, ly.joins
    checks = [c for p in parts for c in p.checks]
    layer3_join = ""
    ent = parts[0].text  # entity_id's text (None: the column is missing)

    def dups(keys: list[str]) -> str:
        k = ", ".join(f"{parts[idx[n]].text} AS __k{j}" for j, n in enumerate(keys))
        on = " AND ".join(f"__d.__k{j} = r.__t_{idx[n]}" for j, n in enumerate(keys))
        group = ", ".join(str(j + 1) for j in range(len(keys)))
        return (f" LEFT JOIN (SELECT {k}, min(r._row) AS __first FROM raw_{table} r GROUP BY {group} "
                f"HAVING count(*) > 1) __d ON {on}")

    is_dup = "__d.__first IS NOT NULL AND r._row <> __d.__first"
    out = [f"{ly.final(col.name)} AS {_q(col.name)}" for col in cols]
    if table == ENTITY_TABLE:
        kind, code = (_default(cols[idx[n]], f"__t_{idx[n]}") for n in ("kind", "credit_code"))
        checks.append((f"{kind} <> 'individual' AND {code} IS NULL",
                       "credit_code: 单位申请人须填写统一社会信用代码 / an organisation needs its credit code"))
        if ent is not None:
            checks.append((is_dup, "entity_id: 主体编号重复（保留首行） / duplicate entity_id (the first row is kept)"))
            layer3_join = dups(["entity_id"])
        sizes_join, facts = _entity_facts(ly)
        layer3_join += sizes_join
        out[idx["size_class"]] = facts[0]
        out += facts[1:]
    else:
        if ent is not None:  # good_owners: the good entities that have events (small; see check_plan)
            joins.append(f"LEFT JOIN good_owners __g ON __g.entity_id = {ent}")
            layer1.append("__g.entity_id AS __good")
        checks.append(("__good IS NULL" if ent is not None else "TRUE",
                       "entity_id: 所属主体不存在或已被拒绝 / entity rejected or unknown"))
        if table in registry_kinds(kinds) and ent is not None and parts[idx["id"]].text is not None:
            checks.append((f"__t_{idx['id']} IS NOT NULL AND {is_dup}",
                           "id: 同一主体的事项编号重复（保留首行） / duplicate event id (the first row is kept)"))
            layer3_join = dups(["entity_id", "id"])
        if table == SUPPORT_TABLE and "event_id" in idx:
            ev = parts[idx["event_id"]].text
            if ev is not None and ent is not None:
                joins.append(f"LEFT JOIN (SELECT DISTINCT entity_id, id FROM all_event_ids) __e "
                             f"ON __e.entity_id = {ent} AND __e.id = {ev}")
                layer1.append("__e.id AS __event_found")
                checks.append((f"__t_{idx['event_id']} IS NOT NULL AND __event_found IS NULL",
                               "event_id: 画像中没有此事项 / event id not in the registry"))
    whens = (["WHEN r._problem IS NOT NULL THEN r._problem"] if ly.has_problem else [])
    whens += [f"WHEN {c} THEN {_lit(why)}" for c, why in checks]
    reason = "CASE " + " ".join(whens) + " END" if whens else "CAST(NULL AS VARCHAR)"
    return f"SELECT r._row, {', '.join(out)}, {reason} AS _reason FROM ({ly.l2()}) r{layer3_join}"


def rejects_select(tables: tuple[str, ...]) -> str:
    """Every rejected row of every typed table: table, source row, entity, reason (DuckDB SQL)."""
    return " UNION ALL ".join(
        f"SELECT {_lit(t)} AS \"table\", _row AS \"row\", CAST(entity_id AS VARCHAR) AS entity_id, _reason AS reason "
        f"FROM typed_{t} WHERE _reason IS NOT NULL" for t in tables) + " ORDER BY 1, 2"


def _code_rows(check, facts) -> Callable[[list[tuple]], list[tuple]]:
    """Distinct raw codes → (raw, code, facts of the code…) for the ones the calculator's validator accepts."""
    def rows(values: list[tuple]) -> list[tuple]:
        out = []
        for (v,) in values:
            if not v:
                continue
            try:
                code = check(v).code
            except ValueError:
                continue
            out.append((v, code, *(value for _, value in facts(code))))
        return out
    return rows


def _size_rows(values: list[tuple]) -> list[tuple]:
    return [(i, e, r, a, size_class_of(i, e, r, a, None)) for i, e, r, a in values]


def _entities_f(kinds) -> str:
    """The entity facts: the good rows of ``typed_entities`` (which carries the facts), as a view — the typed
    table is the one copy of the entities."""
    cols = [c.name for c in table_columns(ENTITY_TABLE, kinds) if c.name != "size_class"]
    facts = ["size_class", "is_sme", "is_small_micro", *(f for fs in CODE_FACTS.values() for f, _ in fs)]
    return f"SELECT {', '.join(_q(c) for c in cols + facts)} FROM typed_entities WHERE _reason IS NULL"


def _event_facts(table: str, kinds) -> str:
    """An event list's good rows, each with its id (the calculator's ``<list>[n]`` where the registry has none)."""
    keep = ", ".join(["_row", *(_q(c.name) for c in table_columns(table, kinds) if c.name != "id")])
    extra = ""
    if table == "guarantees":
        extra = (", sum(amount) OVER (PARTITION BY entity_id, COALESCE(client_credit_code, '#' || id), year(date)) "
                 "AS client_year_total")
    return f"""
        SELECT * {extra} FROM (
          SELECT {keep},
                 COALESCE(id, '{table}[' || CAST(row_number() OVER (PARTITION BY entity_id ORDER BY _row) - 1 AS VARCHAR) || ']') AS id
          FROM typed_{table} WHERE _reason IS NULL) e"""


def check_plan(raw_columns: dict[str, dict[str, str]], provision_ids: list[str], kinds=None,
               dialect: str = "duckdb") -> list[Step]:
    """Every step that types and checks a registry and builds its facts, in order, each SELECT in ``dialect``.

    ``raw_columns``: for each table present, its raw view's (``raw_<table>``) columns and types as DuckDB or Spark
    names them (``_problem`` listed when the tolerant reader set it); absent tables are empty. The steps create
    ``known_provisions``, ``valid_districts`` and ``valid_industries`` (each valid code with its facts),
    ``derived_sizes``, ``typed_<table>`` (``_row``, typed columns, ``_reason``; the entities' with their facts),
    ``good_entities``, ``good_owners``, ``entities_f`` (a view: the good typed entities), ``ev_<list>``, ``all_event_ids``, ``support`` and ``rejects`` — see /docs/batch.md."""
    from huiqi.standards.divisions import validate_district
    from huiqi.standards.industries import validate_industry

    kinds = registry_kinds(kinds)
    lists = event_tables(kinds)
    tables = all_tables(kinds)
    ent_cols = {c: normalise_type(t) for c, t in raw_columns.get(ENTITY_TABLE, {}).items()}

    def distinct_raw(col: str) -> str | None:
        if col not in ent_cols:
            return None
        text = _text_sql(f"r.{_q(col)}", ent_cols[col])
        return f"SELECT DISTINCT {text} AS v FROM raw_{ENTITY_TABLE} r WHERE {text} IS NOT NULL"

    ids = list(provision_ids)
    steps = [
        Step("known_provisions", lookup=Lookup(None, (("id", "VARCHAR"),), lambda _v: [(p,) for p in ids])),
        Step("valid_districts", lookup=Lookup(distinct_raw("district"),
                                              (("raw", "VARCHAR"), ("code", "VARCHAR"), *CODE_FACTS["district"]),
                                              _code_rows(validate_district, district_facts))),
        Step("valid_industries", lookup=Lookup(distinct_raw("industry"),
                                               (("raw", "VARCHAR"), ("code", "VARCHAR"), *CODE_FACTS["industry"]),
                                               _code_rows(validate_industry, industry_facts))),
        # size class: stated, else derived by the SME standard (once per distinct set of figures)
        Step("derived_sizes", lookup=Lookup(derived_sizes_select(raw_columns.get(ENTITY_TABLE), kinds,
                                                                 ENTITY_TABLE in raw_columns),
                                            (("industry", "VARCHAR"), ("employees", "BIGINT"), ("revenue", "DECIMAL(18,2)"),
                                             ("assets", "DECIMAL(18,2)"), ("size_class", "VARCHAR")), _size_rows)),
    ]

    def typed(table: str) -> Step:
        return Step(f"typed_{table}", typed_select(table, raw_columns.get(table), kinds, table in raw_columns))

    steps.append(typed(ENTITY_TABLE))
    steps.append(Step("good_entities", "SELECT entity_id FROM typed_entities WHERE _reason IS NULL", view=True))
    # the good entities that own an event or a support row: looked up once here (one pass over the good
    # entities), so each event table joins a small table instead of probing every good entity again
    owners = [f"SELECT {_text_sql('r.entity_id', normalise_type(raw_columns[t]['entity_id']))} AS entity_id FROM raw_{t} r"
              for t in (*lists, SUPPORT_TABLE) if t in raw_columns and "entity_id" in raw_columns[t]]
    steps.append(Step("good_owners", "SELECT entity_id FROM good_entities WHERE entity_id IN ("
                      + " UNION ".join(owners) + ")" if owners else
                      "SELECT entity_id FROM good_entities WHERE FALSE"))
    steps += [typed(t) for t in lists]
    steps.append(Step("entities_f", _entities_f(kinds), view=True))
    steps += [Step(f"ev_{t}", _event_facts(t, kinds)) for t in lists]
    steps.append(Step("all_event_ids", " UNION ALL ".join(f"SELECT entity_id, id FROM ev_{t}" for t in lists)
                      if lists else "SELECT CAST(NULL AS VARCHAR) AS entity_id, CAST(NULL AS VARCHAR) AS id WHERE FALSE",
                      view=True))
    steps.append(typed(SUPPORT_TABLE))
    support_cols = ", ".join(_q(c.name) for c in table_columns(SUPPORT_TABLE, kinds))
    steps.append(Step("support", f"SELECT {support_cols} FROM typed_{SUPPORT_TABLE} WHERE _reason IS NULL", view=True))
    steps.append(Step("rejects", rejects_select(tables)))
    if dialect != "duckdb":
        steps = [s if s.sql is None and s.lookup.distinct_sql is None else _transpiled(s, dialect) for s in steps]
    return steps


def _transpiled(step: Step, dialect: str) -> Step:
    import sqlglot

    def t(sql: str | None) -> str | None:
        return None if sql is None else sqlglot.transpile(sql, read="duckdb", write=dialect)[0]

    if step.lookup is not None:
        return Step(step.name, lookup=Lookup(t(step.lookup.distinct_sql), step.lookup.schema, step.lookup.rows), view=step.view)
    return Step(step.name, t(step.sql), view=step.view)


def raw_columns_of(con: duckdb.DuckDBPyConnection, present: set[str]) -> dict[str, dict[str, str]]:
    """Each present raw view's columns and types (``_problem`` included when the reader set it)."""
    return {t: {r[0]: r[1] for r in con.execute(f"DESCRIBE raw_{t}").fetchall() if r[0] != "_row"} for t in present}


def run_plan(con: duckdb.DuckDBPyConnection, steps: list[Step], progress=None) -> None:
    """Run a DuckDB plan: each SELECT becomes a table (a view where cheap), each lookup a small table."""
    for step in steps:
        if step.lookup is not None:
            values = con.execute(step.lookup.distinct_sql).fetchall() if step.lookup.distinct_sql else []
            load_rows(con, step.name, list(step.lookup.schema), step.lookup.rows(values))
        else:
            con.execute(f"CREATE OR REPLACE {'VIEW' if step.view else 'TABLE'} {step.name} AS {step.sql}")
        if progress is not None:
            progress(step.name)


def prepare(con: duckdb.DuckDBPyConnection, present: set[str], provision_ids: list[str], kinds=None) -> None:
    """Build typed tables, lookups, the facts ``entities_f`` / ``ev_<list>`` / ``support`` and ``rejects``
    (one ``ev_<list>`` per event kind of ``kinds``; by default every kind of the policies served)."""
    raw = raw_columns_of(con, set(present) & set(all_tables(kinds)))
    run_plan(con, check_plan(raw, provision_ids, kinds))


def load_rows(con: duckdb.DuckDBPyConnection, name: str, schema: list[tuple[str, str]], rows: list[tuple]) -> None:
    """A small table from Python rows: each column one list parameter, unnested side by side (DuckDB's
    executemany is row by row and slow; Arrow would cost the CLI its import). Decimals travel as text and are
    cast exactly. Created on its own cursor, so a result the caller still has open on ``con`` is left alone."""
    cols = list(zip(*rows)) if rows else [() for _ in schema]
    params, picks = [], []
    for (col, typ), values in zip(schema, cols):
        if typ.startswith("DECIMAL"):
            params.append([None if v is None else str(v) for v in values])
            picks.append(f"CAST(unnest(CAST(? AS VARCHAR[])) AS {typ}) AS {_q(col)}")
        else:
            params.append(list(values))
            picks.append(f"unnest(CAST(? AS {typ}[])) AS {_q(col)}")
    cur = con.cursor()
    try:
        cur.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {', '.join(picks)}", params)
    finally:
        cur.close()
