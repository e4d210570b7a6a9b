"""The public dashboard (数据看板): how the budget pools are used, what has been awarded by measure,
district and month, and how far the policy's targets have been reached. Aggregates only — no name,
no credit code — so anyone may look (government transparency).

Every figure comes from one function, :func:`collect`, so the charts (drawn by ``dashboard.js``
from the JSON in the page), the tables under them and the Excel export (``/dashboard.xlsx``) show
the same numbers. Money is integer fen throughout; the charts get yuan as exact decimal strings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import JSON, Date, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from huiqi import clock, policies
from huiqi.web import policy_choice as choice
from huiqi.money import fen_to_yuan, format_fen
from huiqi.storage.models import Application, ApplicationEvent, LedgerEntry, Pool, TargetProgress
from huiqi.web import files, i18n
from huiqi.web.auth import database, page_user
from huiqi.web.render import render

router = APIRouter(include_in_schema=False)

AWARDED = ("approved", "public_notice", "disbursed")  # statuses whose approved_fen counts as awarded

i18n.add({
    "dash.title": ("数据看板", "Dashboard"),
    "dash.intro": ("专项资金使用、已批准奖补和政策目标完成进度的汇总数据（不含企业和个人信息）。已批准、公示中和已拨付的申请均计入奖补金额。",
                   "Totals of budget-pool use, approved awards and progress against the policy's targets (no enterprise or personal data). "
                   "Approved, in-notice and paid applications count as awarded."),
    "dash.as_of": ("数据截至 {at}", "Figures as of {at}"),
    "dash.xlsx": ("下载 Excel 表格", "Download as Excel"),
    "dash.chart_note": ("图表：{title}（数据见下表）", "Chart: {title} (the figures are in the table below)"),
    "dash.pools": ("专项资金使用情况", "Use of the dedicated funds"),
    "dash.pools_chart": ("已占用额度（已预留＋已拨付）占专项资金总额的比例，按日累计", "Committed money (reserved + paid) as a share of each fund, cumulative by day"),
    "dash.pools_daily": ("专项资金逐日变动", "Fund movements by day"),
    "dash.no_movements": ("暂无专项资金变动记录", "No fund movements yet"),
    "dash.by_measure": ("已批准奖补：按政策措施", "Awards by measure"),
    "dash.by_district": ("已批准奖补：按区县", "Awards by district"),
    "dash.by_month": ("已批准奖补：按批准月份", "Awards by month of approval"),
    "dash.targets": ("政策目标完成进度", "Progress against the policy's targets"),
    "dash.from_registry": ("由项目库自动计算", "computed from the project registry"),
    "dash.voice": ("政企沟通", "Enterprise voice"),
    "dash.voice.raised": ("受理问题", "Problems raised"),
    "dash.voice.answered": ("已答复", "Answered"),
    "dash.voice.on_time": ("按期答复率", "Answered on time"),
    "dash.voice.days": ("平均答复用时（工作日）", "Mean working days to answer"),
    "dash.voice.rating": ("平均满意度（5分制）", "Mean rating (of 5)"),
    "dash.voice.overdue": ("逾期未答复", "Open past the deadline"),
    "dash.no_awards": ("暂无已批准的奖补", "No awards approved yet"),
    "dash.col.pool": ("专项资金", "Fund"),
    "dash.col.total": ("总额", "Total"),
    "dash.col.reserved": ("已预留", "Reserved"),
    "dash.col.settled": ("已拨付", "Paid"),
    "dash.col.committed": ("已占用", "Committed"),
    "dash.col.available": ("可用余额", "Available"),
    "dash.col.share": ("使用比例", "Share used"),
    "dash.col.date": ("日期", "Date"),
    "dash.col.reserve_day": ("当日预留", "Reserved that day"),
    "dash.col.release_day": ("当日释放", "Released that day"),
    "dash.col.settle_day": ("当日拨付", "Paid that day"),
    "dash.col.committed_cum": ("累计已占用", "Committed to date"),
    "dash.col.measure": ("政策措施", "Measure"),
    "dash.col.district": ("区县", "District"),
    "dash.col.month": ("月份", "Month"),
    "dash.col.count": ("项数", "Awards"),
    "dash.col.amount": ("批准金额", "Amount approved"),
    "dash.col.target": ("目标", "Target"),
    "dash.col.goal": ("目标值", "Goal"),
    "dash.col.latest": ("最新填报", "Latest report"),
    "dash.col.reached": ("完成比例", "Reached"),
    "dash.col.reports": ("填报次数", "Reports"),
    "dash.col.due": ("完成时限", "Due"),
    "dash.total_row": ("合计", "Total"),
    "dash.not_reported": ("未填报", "not reported"),
    "dash.unknown_district": ("未注明区县", "District not given"),
    "dash.items": ("{n} 项", "{n} items"),
    "dash.series_amount": ("批准金额（元）", "Approved (yuan)"),
    "dash.series_share": ("使用比例（%）", "Share used (%)"),
    "dash.series_reached": ("完成比例（%）", "Reached (%)"),
    # the units the policy's targets are counted in (the text's own words), for English pages
    "dash.unit.个": ("个", ""), "dash.unit.套": ("套", "units"), "dash.unit.级": ("级", "level"),
})


# -- the figures -------------------------------------------------------------------------------


@dataclass
class PoolRow:
    id: str
    name: str
    total_fen: int
    reserved_fen: int
    settled_fen: int
    measure: str = ""  # 7. 大力支持数实融合: the measure that sets the pool aside
    departments: str = ""  # its lead departments

    @property
    def committed_fen(self) -> int:
        return self.reserved_fen + self.settled_fen

    @property
    def available_fen(self) -> int:
        return self.total_fen - self.committed_fen

    @property
    def share(self) -> Decimal:
        return _percent(Decimal(self.committed_fen), Decimal(self.total_fen))


@dataclass
class PoolDay:
    pool_id: str
    pool_name: str
    day: dt.date
    reserved_fen: int
    released_fen: int
    settled_fen: int
    committed_fen: int  # cumulative: reserves − releases up to the end of the day
    total_fen: int

    @property
    def share(self) -> Decimal:
        return _percent(Decimal(self.committed_fen), Decimal(self.total_fen))


@dataclass
class AwardRow:
    key: str
    label: str
    count: int = 0
    amount_fen: int = 0
    departments: str = ""  # by measure: its lead departments


@dataclass
class TargetRow:
    id: str
    measure_id: str
    label: str
    goal: Decimal | None
    goal_display: str
    latest: Decimal | None
    latest_display: str
    reached: Decimal | None  # percent, one decimal
    reports: int
    due: dt.date
    from_registry: bool = False  # computed from the project registry, not reported
    measure: str = ""  # 17. …: the measure that sets the target
    departments: str = ""  # its lead departments


@dataclass
class Dashboard:
    pools: list[PoolRow] = field(default_factory=list)
    pool_days: list[PoolDay] = field(default_factory=list)
    by_measure: list[AwardRow] = field(default_factory=list)
    by_district: list[AwardRow] = field(default_factory=list)
    by_month: list[AwardRow] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(clock.BEIJING).replace(microsecond=0, tzinfo=None))

    @property
    def awarded_count(self) -> int:
        return sum(r.count for r in self.by_measure)

    @property
    def awarded_fen(self) -> int:
        return sum(r.amount_fen for r in self.by_measure)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (part * 100 / whole).quantize(Decimal("0.1"))


def _pick(lang: str, zh: str | None, en: str | None) -> str:
    return (en or zh or "") if lang == "en" else (zh or en or "")


def _district_name(code: object, lang: str) -> tuple[str, str]:
    """(key, name) for a profile's district code: the current county's name; unknown codes as given."""
    from huiqi.standards.divisions import county_of, lookup_district

    if not code:
        return "", i18n.translate("dash.unknown_district", lang)
    code = str(code)
    try:
        district = county_of(code) or lookup_district(code)
        if district is not None and district.historical and district.successor:
            district = lookup_district(district.successor) or district
    except ValueError:
        district = None
    if district is None:
        return code, code
    return district.code, district.words(lang)


def _target_value_display(value: Decimal | None, unit: str, lang: str = "zh") -> str:
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{(value * 100).normalize():f}%"
    words = i18n.translate(f"dash.unit.{unit}", lang) if f"dash.unit.{unit}" in i18n.MESSAGES else unit
    return f"{value.normalize():,f} {words}".rstrip()  # 30,000 套 / 30,000 units


# -- the sums, in SQL (SQLite and PostgreSQL) ---------------------------------------------------------


def _day(column, dialect: str):
    """The calendar day of a stored timestamp, as a date on both databases."""
    return type_coerce(func.date(column), Date) if dialect == "sqlite" else cast(column, Date)


def _month(column, dialect: str):
    """``YYYY-MM`` of a stored timestamp."""
    return func.strftime("%Y-%m", column) if dialect == "sqlite" else func.to_char(column, "YYYY-MM")


def _profile_field(name: str, dialect: str):
    """One top-level field of the stored profile (JSON text) as the database reads it: a string on PostgreSQL,
    the JSON value's own type on SQLite (``str()`` of either is the same code)."""
    if dialect == "sqlite":
        return func.json_extract(Application.profile_json, f"$.{name}")
    return func.json_extract_path_text(cast(Application.profile_json, JSON), name)


def pool_moves(session: Session, pool_ids: list[str]) -> list[tuple[str, dt.date, str, int]]:
    """(pool, day, kind, fen) for every day a pool's money moved: the ledger summed by the database."""
    if not pool_ids:
        return []
    day = _day(LedgerEntry.at, session.get_bind().dialect.name)
    rows = session.execute(select(LedgerEntry.pool_id, day, LedgerEntry.kind, func.sum(LedgerEntry.amount_fen))
                           .where(LedgerEntry.pool_id.in_(pool_ids))
                           .group_by(LedgerEntry.pool_id, day, LedgerEntry.kind)).all()
    return [(pool_id, d, kind, int(amount)) for pool_id, d, kind, amount in rows]  # PostgreSQL sums bigint as numeric


@dataclass
class AwardSums:
    by_measure: list[tuple[str, int, int]]  # (measure id, awards, fen)
    by_district: list[tuple[object, int, int]]  # (the profile's district code as stored, awards, fen)
    by_month: list[tuple[str, int, int]]  # (YYYY-MM of the approval, awards, fen), in month order


def award_sums(session: Session, policy_id: str) -> AwardSums:
    """Awards (approved, in notice or paid) counted and summed by measure, by the applicant's district and by the
    month of approval (the last 批准 in the timeline; when there is none, the last change), one GROUP BY each.
    tests/workflow/test_pages_in_sql.py checks them against a plain sum over the rows on both databases."""
    dialect = session.get_bind().dialect.name
    awarded = (Application.status.in_(AWARDED), Application.policy_id == policy_id)
    count, amount = func.count(), func.coalesce(func.sum(func.coalesce(Application.approved_fen, 0)), 0)

    def grouped(key, *joins) -> list[tuple]:
        q = select(key, count, amount).select_from(Application)
        for target, on in joins:
            q = q.outerjoin(target, on)
        return [(k, int(n), int(fen)) for k, n, fen in session.execute(q.where(*awarded).group_by(key)).all()]

    last = (select(ApplicationEvent.application_id, func.max(ApplicationEvent.id).label("event_id"))
            .where(ApplicationEvent.to_status == "approved").group_by(ApplicationEvent.application_id).subquery())
    approval = ApplicationEvent.__table__.alias("approval")
    month = _month(func.coalesce(approval.c.at, Application.updated_at), dialect)
    return AwardSums(
        by_measure=grouped(Application.measure_id),
        by_district=grouped(_profile_field("district", dialect)),
        by_month=sorted(grouped(month, (last, last.c.application_id == Application.id),
                                (approval, approval.c.id == last.c.event_id))))



def collect(session: Session, lang: str = "zh", policy_id: str | None = None) -> Dashboard:
    """Every figure of one policy's dashboard (the default policy when None), read in one transaction."""
    policy = policies.load(policy_id)
    out = Dashboard()
    names = {key: _pick(lang, p.name_zh, p.name_en) for key, p in policies.pools_of(policy)}
    sep = "、" if lang == "zh" else "; "
    measures = {m.id: (f"{m.number}. {_pick(lang, m.title_zh, m.title_en)}",
                       sep.join(d.words(lang) for d in m.lead_departments)) for m in policy.measures}
    pool_measure = {policies.pool_key(policy, p.id): m.id for m in policy.measures for p in m.pools}
    pools = session.execute(select(Pool).where(Pool.policy_id == policy.header.id).order_by(Pool.id)).scalars().all()
    for p in pools:
        measure, departments = measures.get(pool_measure.get(p.id, ""), ("", ""))
        out.pools.append(PoolRow(p.id, names.get(p.id, p.name_zh), p.total_fen, p.reserved_fen, p.settled_fen,
                                 measure, departments))
    totals = {p.id: p.total_fen for p in pools}

    # (a) pool use over time: reserve adds to committed, release takes it away, settle moves reserved to paid
    moves: dict[tuple[str, dt.date], dict[str, int]] = defaultdict(lambda: {"reserve": 0, "release": 0, "settle": 0})
    for pool_id, day, kind, amount in pool_moves(session, list(totals)):
        moves[(pool_id, day)][kind] += amount
    running: dict[str, int] = defaultdict(int)
    for (pool_id, day) in sorted(moves, key=lambda k: (k[1], k[0])):
        m = moves[(pool_id, day)]
        running[pool_id] += m["reserve"] - m["release"]
        out.pool_days.append(PoolDay(pool_id, names.get(pool_id, pool_id), day, m["reserve"], m["release"], m["settle"],
                                     running[pool_id], totals.get(pool_id, 0)))

    # (b)–(d) awards, counted and summed by the database (a year holds ~2,000 applications)
    sums = award_sums(session, policy.header.id)
    by_measure: dict[str, AwardRow] = {}
    for measure_id, count, amount in sums.by_measure:
        label, departments = measures.get(measure_id, (measure_id, ""))
        by_measure[measure_id] = AwardRow(measure_id, label, count, amount, departments)
    by_district: dict[str, AwardRow] = {}
    for code, count, amount in sums.by_district:  # two codes may name one county (a renamed district)
        key, name = _district_name(code, lang)
        row = by_district.setdefault(key, AwardRow(key, name))
        row.count, row.amount_fen = row.count + count, row.amount_fen + amount
    measure_order = {m.id: i for i, m in enumerate(policy.measures)}
    out.by_measure = sorted(by_measure.values(), key=lambda r: measure_order.get(r.key, 999))
    out.by_district = sorted(by_district.values(), key=lambda r: (-r.amount_fen, r.key))
    out.by_month = [AwardRow(month, month, count, amount) for month, count, amount in sums.by_month]

    # (e) targets: the latest report against the goal (a list of named items counts its items)
    reported = session.execute(select(TargetProgress.target_id, func.count(), func.max(TargetProgress.id))
                               .where(TargetProgress.policy_id == policy.header.id)
                               .group_by(TargetProgress.target_id)).all()
    last = dict(session.execute(select(TargetProgress.id, TargetProgress.value)
                                .where(TargetProgress.id.in_([r[2] for r in reported]))).all()) if reported else {}
    reports = {target_id: (count, last[last_id]) for target_id, count, last_id in reported}  # (reports, latest value)
    from huiqi.delivery.targets import computed

    registry = {f.target_id: f for f in computed(session, policy)}  # targets with computed_from
    for m in policy.measures:
        for t in m.targets:
            goal = t.value if t.value is not None else (Decimal(len(t.items)) if t.items else None)
            unit = t.unit
            latest = None
            if t.id in registry:
                latest = Decimal(registry[t.id].actual)
                reached = _percent(latest, goal) if goal else None
                out.targets.append(TargetRow(
                    t.id, m.id, _pick(lang, t.label_zh, t.label_en), goal, _target_value_display(goal, unit, lang),
                    latest, _target_value_display(latest, unit, lang), reached, 0, t.due, True, *measures[m.id]))
                continue
            count, value = reports.get(t.id, (0, None))
            if count:
                try:
                    latest = Decimal(value)
                except (InvalidOperation, TypeError):
                    latest = None
            reached = _percent(latest, goal) if (latest is not None and goal) else None
            out.targets.append(TargetRow(
                t.id, m.id, _pick(lang, t.label_zh, t.label_en), goal, _target_value_display(goal, unit, lang),
                latest, _target_value_display(latest, unit, lang) if latest is not None else i18n.translate("dash.not_reported", lang),
                reached, count, t.due, False, *measures[m.id]))
    return out


# -- the chart data (yuan as exact strings; the tables carry the same figures) --------------------


def _yuan(fen: int) -> str:
    return str(fen_to_yuan(fen))


def chart_data(d: Dashboard, lang: str) -> dict:
    t = lambda key, **v: i18n.translate(key, lang, **v)  # noqa: E731
    days = sorted({pd.day for pd in d.pool_days})
    if days:  # the day before the first movement, when nothing was committed: the line starts from zero
        days.insert(0, days[0] - dt.timedelta(days=1))
    series = []
    for p in d.pools:
        own = {pd.day: pd for pd in d.pool_days if pd.pool_id == p.id}
        if not own:
            continue
        points, last = [], None
        for day in days:
            last = own.get(day, last)
            committed = last.committed_fen if last else 0
            share = _percent(Decimal(committed), Decimal(p.total_fen))
            points.append({"value": str(share), "committed": format_fen(committed),
                           "total": format_fen(p.total_fen)})
        series.append({"name": p.name, "data": points})

    def awards(rows: list[AwardRow]) -> dict:
        return {"labels": [r.label for r in rows], "yuan": [_yuan(r.amount_fen) for r in rows],
                "display": [format_fen(r.amount_fen) for r in rows], "counts": [r.count for r in rows]}

    shown = [r for r in d.targets if r.goal is not None]
    return {
        "lang": lang,
        "text": {"share": t("dash.series_share"), "amount": t("dash.series_amount"), "reached": t("dash.series_reached"),
                 "committed": t("dash.col.committed"), "total": t("dash.col.total"), "count": t("dash.col.count"),
                 "latest": t("dash.col.latest"), "goal": t("dash.col.goal"), "empty": t("dash.no_awards"),
                 "no_movements": t("dash.no_movements")},
        "pools": {"days": [day.isoformat() for day in days], "series": series},
        "by_measure": awards(d.by_measure),
        "by_district": awards(d.by_district),
        "by_month": awards(d.by_month),
        "targets": {"labels": [r.label for r in shown], "ids": [r.id for r in shown],
                    "reached": [str(r.reached) if r.reached is not None else "0" for r in shown],
                    "latest": [r.latest_display for r in shown], "goal": [r.goal_display for r in shown]},
    }


def _json_for_script(data: dict) -> Markup:
    """JSON safe inside <script type="application/json"> (no closing tag can be formed)."""
    text = json.dumps(data, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@router.get("/dashboard")
def dashboard(request: Request) -> Response:
    page_user(request)
    lang = i18n.lang_of(request)
    from huiqi.delivery import voice

    from huiqi.delivery import features

    policy_id = choice.chosen_id(request)
    policy = policies.load(policy_id)
    with database(request).transaction() as s:
        d = collect(s, lang, policy_id)
        voice_figures = (voice.stats(s, clock.today(), policy)  # this policy's tickets only
                         if features.has("voice_channel", policy) else None)
    return render(request, "dashboard/index.html", d=d, data_json=_json_for_script(chart_data(d, lang)),
                  voice=voice_figures, policy=policy, many=len(policies.ids()) > 1,
                  xlsx_query=("?policy=" + policy_id) if policy_id else "")


# -- Excel --------------------------------------------------------------------------------------

def workbook(d: Dashboard) -> bytes:
    """One sheet per table, Chinese headers, amounts as exact yuan with a ¥ number format (:mod:`huiqi.exports`);
    measures, departments and districts by their names, never their ids (people read it)."""
    from huiqi import exports

    wb = exports.new_workbook()

    def sheet(title: str, headers: list[str], rows: list[list], widths: dict[int, int] | None = None) -> None:
        exports.write_sheet(wb, title, headers, rows, widths)

    y = exports.yuan
    sheet("专项资金", ["专项资金", "政策措施", "牵头部门", "总额", "已预留", "已拨付", "已占用", "可用余额", "使用比例（%）"],
          [[p.name, p.measure, p.departments, y(p.total_fen), y(p.reserved_fen), y(p.settled_fen), y(p.committed_fen),
            y(p.available_fen), p.share] for p in d.pools], {1: 36, 2: 36, 3: 36})
    sheet("专项资金逐日", ["日期", "专项资金", "当日预留", "当日释放", "当日拨付", "累计已占用", "总额", "使用比例（%）"],
          [[pd.day, pd.pool_name, y(pd.reserved_fen), y(pd.released_fen), y(pd.settled_fen),
            y(pd.committed_fen), y(pd.total_fen), pd.share] for pd in d.pool_days], {2: 36})
    body = [[r.label, r.departments, r.count, y(r.amount_fen)] for r in d.by_measure]
    body.append(["合计", "", d.awarded_count, y(d.awarded_fen)])
    sheet("按政策措施", ["政策措施", "牵头部门", "项数", "批准金额"], body, {1: 40, 2: 36, 4: 20})
    for title, head, rows in (("按区县", "区县", d.by_district), ("按月份", "月份", d.by_month)):
        body = [[r.label, r.count, y(r.amount_fen)] for r in rows]
        body.append(["合计", sum(r.count for r in rows), y(sum(r.amount_fen for r in rows))])
        sheet(title, [head, "项数", "批准金额"], body, {1: 40, 3: 20})
    sheet("目标进度", ["政策措施", "目标", "牵头部门", "目标值", "最新填报", "完成比例（%）", "填报次数", "完成时限"],
          [[r.measure, r.label, r.departments, r.goal_display, r.latest_display if r.latest is not None else "未填报",
            r.reached, r.reports, r.due] for r in d.targets], {1: 36, 2: 60, 3: 36})
    return exports.to_bytes(wb)


@router.get("/dashboard.xlsx")
def dashboard_xlsx(request: Request) -> Response:
    policy_id = choice.chosen_id(request)
    with database(request).transaction() as s:
        d = collect(s, "zh", policy_id)
    return files.xlsx(workbook(d), "huiqi-dashboard.xlsx")
