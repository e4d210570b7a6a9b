"""Type and check every registry row; good rows become the facts views, bad rows the rejects.

A row is checked field by field against the profile model's rules (the same ones a single
profile meets): required fields, credit-code check character, known district and industry
codes, money exact to the fen and not negative, real dates, allowed values. The first failing
check is the row's reason, named by field. Nothing is dropped silently: every rejected row is in
``rejects`` with its table, source row number and reason, and an event whose applicant was
rejected is rejected too ("entity rejected").

District and industry codes are checked by the same Python validators the calculator uses,
once per distinct code; credit codes (one per row) by a SQL macro proven equal to the Python
check by the tests.
"""

from __future__ import annotations

import duckdb

from huiqi.batch.schema import ENTITY_TABLE, SUPPORT_TABLE, Column, all_tables, event_tables, registry_kinds, table_columns
from huiqi.profile.facts import district_facts, industry_facts, size_class_of

CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]

_TERMS = " + ".join(f"(instr('{CS}', substr(c, {i + 1}, 1)) - 1) * {w}" for i, w in enumerate(WEIGHTS))
USCC_MACRO = f"""
CREATE OR REPLACE MACRO uscc_ok(c) AS
  length(c) = 18
  AND regexp_full_match(c, '[0-9A-HJ-NPQRTUWXY]{{2}}[0-9]{{6}}[0-9A-HJ-NPQRTUWXY]{{10}}')
  AND substr('{CS}', CAST((31 - ({_TERMS}) % 31) % 31 AS BIGINT) + 1, 1) = substr(c, 18, 1)
"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(raw: str) -> str:
    return f"NULLIF(trim(CAST({raw} AS VARCHAR)), '')"


def typed_and_checks(col: Column, raw_cols: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """(typed SQL expression, [(failure condition SQL, reason)]) for one column of a raw view."""
    name = col.name
    if name not in raw_cols:
        null = f"CAST(NULL AS {col.duckdb_type})"
        if col.required and col.default is None:
            return null, [("TRUE", f"{name}: 缺少此列 / missing column")]
        return _default(col, null), []
    raw = f"r.{_q(name)}"
    rtype = raw_cols[name].upper()
    text = _text(raw)
    checks: list[tuple[str, str]] = []
    k = col.kind
    if k == "money" or k == "ratio":
        typed_raw = rtype.startswith("DECIMAL") or rtype in ("BIGINT", "INTEGER", "HUGEINT")
        # text: plain decimal digits only (the reader has already turned 1,000 / 万元 / full-width into them);
        # 1e3, 1_000, inf or forty digits never reach the cast
        exact = raw if typed_raw else (f"CASE WHEN regexp_full_match({text}, '-?[0-9]{{1,20}}(\\.[0-9]{{1,10}})?') "
                                       f"THEN TRY_CAST({text} AS DECIMAL(38,10)) END")
        checks.append((f"{raw} IS NOT NULL AND {exact} IS NULL", f"{name}: 不是有效数字 / not a number"))
        checks.append((f"{exact} < 0", f"{name}: 不能为负数 / must not be negative"))
        if k == "money":
            checks.append((f"{exact} <> round({exact}, 2)", f"{name}: 金额最小单位为分 / must be exact to the fen"))
            checks.append((f"{exact} > 1000000000000", f"{name}: 金额超出合理范围 / beyond any plausible amount"))
            typed = exact  # narrowed to DECIMAL(18,2) by the view that reads the checked rows
        else:
            checks.append((f"{exact} > 1", f"{name}: 比例须在0到1之间 / a ratio lies between 0 and 1"))
            typed = exact
    elif k == "date":
        typed = raw if rtype == "DATE" else f"TRY_CAST({text} AS DATE)"
        checks.append((f"{raw} IS NOT NULL AND {typed} IS NULL", f"{name}: 不是有效日期 / not a valid date (YYYY-MM-DD)"))
    elif k == "bool":
        if rtype == "BOOLEAN":
            typed = raw
        else:
            typed = (f"CASE WHEN {text} IN ('是', 'Y', 'y') THEN TRUE WHEN {text} IN ('否', 'N', 'n') THEN FALSE "
                     f"ELSE TRY_CAST({text} AS BOOLEAN) END")
        checks.append((f"{raw} IS NOT NULL AND {typed} IS NULL", f"{name}: 须为是/否 / must be true or false"))
    elif k == "int":
        typed = raw if rtype in ("BIGINT", "INTEGER") else f"TRY_CAST({text} AS BIGINT)"
        checks.append((f"{raw} IS NOT NULL AND {typed} IS NULL", f"{name}: 须为整数 / must be a whole number"))
        if col.minimum is not None:
            checks.append((f"{typed} < {col.minimum}", f"{name}: 不能小于 {col.minimum} / below {col.minimum}"))
        if col.maximum is not None:
            checks.append((f"{typed} > {col.maximum}", f"{name}: 不能大于 {col.maximum} / above {col.maximum}"))
    elif k == "enum":
        typed = text
        allowed = ", ".join("'" + a.replace("'", "''") + "'" for a in col.allowed)
        checks.append((f"{typed} IS NOT NULL AND {typed} NOT IN ({allowed})",
                       f"{name}: 不是允许的值 / not one of {', '.join(col.allowed)}"))
    elif k == "credit_code":
        typed = f"upper({text})"
        checks.append((f"{typed} IS NOT NULL AND NOT uscc_ok({typed})",
                       f"{name}: 统一社会信用代码无效（校验码或字符错误） / invalid credit code (check character or characters)"))
    elif k == "district":
        typed = f"(SELECT d.code FROM valid_districts d WHERE d.raw = {text})"
        checks.append((f"{text} IS NOT NULL AND {typed} IS NULL", f"{name}: 未知的行政区划代码 / unknown district code"))
    elif k == "industry":
        typed = f"(SELECT d.code FROM valid_industries d WHERE d.raw = {text})"
        checks.append((f"{text} IS NOT NULL AND {typed} IS NULL", f"{name}: 未知的国民经济行业代码 / unknown GB/T 4754 code"))
    elif k == "provision_id":
        typed = text
        checks.append((f"{typed} IS NOT NULL AND {typed} NOT IN (SELECT id FROM known_provisions)",
                       f"{name}: 未知的政策条款编号 / unknown provision id"))
    else:
        typed = text
        if col.max_length:
            checks.append((f"length({typed}) > {col.max_length}", f"{name}: 超过 {col.max_length} 个字符 / too long"))
        if name in ("id", "event_id", "entity_id"):
            checks.append((f"{typed} IS NOT NULL AND NOT regexp_full_match({typed}, '[\\w\\-.]{{1,64}}')",
                           f"{name}: 编号只能含字母、数字、-_. 且不超过64字符 / ids are letters, digits, -_. (≤ 64)"))
    if col.required and col.default is None:
        checks.insert(0, (f"{raw} IS NULL OR {text} IS NULL", f"{name}: 必填 / required"))
    return _default(col, typed), checks


def _default(col: Column, typed: str) -> str:
    if col.default is None:
        return typed
    d = col.default
    lit = ("TRUE" if d else "FALSE") if isinstance(d, bool) else (f"CAST({d} AS DECIMAL(12,6))" if col.kind == "ratio" else repr(d))
    return f"COALESCE({typed}, {lit})"


def _raw_columns(con: duckdb.DuckDBPyConnection, table: str, present: set[str]) -> dict[str, str]:
    if table not in present:
        return {}
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE raw_{table}").fetchall() if r[0] not in ("_row", "_problem")}


def prepare(con: duckdb.DuckDBPyConnection, present: set[str], provision_ids: list[str], kinds=None) -> None:
    """Build typed views, lookups, the facts views ``entities_f`` / ``ev_<list>`` / ``support`` and ``rejects``
    (one ``ev_<list>`` per event kind of ``kinds``; by default every kind of the policies served)."""
    kinds = registry_kinds(kinds)
    con.execute(USCC_MACRO)
    con.execute("CREATE OR REPLACE TABLE known_provisions AS SELECT unnest(?) AS id", [provision_ids])
    _code_lookups(con, present)
    reject_selects = []
    for table in all_tables(kinds):  # entities first: the other tables check their rows' applicant against it
        raw_cols = _raw_columns(con, table, present)
        cols = table_columns(table, kinds)
        typed, checks, hoisted = [], [], []
        for col in cols:
            t, c = typed_and_checks(col, raw_cols)
            # compute each column's typed value once, in an inner query, and let the checks read it
            alias = f"__t_{len(hoisted)}"
            hoisted.append(f"{t} AS {alias}")
            if col.kind in ("money", "ratio"):  # checked above at full precision; narrowed here
                typed.append(f"TRY_CAST({alias} AS {col.duckdb_type}) AS {_q(col.name)}")
            else:
                typed.append(f"{alias} AS {_q(col.name)}")
            checks += [(cond.replace(t, alias), why) for cond, why in c]
        alias_of = {col.name: f"__t_{i}" for i, col in enumerate(cols)}
        join = ""
        if table == ENTITY_TABLE:
            checks.append((f"{alias_of['kind']} <> 'individual' AND {alias_of['credit_code']} IS NULL",
                           "credit_code: 单位申请人须填写统一社会信用代码 / an organisation needs its credit code"))
            checks.append(("__dup > 1", "entity_id: 主体编号重复（保留首行） / duplicate entity_id (the first row is kept)"))
            extra = f", row_number() OVER (PARTITION BY {alias_of['entity_id']} ORDER BY _row) AS __dup"
        else:
            join = " LEFT JOIN (SELECT entity_id AS __good FROM good_entities) g ON g.__good = i.__t_0"
            checks.append(("__good IS NULL", "entity_id: 所属主体不存在或已被拒绝 / entity rejected or unknown"))
            extra = ", g.__good"
            if table in kinds:
                checks.append((f"{alias_of['id']} IS NOT NULL AND __dup > 1",
                               "id: 同一主体的事项编号重复（保留首行） / duplicate event id (the first row is kept)"))
                extra += f", row_number() OVER (PARTITION BY {alias_of['entity_id']}, {alias_of['id']} ORDER BY _row) AS __dup"
        problem = ""
        if table in present and "_problem" in {r[0] for r in con.execute(f"DESCRIBE raw_{table}").fetchall()}:
            problem = "WHEN _problem IS NOT NULL THEN _problem "  # the reader's own words: sheet, row, header as written
        reason = "CASE " + problem + " ".join(f"WHEN {c} THEN '{r}'" for c, r in checks) + " END"
        source = f"raw_{table} r" if table in present else "(SELECT NULL AS _row WHERE FALSE) r"
        con.execute(f"""CREATE OR REPLACE TABLE typed_{table} AS
                        SELECT _row, {', '.join(typed)}, {reason} AS _reason
                        FROM (SELECT i.*{extra} FROM (SELECT r.*, {', '.join(hoisted)} FROM {source}) i{join}) r""")
        if table == ENTITY_TABLE:
            con.execute("CREATE OR REPLACE TABLE good_entities AS SELECT entity_id FROM typed_entities WHERE _reason IS NULL")
    _facts_views(con, event_tables(kinds))
    con.execute("""
        UPDATE typed_other_support s SET _reason = 'event_id: 画像中没有此事项 / event id not in the registry'
        WHERE _reason IS NULL AND event_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM all_event_ids a WHERE a.entity_id = s.entity_id AND a.id = s.event_id)""")
    con.execute("CREATE OR REPLACE VIEW support AS SELECT * EXCLUDE (_row, _reason) FROM typed_other_support WHERE _reason IS NULL")
    for table in all_tables(kinds):
        reject_selects.append(f"SELECT '{table}' AS \"table\", _row AS \"row\", CAST(entity_id AS VARCHAR) AS entity_id, _reason AS reason "
                              f"FROM typed_{table} WHERE _reason IS NOT NULL")
    con.execute("CREATE OR REPLACE TABLE rejects AS " + " UNION ALL ".join(reject_selects) + " ORDER BY 1, 2")


_ARROW = {"VARCHAR": "string", "BOOLEAN": "bool_", "BIGINT": "int64"}


def load_rows(con: duckdb.DuckDBPyConnection, name: str, schema: list[tuple[str, str]], rows: list[tuple]) -> None:
    """A small table from Python rows, through Arrow (DuckDB's executemany is row by row and slow)."""
    import pyarrow as pa

    def arrow_type(t: str):
        return pa.decimal128(18, 2) if t.startswith("DECIMAL") else getattr(pa, _ARROW[t])()

    cols = list(zip(*rows)) if rows else [[] for _ in schema]
    table = pa.table({n: pa.array(list(c), type=arrow_type(t)) for (n, t), c in zip(schema, cols)})
    con.register(f"_rows_{name}", table)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _rows_{name}")
    con.unregister(f"_rows_{name}")


def _code_lookups(con: duckdb.DuckDBPyConnection, present: set[str]) -> None:
    """Check each distinct district and industry code once with the calculator's own validators."""
    from huiqi.standards.divisions import validate_district
    from huiqi.standards.industries import validate_industry

    def distinct(col: str, tables: list[str]) -> list[str]:
        vals: set[str] = set()
        for t in tables:
            if t in present and col in _raw_columns(con, t, present):
                vals |= {r[0] for r in con.execute(f"SELECT DISTINCT NULLIF(trim(CAST({_q(col)} AS VARCHAR)), '') FROM raw_{t}").fetchall() if r[0]}
        return sorted(vals)

    def lookup(values: list[str], check) -> list[tuple[str, str | None]]:
        out = []
        for v in values:
            try:
                out.append((v, check(v).code))
            except ValueError:
                out.append((v, None))
        return out

    districts = lookup(distinct("district", [ENTITY_TABLE]), validate_district)
    industries = lookup(distinct("industry", [ENTITY_TABLE]), validate_industry)
    load_rows(con, "valid_districts", [("raw", "VARCHAR"), ("code", "VARCHAR")], [d for d in districts if d[1]])
    load_rows(con, "valid_industries", [("raw", "VARCHAR"), ("code", "VARCHAR")], [d for d in industries if d[1]])


def _facts_views(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    """Derived facts from the same functions as the calculator, once per distinct code; event ids as it names them."""
    codes = [r[0] for r in con.execute("SELECT DISTINCT industry FROM typed_entities WHERE _reason IS NULL").fetchall()]
    rows = [(c, *(v for _, v in industry_facts(c))) for c in codes if c is not None]
    load_rows(con, "industry_facts", [("industry", "VARCHAR"), ("industry_section", "VARCHAR"), ("industry_division", "VARCHAR"),
                                      ("is_industrial", "BOOLEAN"), ("is_internet_software", "BOOLEAN"),
                                      ("is_commerce", "BOOLEAN")], rows)
    dcodes = [r[0] for r in con.execute("SELECT DISTINCT district FROM typed_entities WHERE _reason IS NULL").fetchall()]
    drows = [(c, dict(district_facts(c))["is_main_urban"]) for c in dcodes if c is not None]
    load_rows(con, "district_facts", [("district", "VARCHAR"), ("is_main_urban", "BOOLEAN")], drows)
    # size class: stated, else derived by the SME standard (once per distinct set of figures)
    missing = con.execute("""SELECT DISTINCT industry, employees, revenue, assets FROM typed_entities
                             WHERE _reason IS NULL AND size_class IS NULL AND industry IS NOT NULL""").fetchall()
    derived = [(i, e, r, a, size_class_of(i, e, r, a, None)) for i, e, r, a in missing]
    load_rows(con, "derived_sizes", [("industry", "VARCHAR"), ("employees", "BIGINT"), ("revenue", "DECIMAL(18,2)"),
                                     ("assets", "DECIMAL(18,2)"), ("size_class", "VARCHAR")], derived)
    # is_sme / is_small_micro below say in SQL what size_facts says in Python (checked in the tests)
    con.execute(f"""
        CREATE OR REPLACE TABLE entities_f AS
        SELECT t.* EXCLUDE (_row, _reason, size_class),
               COALESCE(t.size_class, ds.size_class) AS size_class,
               CASE WHEN COALESCE(t.size_class, ds.size_class) IS NULL THEN NULL
                    ELSE COALESCE(t.size_class, ds.size_class) <> 'large' END AS is_sme,
               CASE WHEN COALESCE(t.size_class, ds.size_class) IS NULL THEN NULL
                    ELSE COALESCE(t.size_class, ds.size_class) IN ('small', 'micro') END AS is_small_micro,
               f.industry_section, f.industry_division, f.is_industrial, f.is_internet_software, f.is_commerce,
               d.is_main_urban
        FROM typed_entities t
        LEFT JOIN derived_sizes ds ON t.size_class IS NULL AND ds.industry = t.industry
             AND ds.employees IS NOT DISTINCT FROM t.employees AND ds.revenue IS NOT DISTINCT FROM t.revenue
             AND ds.assets IS NOT DISTINCT FROM t.assets
        LEFT JOIN industry_facts f ON f.industry = t.industry
        LEFT JOIN district_facts d ON d.district = t.district
        WHERE t._reason IS NULL""")
    ids = []
    for table in tables:
        extra = ""
        if table == "guarantees":
            extra = (", sum(amount) OVER (PARTITION BY entity_id, COALESCE(client_credit_code, '#' || id), year(date)) "
                     "AS client_year_total")
        con.execute(f"""
            CREATE OR REPLACE TABLE ev_{table} AS
            SELECT * {extra} FROM (
              SELECT * EXCLUDE (id, _reason),
                     COALESCE(id, '{table}[' || CAST(row_number() OVER (PARTITION BY entity_id ORDER BY _row) - 1 AS VARCHAR) || ']') AS id
              FROM typed_{table} WHERE _reason IS NULL)""")
        ids.append(f"SELECT entity_id, id FROM ev_{table}")
    con.execute("CREATE OR REPLACE VIEW all_event_ids AS " + " UNION ALL ".join(ids))

