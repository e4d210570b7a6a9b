"""The ``huiqi`` command line: the catalogue, search, and the server.

Bad input exits with code 2 and a message naming what was wrong (Chinese, then English).
Heavy imports (FastAPI, uvicorn) happen inside the commands that need them, so a
catalogue lookup answers quickly.
"""

from __future__ import annotations

import sys
from enum import Enum

import typer

from huiqi.cli_usage import UsageGroup, print_table, version_option, wide_output
from huiqi.rules.loader import PolicyDataError, dumps

wide_output()  # help and tables as wide as their text, never cut at 80 columns
app = typer.Typer(
    cls=UsageGroup,  # a wrong option, value or command is said in Chinese, then English
    help="惠企 huiqi — 政策即代码：政策文件的条款、计算器与兑现流程（所承载的政策见 huiqi policies list）/ "
         "policy as code: a policy's provisions, calculator and delivery (the policies served: huiqi policies list)",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(version: bool = version_option()) -> None:
    pass
measures_app = typer.Typer(help="政策措施目录 / the catalogue of measures", no_args_is_help=True)
policy_app = typer.Typer(help="政策总则与版本 / the policy's general provisions and version", no_args_is_help=True)
app.add_typer(measures_app, name="measures")
app.add_typer(policy_app, name="policy")


class ListFormat(str, Enum):
    table = "table"
    json = "json"


class ShowFormat(str, Enum):
    text = "text"
    json = "json"


def fail(message_zh: str, message_en: str, code: int = 2) -> None:
    typer.echo(f"错误：{message_zh}\nerror: {message_en}", err=True)
    raise typer.Exit(code)


def _policy(policy_id: str | None = None):
    """The policy from :mod:`huiqi.policies` — with the administrators' changes when a database is configured
    (HUIQI_DATABASE_URL, or the default var/huiqi.db once it exists) — saying on stderr which it applied.
    ``policy_id`` None: the catalogue's default policy; an unknown id exits 2 listing the known ones."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from huiqi import policies

    try:
        policy, source = policies.for_command_line(policy_id)
    except policies.UnknownPolicy as e:
        fail(f"未知的政策“{e.policy_id}”（可选：{'、'.join(e.known)}）",
             f"--policy: unknown policy '{e.policy_id}' (known: {', '.join(e.known)})")
    except PolicyDataError as e:
        fail("政策数据无效", f"policy data is invalid:\n{e}")
    except (ArgumentError, OperationalError) as e:
        fail("无法读取数据库中的参数调整（检查 HUIQI_DATABASE_URL）",
             f"HUIQI_DATABASE_URL: cannot read the administrators' changes: {getattr(e, 'orig', e)}", code=1)
    if policy.changes:
        typer.echo(f"已应用管理员调整 {len(policy.changes)} 项（数据库 {source}）/ applied {len(policy.changes)} "
                   f"administrators' change(s) from {source}:", err=True)
        for c in policy.changes:
            typer.echo(f"  {c.describe()}", err=True)
    return policy


POLICY = typer.Option(None, "--policy", help="政策编号（默认目录中的第一项；见 huiqi policies list）/ policy id")


def _console():
    from rich.console import Console

    from huiqi.cli_usage import output_width

    return Console(highlight=False, soft_wrap=False, width=output_width())


def _echo_json(data) -> None:
    sys.stdout.write(dumps(data) + "\n")


@measures_app.command("list")
def measures_list(fmt: ListFormat = typer.Option(ListFormat.table, "--format", help="table 或 json"),
                  policy_id: str = POLICY) -> None:
    """列出全部30条措施 / list all measures."""
    from huiqi.catalogue.present import measure_dict

    policy = _policy(policy_id)
    if fmt is ListFormat.json:
        _echo_json([measure_dict(policy, m) for m in policy.measures])
        return
    from rich.table import Table

    chapters = {c.number: c.title_zh for c in policy.header.chapters}
    table = Table(title=f"{policy.header.title_zh}（版本 {policy.version}）")
    for col in ("编号", "章", "措施", "牵头单位", "条款"):
        table.add_column(col)
    for m in policy.measures:
        table.add_row(
            m.id,
            chapters[m.chapter][:6],
            f"{m.title_zh}\n[dim]{m.title_en}[/dim]",
            "、".join(d.name for d in m.lead_departments),
            str(len(m.provisions)),
        )
    print_table(table)


@measures_app.command("show")
def measures_show(
    measure_id: str = typer.Argument(..., help="措施编号，如 m07"),
    fmt: ShowFormat = typer.Option(ShowFormat.text, "--format", help="text 或 json"),
    policy_id: str = POLICY,
) -> None:
    """显示一条措施：原文、条款、参数和出处 / show one measure."""
    from huiqi.catalogue.present import display_value, measure_dict

    policy = _policy(policy_id)
    measure = policy.measure(measure_id)
    if measure is None:
        ids = f"{policy.measures[0].id}–{policy.measures[-1].id}"
        fail(f"未找到措施“{measure_id}”（有效编号 {ids}）", f"unknown measure id '{measure_id}' (valid ids are {ids})")
    if fmt is ShowFormat.json:
        _echo_json(measure_dict(policy, measure))
        return
    from rich.markup import escape
    from rich.panel import Panel

    con = _console()
    period = policy.in_force(measure)
    con.print(f"[bold]{measure.id} {escape(measure.title_zh)}[/bold]  {escape(measure.title_en)}")
    con.print(f"牵头单位：{'、'.join(d.name for d in measure.lead_departments)}")
    con.print(f"有效期：{period.start} 至 {period.end}（就高不重复）")
    con.print(Panel(escape(measure.text), title="原文"))
    for p in measure.provisions:
        cap = "（上限）" if p.is_cap else ""
        con.print(f"\n[bold]• {escape(p.title_zh)}[/bold]{cap}  [dim]{p.id} · {p.kind.value} · {p.claimant.value}[/dim]")
        for c in p.conditions:
            con.print(f"    条件 {escape(c.zh)}")
        for name, param in p.parameters.items():
            for v in param.values:
                op = f"{param.comparison.value} " if param.comparison else ""
                con.print(f"    参数 {escape(param.label_zh)}：{op}{escape(display_value(param, v.value))}  [dim]{v.start}–{v.end or '…'}[/dim]")
        if p.referral_note_zh:
            con.print(f"    说明 {escape(p.referral_note_zh)}")
        for s in p.citation:
            con.print(f"    出处 “{escape(s)}”")
    for pool in measure.pools:
        con.print(f"\n资金池 {escape(pool.name_zh)}：¥{pool.total:,.2f}")
    for t in measure.targets:
        con.print(f"目标 {escape(t.label_zh)}")


@app.command("search")
def search(
    query: str = typer.Argument(..., help="中文或英文关键词，如 算力券 / compute voucher"),
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", help="table 或 json"),
    limit: int = typer.Option(10, "--limit", min=1, max=30),
    policy_id: str = POLICY,
) -> None:
    """搜索措施（中文或英文），最相关的在前 / search measures, best first."""
    from huiqi.catalogue.search import QueryError, SearchIndex

    policy = _policy(policy_id)
    try:
        hits = SearchIndex.for_policy(policy).search(query, limit=limit)
    except QueryError as e:
        fail("查询内容为空或过长", f"query: {e}")
    if fmt is ListFormat.json:
        _echo_json({"query": query, "count": len(hits), "results": [h.as_dict() for h in hits],
                    "suggestions": list(hits.suggestions)})
        return
    if not hits:
        typer.echo(f"未找到与“{query}”相关的措施 / no measure matches '{query}'")
        if hits.suggestions:
            typer.echo(f"可换个说法，如 / try: {'、'.join(hits.suggestions)}")
        return
    from rich.markup import escape

    con = _console()
    for h in hits:
        con.print(f"[bold]{h.measure_id}[/bold] {escape(h.title_zh)}  [dim]{escape(h.title_en)}[/dim]")
        con.print(f"    {escape(h.snippet)}")


@policy_app.command("show")
def policy_show(fmt: ShowFormat = typer.Option(ShowFormat.text, "--format"), policy_id: str = POLICY) -> None:
    """政策总则：有效期、就高不重复、解释权和版本 / general provisions and version."""
    from huiqi.catalogue.present import policy_dict

    policy = _policy(policy_id)
    if fmt is ShowFormat.json:
        _echo_json(policy_dict(policy))
        return
    g = policy.header.general
    typer.echo(f"{policy.header.title_zh}（{policy.header.issuer_zh}，{g.issued}）")
    typer.echo(f"版本 {policy.version} · {len(policy.measures)} 条措施 · {sum(len(m.provisions) for m in policy.measures)} 项条款")
    typer.echo(f"有效期：{g.in_force.start} 至 {g.in_force.end}（除有明确执行期限的外）")
    typer.echo(f"重叠政策：{g.overlap.principle_zh}（默认策略 {g.overlap.default_strategy}）")
    typer.echo(f"解释：由各措施牵头单位负责解释；{g.precedence_zh}")


policies_app = typer.Typer(help="本平台承载的政策文件 / the policies this platform serves", no_args_is_help=True)
app.add_typer(policies_app, name="policies")


@policies_app.command("list")
def policies_list(fmt: ListFormat = typer.Option(ListFormat.table, "--format", help="table 或 json")) -> None:
    """列出全部政策及其今天的状态（未施行 / 施行中 / 已失效）/ list the policies with their status today."""
    from huiqi import clock, policies

    try:
        served = policies.catalogue()
    except PolicyDataError as e:
        fail("政策数据无效", f"policy data is invalid:\n{e}")
    today = clock.today()
    rows = []
    for i, p in enumerate(served):
        st = policies.status(p, today)
        rows.append({"id": p.header.id, "default": i == 0, "title_zh": p.header.title_zh, "title_en": p.header.title_en,
                     "issuer_zh": p.header.issuer_zh, "issued": p.header.general.issued,
                     "in_force": {"start": st.start, "end": st.end}, "status": st.as_dict(),
                     "measure_count": len(p.measures), "version": p.version})
    if fmt is ListFormat.json:
        _echo_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"政策文件 policies（{today}）")
    for col in ("编号 id", "名称 title", "发文机关 issuer", "有效期 in force", "状态 status", "措施 measures"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"] + ("（默认）" if r["default"] else ""), r["title_zh"], r["issuer_zh"],
                      f"{r['in_force']['start']} 至 {r['in_force']['end']}",
                      f"{r['status']['label_zh']} {r['status']['label_en']}", str(r["measure_count"]))
    print_table(table)


@policy_app.command("check")
def policy_check(folder: str = typer.Argument(None, help="政策数据目录（默认为默认政策的目录）/ a policy folder (default: the default policy's)")) -> None:
    """校验政策数据文件 / validate a policy folder against the schema."""
    from pathlib import Path

    from huiqi.catalogue import policy_dir
    from huiqi.rules.loader import load_policy

    try:
        policy = load_policy(Path(folder) if folder else policy_dir())
    except PolicyDataError as e:
        fail("政策数据无效", str(e))
    typer.echo(f"OK {policy.header.id} {policy.version}: {len(policy.measures)} measures")


schema_app = typer.Typer(help="数据格式 / JSON Schemas", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


class Strategy(str, Enum):
    highest_only = "highest_only"
    top_up = "top_up"


def _parse_date(value: str | None, field: str):
    import datetime as dt

    if value is None:
        from huiqi import clock

        return clock.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{field} 不是有效日期：{value}（格式 YYYY-MM-DD）", f"{field}: not a valid date '{value}' (use YYYY-MM-DD)")


def _read_profile(path: str, policy=None):
    import json
    from pathlib import Path

    from pydantic import ValidationError

    from huiqi.errors import field_problems
    from huiqi.profile.model import profile_model
    from huiqi.rules.loader import field_path

    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        fail(f"无法读取画像文件 {path}", f"cannot read {path}: {e.strerror}")
    if len(raw) > MAX_PROFILE_BYTES:
        fail(f"画像文件过大（上限 {MAX_PROFILE_BYTES} 字节）", f"{path}: larger than {MAX_PROFILE_BYTES} bytes")
    try:
        data = json.loads(raw, parse_float=__import__("decimal").Decimal)
    except RecursionError:
        fail("画像文件嵌套过深，不是可接受的画像", f"{path}: nested too deeply to be a profile")
    except ValueError as e:
        where = f"（第{e.lineno}行第{e.colno}列）" if hasattr(e, "lineno") else ""
        fail(f"画像文件不是有效的 JSON{where}", f"{path}: not valid JSON: {e}")
    try:
        return profile_model(policy).model_validate(data)  # the policy's event kinds (core + its events.yaml)
    except ValidationError as e:
        problems = field_problems(e.errors())
        fail("画像数据有误，请更正：\n  " + "\n  ".join(p.message("zh") for p in problems),
             "invalid profile (field in the JSON file, then the problem):\n  "
             + "\n  ".join(f"{field_path(err['loc'])}: {p.message('en')}" for err, p in zip(e.errors(), problems)))


MAX_PROFILE_BYTES = 1_000_000


@app.command("evaluate")
def evaluate_cmd(
    profile_path: str = typer.Argument(..., metavar="PROFILE.json", help="申请人画像（JSON）"),
    as_of: str = typer.Option(None, "--as-of", help="计算日期 YYYY-MM-DD（默认今天；政策到期后为到期日）"),
    fmt: ShowFormat = typer.Option(ShowFormat.text, "--format", help="text 或 json"),
    strategy: Strategy = typer.Option(None, "--strategy", help="就高不重复策略：highest_only（默认）或 top_up"),
    show_all: bool = typer.Option(False, "--all", help="列出全部条款，包括不适用的"),
    policy_id: str = POLICY,
) -> None:
    """政策计算器：逐条计算可享受的政策、金额和依据 / evaluate a profile against every provision."""
    from huiqi.engine.evaluate import ProfileError, evaluate

    from huiqi import policies

    day = _parse_date(as_of, "--as-of") if as_of else None
    policy = _policy(policy_id)
    profile = _read_profile(profile_path, policy)
    day = day or policies.default_date(policy)
    try:
        result = evaluate(policy, profile, day, strategy.value if strategy else None)
    except ProfileError as e:
        fail(f"画像数据无效：{e.field}：{e.zh}", f"invalid profile: {e.field}: {e.en}")
    status = policies.answer_status(policy, day)
    if fmt is ShowFormat.json:
        _echo_json({**result.as_dict(), "policy_status": status})
        return
    _print_evaluation(result, show_all, status)


def _print_evaluation(result, show_all: bool, status: dict) -> None:
    """Grouped by status, one line per result, so nothing is cut off in a narrow terminal; the policy's
    state first (an expired policy says so before any figure)."""
    from rich.markup import escape

    from huiqi.money import format_fen

    con = _console()
    con.print(f"[bold]政策状态：{status['label_zh']}[/bold]（有效期 {status['start']} 至 {status['end']}）"
              f" / policy {status['label_en']}")
    if status["note_zh"]:
        con.print(f"[bold yellow]{escape(status['note_zh'])}[/bold yellow]\n[dim]{escape(status['note_en'])}[/dim]")
    strategy_zh = {"highest_only": "只取最高", "top_up": "补差"}[result.strategy]
    con.print(f"[bold]{escape(result.profile_name)}[/bold] · 计算日期 {result.as_of} · 政策版本 {result.policy_version} · 就高不重复：{strategy_zh}")
    groups = {
        "eligible": ("符合", "green", "✓"),
        "expired": ("已过期", "yellow", "…"),
        "referral": ("请咨询牵头单位（原文未规定金额，或只规定上限、由牵头单位评定；不计入合计）", "cyan", "?"),
        "not_eligible": ("不符合", "red", "✗"),
    }
    for status, (label, colour, mark) in groups.items():
        rows = [r for r in result.results if r.status == status]
        if status == "not_eligible" and not show_all:
            rows = [r for r in rows if r.conditions]  # hide rows that are merely not for this applicant
        if not rows:
            continue
        con.print(f"\n[bold {colour}]{label}（{len(rows)}）[/bold {colour}]")
        for r in rows:
            word = {"relief": "  可减免 ", "loan_limit": "  贷款额度最高 "}.get(r.benefit, "  最高 " if r.is_cap else "  ")
            amount = "" if r.amount_fen is None else word + format_fen(r.amount_fen)
            event = f" [{escape(r.event_id)}]" if r.event_id else ""
            if status == "referral" and not show_all:  # one line each: there are many
                ceiling = f"（最高 {format_fen(r.amount_fen)}，由牵头单位评定）" if r.amount_fen else ""
                con.print(f" {mark} {r.provision_id} {escape(r.title_zh)}{ceiling} — {'、'.join(r.lead_departments)}",
                          style="dim")
                continue
            con.print(f" {mark} {r.provision_id} {escape(r.title_zh)}{escape(event)}[bold]{amount}[/bold]")
            con.print(f"     {escape(r.explanation_zh)}", style="dim" if status != "eligible" else None)
            if status == "eligible":
                con.print(f"     依据：“{escape(r.citation[0])}”", style="dim")
            if status == "referral":
                con.print(f"     牵头单位：{'、'.join(r.lead_departments)}", style="dim")
    totals = result.totals()["overall"]  # each kind on its own: a tax not levied is not money received
    up_to = f"（其中“最高”限额 {format_fen(totals['up_to_fen'])}，具体金额经审核确定）" if totals["up_to_fen"] else ""
    con.print(
        f"\n合计：可获资金 [bold]{format_fen(totals['paid_fen'])}[/bold]{up_to}；"
        f"可减免税费 [bold]{format_fen(totals['relief_fen'])}[/bold]；"
        f"可申请贷款额度 [bold]{format_fen(totals['loan_limit_fen'])}[/bold]"
    )


@schema_app.command("profile")
def schema_profile(policy_id: str = POLICY) -> None:
    """申请人画像的 JSON Schema（含该政策自有的事项类型）/ the profile's JSON Schema (with the policy's own kinds of event)."""
    from huiqi import policies
    from huiqi.profile.model import profile_model

    try:
        policy = policies.load(policy_id)
    except policies.UnknownPolicy as e:
        fail(f"未知的政策“{e.policy_id}”（可选：{'、'.join(e.known)}）",
             f"--policy: unknown policy '{e.policy_id}' (known: {', '.join(e.known)})")
    _echo_json(profile_model(policy).model_json_schema())


@app.command("test")
def test_cases(
    files: list[str] = typer.Argument(..., metavar="CASES.yaml", help="测试用例文件（YAML），可多个"),
) -> None:
    """运行政策测试用例（YAML），无需编写 Python / run policy test cases."""
    from pathlib import Path

    from huiqi.engine.cases import in_process_evaluator, load_cases, run_cases

    failures = total = 0
    for f in files:
        try:
            cases = load_cases(Path(f))
        except PolicyDataError as e:
            fail("用例文件无效", str(e))
        try:
            evaluator = in_process_evaluator(cases.policy)
        except LookupError as e:  # policies.UnknownPolicy
            fail(f"用例文件 {f} 的政策无效：{e}", f"{f}: policy: {e}")
        for outcome in run_cases(cases, evaluator):
            total += 1
            if outcome.ok:
                typer.echo(f"通过 PASS  {outcome.case.name}")
            else:
                failures += 1
                typer.echo(f"失败 FAIL  {outcome.case.name}")
                for p in outcome.problems:
                    typer.echo(f"    {p}")
    typer.echo(f"\n{total - failures}/{total} 通过 passed")
    raise typer.Exit(1 if failures else 0)


class Engine(str, Enum):
    duckdb = "duckdb"
    spark = "spark"


class CsvEncoding(str, Enum):  # huiqi.exports.csv_encoding: utf-8 is written with a BOM, gbk as GB18030
    utf8 = "utf-8"
    gbk = "gbk"


CSV_ENCODING = typer.Option(CsvEncoding.utf8, "--encoding",
                            help="CSV 编码：utf-8（带 BOM，默认）或 gbk（GB18030，供旧版 Excel/WPS）/ CSV encoding")


@app.command("synth")
def synth_cmd(
    n: int = typer.Option(..., "--n", min=1, max=100_000_000, help="主体数量 / number of entities"),
    seed: int = typer.Option(..., "--seed", help="随机种子：相同种子生成相同字节 / same seed, same bytes"),
    out: str = typer.Option(..., "--out", help="输出目录（Parquet）/ output folder"),
    policy_id: str = POLICY,
) -> None:
    """生成合成企业登记册（Parquet；事项类型、日期与区县取自所选政策）/ write a synthetic registry for a policy."""
    from pathlib import Path

    from huiqi import policies
    from huiqi.batch.stages import SYNTH_STAGES, Stages, by_step
    from huiqi.batch.synth import SynthError, generate, write

    with Stages(SYNTH_STAGES) as progress:  # a bar on a terminal, a line per stage in a log
        tick = by_step(progress, SYNTH_STAGES)
        try:
            tables = generate(n, seed, policies.load(policy_id), progress=tick)
        except policies.UnknownPolicy as e:
            fail(f"未知的政策“{e.policy_id}”（可选：{'、'.join(e.known)}）",
                 f"--policy: unknown policy '{e.policy_id}' (known: {', '.join(e.known)})")
        except SynthError as e:
            fail(f"合成登记册的设置有误：{e}", str(e))
        paths = write(tables, Path(out), progress=tick)
    for p in paths:
        typer.echo(f"{p}  {tables[p.stem].num_rows} 行 rows")


@app.command("screen")
def screen_cmd(
    registry: str = typer.Argument(None, help="登记册：Parquet/CSV 文件夹或 Excel 工作簿；spark 引擎可为 URI（hdfs://、s3a://、file://）"),
    as_of: str = typer.Option(..., "--as-of", help="计算日期 YYYY-MM-DD"),
    out: str = typer.Option(None, "--out", "--output", help="输出目录；spark 引擎可为 URI / output folder or URI"),
    engine: Engine = typer.Option(Engine.duckdb, "--engine", help="duckdb（单机）或 spark（集群）"),
    strategy: Strategy = typer.Option(None, "--strategy", help="就高不重复策略"),
    spark_master: str = typer.Option(None, "--spark-master", help="Spark master URL（默认 local[*]，或 HUIQI_SPARK_MASTER）"),
    input_database: str = typer.Option(None, "--input-database", help="spark：从此库读取登记册各表（entities、compute_claims 等）"),
    input_tables: list[str] = typer.Option(None, "--input-table", help="spark：登记册表，如 db.entities 或 compute_claims=db.claims（可多次）"),
    output_database: str = typer.Option(None, "--output-database", help="spark：结果写入此库（entitlements、rejects、referral_counts）"),
    output_tables: list[str] = typer.Option(None, "--output-table", help="spark：结果表，如 db.entitlements 或 rejects=db.bad_rows（可多次）"),
    excel: bool = typer.Option(True, "--excel/--no-excel", help="同时写出 Excel 工作簿"),
    excel_rows: bool = typer.Option(False, "--excel-rows", help="工作簿也写出逐行的符合条件明细（默认只写汇总）/ the eligible rows in the workbook too"),
    referral_rows: bool = typer.Option(False, "--referral-rows", help="按主体逐行写出“请咨询”类条款（默认只按区县计数）"),
    policy_id: str = POLICY,
    encoding: CsvEncoding = CSV_ENCODING,
) -> None:
    """免申即享：按同一规则筛查整个登记册 / screen a whole registry."""
    from pathlib import Path

    from huiqi.batch.inputs import RegistryError
    from huiqi.batch.screen import screen
    from huiqi.batch.stages import SCREEN_STAGES, Stages

    day = _parse_date(as_of, "--as-of")
    policy = _policy(policy_id)
    with Stages(SCREEN_STAGES) as tick:  # a moving bar with row counts on a terminal, a line per stage in a log
        try:
            if engine is Engine.spark:
                result = _screen_spark(policy, registry, day, out, strategy, tick, spark_master, referral_rows,
                                       (input_database, input_tables, output_database, output_tables))
            else:
                if not registry or not out or input_database or input_tables or output_database or output_tables:
                    fail("duckdb 引擎需要登记册路径与 --out 输出目录（库表输入输出请用 --engine spark）",
                         "--engine duckdb needs REGISTRY and --out (tables in or out need --engine spark)")
                result = screen(policy, Path(registry), day, Path(out), engine=engine.value,
                                strategy=strategy.value if strategy else None, progress=tick, excel=excel,
                                referral_rows=referral_rows, encoding=encoding.value, excel_rows=excel_rows)
        except RegistryError as e:
            fail("登记册无法读取", str(e))
    typer.echo(f"主体 {result.entities} 个，拒绝 {result.rejected} 行（见 rejects.csv），输出 {result.rows} 行，其中符合 {result.eligible} 行")
    typer.echo(f"entities {result.entities}, rejected rows {result.rejected}, rows {result.rows}, eligible {result.eligible}; "
               f"seconds {', '.join(f'{k} {v:.2f}' for k, v in result.seconds.items())}")
    typer.echo(f"→ {result.out}")


def _screen_spark(policy, registry, day, out, strategy, tick, master, referral_rows, tables):
    """``screen --engine spark``: the registry from a URI and/or tables, the results to a URI and/or tables."""
    import importlib.util

    from huiqi.batch.inputs import RegistryError
    from huiqi.batch.schema import all_tables
    from huiqi.batch.spark import SparkSource, SparkTarget, screen_spark
    from huiqi.batch.spark_io import OUTPUT_TABLES, parse_table_options

    if importlib.util.find_spec("pyspark") is None:
        fail("spark 引擎需要 pyspark：pip install 'huiqi[spark]'（并需 Java 17）",
             "--engine spark needs pyspark: pip install 'huiqi[spark]' (and Java 17)")
    input_database, input_tables, output_database, output_tables = tables
    try:
        source = SparkSource(registry, input_database, parse_table_options(input_tables, all_tables(), "--input-table"))
        target = SparkTarget(out, output_database, parse_table_options(output_tables, OUTPUT_TABLES, "--output-table"))
    except RegistryError as e:
        fail("表名参数有误：" + str(e).split(" / ")[-1], str(e).split(" / ")[0])
    if not (source.uri or source.database or source.tables):
        fail("请给出登记册：路径/URI、--input-database 或 --input-table", "give a registry: a path/URI, --input-database or --input-table")
    if not (target.uri or target.database or target.tables):
        fail("请给出输出位置：--output URI、--output-database 或 --output-table", "give an output: --output URI, --output-database or --output-table")
    return screen_spark(policy, source, day, target, strategy.value if strategy else None, tick, master, referral_rows)


@app.command("simulate")
def simulate_cmd(
    registry: str = typer.Argument(..., help="登记册 / registry (folder or .xlsx)"),
    sets: list[str] = typer.Option(..., "--set", help="参数=新值，如 m07.compute_voucher.rate=0.40 或 m07.compute_voucher_pool=50000000"),
    as_of: str = typer.Option(None, "--as-of", help="计算日期 YYYY-MM-DD（默认今天；政策到期后为到期日）"),
    out: str = typer.Option("simulation", "--out", help="输出目录：simulation.csv / .png / .html"),
    strategy: Strategy = typer.Option(None, "--strategy", help="就高不重复策略"),
    policy_id: str = POLICY,
    encoding: CsvEncoding = CSV_ENCODING,
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", help="table 或 json（金额以分为整数并附 ¥ 文本）"),
) -> None:
    """参数模拟：调整参数后重新筛查并与基线比较 / what-if: re-screen with changed parameters."""
    from decimal import Decimal
    from pathlib import Path

    from huiqi.batch.inputs import RegistryError
    from huiqi.batch.simulate import OverrideError, simulate

    overrides = {}
    for item in sets:
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            fail(f"--set 须写成 参数=值：{item}", f"--set must be PARAM=VALUE: '{item}'")
        overrides[key.strip()] = value.strip()
    from huiqi import policies

    policy = _policy(policy_id)
    day = _parse_date(as_of, "--as-of") if as_of else policies.default_date(policy)
    from huiqi.batch.stages import SIMULATE_STAGES, Stages

    try:
        with Stages(SIMULATE_STAGES) as tick:  # a moving bar with row counts on a terminal, a line per stage in a log
            sim = simulate(policy, Path(registry), overrides, day, Path(out), strategy.value if strategy else None,
                           encoding=encoding.value, progress=tick)
    except OverrideError as e:
        fail(f"--set 无效：{e}", f"--set: {e}")
    except RegistryError as e:
        fail("登记册无法读取", str(e))
    if fmt is ListFormat.json:
        _echo_json(_simulation_json(sim, day, overrides))
        return
    from rich.table import Table

    table = Table(title=f"参数模拟 what-if · {day} · " + "，".join(f"{k}={v}" for k, v in overrides.items()))
    for col in ("条款", "受益主体 前→后", "金额 前", "金额 后", "变化"):
        table.add_column(col)
    for r in sim.rows:
        table.add_row(r["provision_id"], f"{r['recipients_before']}→{r['recipients_after']}",
                      f"¥{r['yuan_before']:,.2f}", f"¥{r['yuan_after']:,.2f}", f"¥{r['yuan_change']:+,.2f}")
    con = _console()
    con.print(table)
    for p in sim.pools:
        con.print(f"资金池 {p['name_zh']}：总额 ¥{p['total_before']:,.2f}→¥{p['total_after']:,.2f}，需求 "
                  f"¥{p['demand_before']:,.2f}→¥{p['demand_after']:,.2f}，用尽日期 {p['runs_out_before'] or '未用尽'}→{p['runs_out_after'] or '未用尽'}")
    total = sum((r["yuan_change"] for r in sim.rows), Decimal(0))
    con.print(f"合计变化 ¥{total:+,.2f}；用时 " + "，".join(f"{k} {v:.2f}s" for k, v in sim.seconds.items()))
    con.print(f"→ {sim.out}/simulation.html")


def _simulation_json(sim, day, overrides: dict) -> dict:
    """The what-if as JSON: every amount as integer fen with its ¥ text (never a float), dates ISO."""
    from huiqi.money import format_fen

    def money(row: dict) -> dict:
        out = {}
        for k, v in row.items():
            if k.startswith(("yuan_", "total_", "demand_")):
                name, fen = k.removeprefix("yuan_"), int(v * 100)
                out[f"{name}_fen"], out[name] = fen, format_fen(fen)
            else:
                out[k] = v
        return out

    return {"as_of": day, "overrides": overrides, "rows": [money(r) for r in sim.rows],
            "pools": [money(p) for p in sim.pools], "out": str(sim.out)}


db_app = typer.Typer(help="数据库 / the workflow database", no_args_is_help=True)
ledger_app = typer.Typer(help="资金台账 / the pools' ledger", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志 / the audit chain", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(audit_app, name="audit")


def _database():
    """The workflow database, migrated to head; a bad HUIQI_DATABASE_URL or an unreachable server exits
    with a message instead of a traceback, because this is the first thing an operator gets wrong."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from huiqi.storage.db import Database, database_url

    url = shown = database_url()
    try:  # only the databases the platform is tested on; another one's driver error would say nothing useful
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        shown = parsed._replace(username=None, password=None).render_as_string()  # no credentials on the screen
    except ArgumentError:
        backend = None
    if backend not in ("sqlite", "postgresql"):
        fail(f"HUIQI_DATABASE_URL 无效：只支持 SQLite（sqlite:///路径）和 PostgreSQL（postgresql+psycopg://用户@主机/库），"
             f"不是“{shown}”",
             f"HUIQI_DATABASE_URL: only sqlite:///PATH or postgresql+psycopg://USER@HOST/DB are supported, not '{shown}'")
    try:
        db = Database()
        db.create_all()
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError) as e:
        fail("HUIQI_DATABASE_URL 无效", f"HUIQI_DATABASE_URL: not a usable database URL ({e})")
    except OperationalError as e:  # a configuration to correct, as a bad URL is: exit 2, no traceback
        reason = str(getattr(e, "orig", e)).strip().splitlines()[0]
        fail(f"无法连接数据库 {shown}（检查 HUIQI_DATABASE_URL 和数据库服务是否运行）",
             f"HUIQI_DATABASE_URL: cannot open {shown}: {reason}")
    return db


@db_app.command("upgrade")
def db_upgrade() -> None:
    """运行数据库迁移并建立政策资金池 / run the migrations and create the policy's pools."""
    from huiqi.storage.db import database_url
    from huiqi.workflow import ledger

    db = _database()
    with db.transaction() as s:
        _policy()  # refuses broken policy data before anything is written
        ledger.ensure_pools(s)  # every policy served
    typer.echo(f"数据库已是最新 / database up to date: {database_url().split('@')[-1]}")


@app.command("demo")
def demo_cmd(
    if_empty: bool = typer.Option(
        False, "--if-empty", help="演示账户已存在或已有申请时不再创建（make run 使用）/ "
                                  "skip when a demo account exists or any application is stored"),
    size: str = typer.Option("full", "--size", help="full：回放整个政策年度（约5万户登记册）；small：3千户（测试用）；"
                                                    "accounts：仅演示账户和几份申请 / full: replay the policy year on "
                                                    "~50,000 entities; small: 3,000 (tests); accounts: accounts only"),
    seed: int = typer.Option(7, "--seed", help="合成城市的随机种子（相同种子得到相同数据）/ the synthetic city's seed"),
) -> None:
    """创建演示数据：回放政策年度，或仅演示账户 / create the demo: replay the policy year, or accounts only."""
    import os

    from huiqi.workflow import demo, replay

    if size not in (*replay.SIZES, "accounts"):
        fail(f"规模（--size）须为 {' / '.join((*replay.SIZES, 'accounts'))} 之一，而不是“{size}”",
             f"--size: one of {', '.join((*replay.SIZES, 'accounts'))}, not '{size}'")
    db = _database()
    with db.transaction() as s:
        found = demo.in_use(s, demo.demo_data())
    if if_empty and (found.existing or found.applications_stored):
        _demo_skipped(found)
        return
    if found.existing:  # without --if-empty, applications of others are no reason to refuse: the demo is added
        fail(f"演示账户“{found.existing[0]}”已存在，未创建演示数据（演示数据只能在没有这些账户的数据库中创建；重来：删除 "
             f"var/huiqi.db 后运行 huiqi db upgrade）", f"demo account '{found.existing[0]}' exists: no demo data created "
             "(the demo needs a database without its accounts; to start again delete var/huiqi.db and run huiqi db upgrade)")
    password = os.environ.get("HUIQI_DEMO_PASSWORD", demo.DEFAULT_PASSWORD)
    if size == "accounts":
        created = demo.seed(db, if_empty=False)
        typer.echo("演示账户 demo accounts: " + "，".join(created.accounts))
        typer.echo(f"密码 password: {password}")
        typer.echo("演示申请 demo applications: " + "；".join(created.applications))
        return
    done = _replay_with_progress(db, size, seed)
    typer.echo("演示账户 demo accounts: " + "，".join(done.accounts))
    typer.echo(f"密码 password: {password}（合成城市的企业账户未设密码 / the city's enterprise accounts have none）")
    _replay_summary(done)


def _replay_with_progress(db, size: str, seed: int):
    """The replay with a progress bar on a terminal (a line per month otherwise)."""
    import sys

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from huiqi.workflow import replay

    if not sys.stderr.isatty():
        seen: set[int] = set()

        def note(i: int, n: int, day) -> None:
            if day.month not in seen:
                seen.add(day.month)
                typer.echo(f"回放 replaying {day:%Y-%m} …", err=True)
        return replay.replay(db, size=size, seed=seed, progress=note)
    with Progress(TextColumn("回放政策年度 replaying the policy year"), BarColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("", total=1)

        def advance(i: int, n: int, day) -> None:
            bar.update(task, completed=i, total=n, description=day.isoformat())
        return replay.replay(db, size=size, seed=seed, progress=advance)


def _replay_summary(done) -> None:
    from huiqi import policies
    from huiqi.workflow.states import STATUS_ZH

    counts = "，".join(f"{STATUS_ZH.get(k, k)} {v}" for k, v in sorted(done.applications.items(), key=lambda kv: -kv[1]))
    typer.echo(f"合成城市 {done.registry:,} 户；免申即享推送 {done.offers:,} 项；申请 {sum(done.applications.values()):,} 份"
               f"（{counts}）；公示异议 {done.objections} 件 / synthetic city of {done.registry:,}, "
               f"{done.offers:,} offers, {sum(done.applications.values()):,} applications")
    for key, day in sorted(done.pool_empty_on.items()):  # the ledger's key <policy>/<pool>: named as the text names it
        policy_id, _, pool_id = key.partition("/")
        pool = next((p for m in policies.load(policy_id).measures for p in m.pools if p.id == pool_id), None)
        zh, en = (pool.name_zh, pool.name_en) if pool else (pool_id, pool_id)
        typer.echo(f"专项资金「{zh}」于 {day} 安排完毕 / the fund '{en}' was used up on {day}")
    if done.demo_applications:
        typer.echo("演示企业的申请 demo applications: " + "；".join(done.demo_applications))
    typer.echo(f"用时 {done.seconds:.1f} 秒 / took {done.seconds:.1f} s")


def _demo_skipped(found) -> None:
    """Say why ``demo --if-empty`` created nothing, and what would create it anyway."""
    if found.existing:
        names = "、".join(found.existing)
        typer.echo(f"演示账户已存在（{names}），未再创建演示数据 / demo accounts exist ({', '.join(found.existing)}): "
                   "no demo data created")
        return
    typer.echo(f"数据库中已有 {found.applications_stored} 份申请，未创建演示数据；如仍要加入演示账户和申请，运行 huiqi demo"
               f"（不加 --if-empty）/ {found.applications_stored} application(s) stored: no demo data created; "
               "to add the demo anyway run huiqi demo (without --if-empty)")


@app.command("offers")
def offers_cmd(
    registry: str = typer.Argument(..., help="登记册 / registry (folder or .xlsx)"),
    as_of: str = typer.Option(..., "--as-of", help="计算日期 YYYY-MM-DD"),
    policy_id: str = POLICY,
) -> None:
    """免申即享：筛查登记册并生成待企业确认的事项 / turn a registry screen into offers."""
    from pathlib import Path

    from huiqi.batch.inputs import RegistryError
    from huiqi.batch.stages import OFFERS_STAGES, Stages
    from huiqi.workflow import offers

    day = _parse_date(as_of, "--as-of")
    policy = _policy(policy_id)  # an unknown --policy exits 2 before anything is written
    db = _database()
    try:
        with Stages(OFFERS_STAGES) as tick, db.transaction() as s:  # a bar on a terminal, a line per stage in a log
            n = offers.create_from_registry(s, Path(registry), day, actor="cli", policy_id=policy.header.id,
                                            progress=tick)
    except RegistryError as e:
        fail("登记册无法读取", str(e))
    typer.echo(f"新增免申即享事项 {n} 项 / {n} new offers")


@app.command("pools")
def pools_cmd(fmt: ListFormat = typer.Option(ListFormat.table, "--format", help="table 或 json")) -> None:
    """资金池余额 / pool balances (¥, two decimals)."""
    from rich.cells import cell_len

    from huiqi.money import format_fen
    from huiqi.workflow import ledger

    db = _database()
    with db.transaction() as s:
        _policy()  # refuses broken policy data before anything is written
        ledger.ensure_pools(s)  # every policy served
        rec = ledger.reconcile(s)
    if fmt is ListFormat.json:  # exact fen for programs, and the ¥ text a person reads
        money = ("total_fen", "reserved_fen", "settled_fen", "available_fen")
        _echo_json([{**p, **{k.removesuffix("_fen"): format_fen(p[k]) for k in money}} for p in rec.pools])
        return
    # plain aligned text, one line a pool: never cut to the terminal's width, easy to grep
    header = ["资金池 pool", "总额 total", "已预留 reserved", "已拨付 settled", "可用 available"]
    rows = [[f"{p['pool_id']} {p['name_zh']}"] + [format_fen(p[k]) for k in
                                                   ("total_fen", "reserved_fen", "settled_fen", "available_fen")]
            for p in rec.pools]
    widths = [max(cell_len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        cells = [r[0] + " " * (widths[0] - cell_len(r[0]))] + \
                [" " * (w - cell_len(c)) + c for c, w in zip(r[1:], widths[1:])]
        typer.echo("  ".join(cells).rstrip())


@ledger_app.command("check")
def ledger_check() -> None:
    """核对台账：余额等于分录之和，已批准申请恰好占用其金额 / reconcile the ledger; exit 1 if it does not balance."""
    from huiqi.workflow import ledger

    db = _database()
    with db.transaction() as s:
        rec = ledger.reconcile(s)
    if rec.ok and not rec.total_mismatches:
        typer.echo(f"台账平衡 ledger balances ({len(rec.pools)} pools)")
        return
    if not rec.ok:
        typer.echo(f"台账不平衡 ledger does not balance: {len(rec.problems)} problem(s)")
    for p in rec.problems:
        typer.echo(f"  不平衡 {p}")
    for p in rec.total_mismatches:
        typer.echo(f"  总额不符 {p}")
    raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(checkpoints: bool = typer.Option(False, "--checkpoints", help="also compare the signed checkpoints "
                                                  "kept outside the database (detects a full rewrite or a cut-off end)")) -> None:
    """校验审计链（哈希、签名，可选检查点），指出第一条被篡改的记录 / verify the audit chain; exit 1 naming the first bad entry."""
    from huiqi.workflow import audit

    db = _database()
    with db.transaction() as s:
        v = audit.verify(s, checkpoints=checkpoints)
        head = audit.head(s)
    if v.ok:
        typer.echo(f"审计链完整 audit chain intact: {v.entries} entries, signed with key {v.key_id or '-'}")
        if v.unsigned:
            typer.echo(f"  其中 {v.unsigned} 条写于启用签名之前（#1–#{v.unsigned}），仅校验哈希 / {v.unsigned} unsigned "
                       f"entries written before a key existed (#1–#{v.unsigned}): checked by hash only")
        if v.checkpoints is not None:
            typer.echo(f"  与 {v.checkpoints} 个库外签名检查点一致 / agrees with {v.checkpoints} checkpoints signed outside "
                       f"the database (latest: #{v.latest_checkpoint})")
        typer.echo(f"链头 head: #{head['seq']} {head['hash']}")
        return
    where = f"broken at entry {v.first_bad}" if v.first_bad is not None else "cannot be trusted"
    typer.echo(f"审计链被改动 audit chain {where}: {v.problem}")
    typer.echo(f"最后一条可信记录 last trusted hash: {v.head}")
    raise typer.Exit(1)


@audit_app.command("public-key")
def audit_public_key() -> None:
    """输出审计签名公钥（交给审计方）/ print the audit key's public half, for auditors (HUIQI_AUDIT_PUBLIC_KEY)."""
    from huiqi.workflow import audit_keys

    key = audit_keys.load()
    if key is None:
        typer.echo("没有审计密钥 no audit key: set HUIQI_AUDIT_KEY_FILE or HUIQI_AUDIT_KEY", err=True)
        raise typer.Exit(2)
    typer.echo(audit_keys.public_pem(key), nl=False)


@audit_app.command("rotate-key")
def audit_rotate_key() -> None:
    """轮换审计签名密钥：旧公钥留在密钥环中，旧记录和检查点照常可验 / rotate the audit signing key; old entries and
    checkpoints still verify through the keyring (HUIQI_AUDIT_KEYRING)."""
    from huiqi.workflow import audit, audit_checkpoints, audit_keys

    db = _database()
    try:
        if audit_keys.load() is None:  # nothing to rotate (and sealing the head must not create a key first)
            raise audit_keys.AuditKeyError(f"no audit key at {audit_keys.key_file()} / 尚无审计密钥")
        audit_checkpoints.checkpoint_now(db.engine)  # the head as it stands, sealed by the old key
        old, new = audit_keys.rotate()
    except audit_keys.AuditKeyError as e:
        typer.echo(f"无法轮换审计密钥 cannot rotate the audit key: {e}", err=True)
        raise typer.Exit(2) from None
    with db.transaction() as s:  # signed by the new key; its checkpoint follows on commit
        audit.append(s, "cli", "audit.rotate_key", f"audit-key/{new.key_id}", "ok",
                     {"old_key_id": old.key_id, "new_key_id": new.key_id, "keyring": str(audit_keys.keyring_file())})
    typer.echo(f"审计密钥已轮换 audit key rotated: {old.key_id} → {new.key_id}")
    typer.echo(f"  新密钥 new key: {audit_keys.key_file()}；旧公钥保存在密钥环 old public key kept in "
               f"{audit_keys.keyring_file()}（请连同新公钥交给审计方 / give it to auditors with the new public key）")


import_app = typer.Typer(help="从 Excel 导入台账 / import a registry from Excel", no_args_is_help=True)
voice_app = typer.Typer(help="政企沟通 / the enterprise-voice channel", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(voice_app, name="voice")
IMPORT_KINDS = {"projects": "import_projects", "lists": "import_list_entries", "progress": "import_commitment_progress"}


def _import(kind: str, file: str, as_user: str, policy_id: str | None = None) -> None:
    """Import one registry workbook as a department user into one policy's records; every row checked on its own."""
    from pathlib import Path

    from sqlalchemy import select

    from huiqi import policies
    from huiqi.delivery import importer
    from huiqi.storage.models import User

    try:
        policy = policies.load(policy_id)
    except policies.UnknownPolicy as e:
        fail(f"未知的政策“{e.policy_id}”（可选：{'、'.join(e.known)}）",
             f"--policy: unknown policy '{e.policy_id}' (known: {', '.join(e.known)})")
    try:
        data = Path(file).read_bytes()
    except OSError as e:
        fail(f"无法读取文件 {file}：{e.strerror}", f"file: cannot read {file}: {e.strerror}")
    db = _database()
    with db.transaction() as s:
        user = s.execute(select(User).where(User.username == as_user)).scalar_one_or_none()
        if user is None:
            fail(f"--as：没有用户“{as_user}”", f"--as: no user '{as_user}'")
        if user.role not in ("reviewer", "admin"):
            fail(f"--as：{as_user} 不是部门用户或管理员", f"--as: {as_user} is not a department user or an administrator")
        result = getattr(importer, IMPORT_KINDS[kind])(s, user, data, policy)
    whole = next((e for e in result.errors if e.row == 0 and e.field == "file"), None)
    if whole is not None and not result.imported:  # not a workbook, or over a limit: nothing was read (exit 2)
        first, _, second = whole.reason.partition(" / ")  # "English / 中文", or "中文 / English" for a limit
        zh, en = (first, second) if "\u4e00" <= first[:1] <= "\u9fff" else (second or first, first)
        fail(f"{file}：{zh}", f"file: {file}: {en}")
    typer.echo(f"已导入 imported: {result.imported} 行 rows")
    for e in result.errors:
        typer.echo(f"  第 {e.row} 行 row {e.row}: {e.field}: {e.reason}")
    if result.errors:
        raise typer.Exit(1)


AS_USER = typer.Option(..., "--as", help="以哪个部门用户导入 / the department user importing")


@import_app.command("projects")
def import_projects(file: str = typer.Argument(..., help=".xlsx"), as_user: str = AS_USER, policy_id: str = POLICY) -> None:
    """导入项目库（新编号新增、已有编号更新）；坏行报告行号和原因，好行全部保留；有坏行时退出码 1 /
    import projects; bad rows named by row, good rows kept; exit 1 if any row was refused."""
    _import("projects", file, as_user, policy_id)


@import_app.command("lists")
def import_lists(file: str = typer.Argument(..., help=".xlsx"), as_user: str = AS_USER, policy_id: str = POLICY) -> None:
    """导入推介清单条目 / import published-list entries; exit 1 if any row was refused."""
    _import("lists", file, as_user, policy_id)


@import_app.command("progress")
def import_progress(file: str = typer.Argument(..., help=".xlsx"), as_user: str = AS_USER, policy_id: str = POLICY) -> None:
    """导入督办任务进展（任务编号、状态、进展情况）/ import commitment progress; exit 1 if any row was refused."""
    _import("progress", file, as_user, policy_id)


@voice_app.command("escalate")
def voice_escalate(today: str = typer.Option(None, "--today", help="YYYY-MM-DD，默认今天 / default today")) -> None:
    """督办：把超过答复期限仍未答复的问题标为已督办（每日运行）/ escalate overdue problems (run daily)."""
    from huiqi.delivery import voice

    day = _date_option(today, "--today")
    with _database().transaction() as s:
        rows = voice.escalate_overdue(s, day)
        for t in rows:
            typer.echo(f"督办 escalated #{t.id} {t.department} 期限 due {t.due_on}：{t.subject}")
    typer.echo(f"共 {len(rows)} 件 / {len(rows)} escalated")


def _date_option(value: str | None, name: str):
    import datetime as dt

    if value is None:
        from huiqi import clock

        return clock.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{name}：“{value}”不是有效日期（YYYY-MM-DD）", f"{name}: '{value}' is not a date (YYYY-MM-DD)")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1, max=64,
                                help="工作进程数，每个进程用一个 CPU 核，生产环境设为核数 / server processes, each on a "
                                     "core of its own: the number of cores in production"),
    access_log: bool = typer.Option(False, "--access-log/--no-access-log",
                                    help="每个请求记一行访问日志（默认不记：通常由前置代理记录；每行约 10–20 微秒 CPU）/ a log "
                                         "line for every request (off by default: the proxy in front usually keeps "
                                         "one; each line costs 10–20 µs of CPU, 1–2 % of an evaluation)"),
) -> None:
    """启动服务（API 与文档 /docs）/ start the web service."""
    import uvicorn

    from huiqi.api.app import server_app

    from huiqi import clock

    _policy()  # refuse to start on broken policy data
    if clock.fixed():
        typer.echo(f"注意：日期固定为 {clock.fixed()}（HUIQI_TODAY，仅用于演示和测试）/ "
                   f"the date is fixed at {clock.fixed()} by HUIQI_TODAY (demonstrations and tests only)", err=True)
    fast = {"access_log": access_log, "log_level": "info"}  # uvloop and httptools: uvicorn picks them itself
    if workers == 1:
        uvicorn.run(server_app(), host=host, port=port, **fast)
    else:  # each process builds its own app (uvicorn needs the factory's import path to start them)
        uvicorn.run("huiqi.api.app:server_app", factory=True, host=host, port=port, workers=workers, **fast)


import huiqi.cli_docs  # noqa: E402,F401  (registers ``huiqi docs …``)
import huiqi.cli_users  # noqa: E402,F401  (registers ``huiqi users …``)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    # ``python -m huiqi.cli`` runs this file as ``__main__``; the groups in cli_docs and cli_users register on
    # the importable ``huiqi.cli`` module's app, so run that one (else ``users`` and ``docs`` would be missing)
    import huiqi.cli as _importable

    _importable.main()
