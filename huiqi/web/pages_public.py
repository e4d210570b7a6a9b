"""Public pages: the catalogue by chapter and by department, a measure beside its original text,
and search as you type. Nothing here needs an account."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi import policies
from huiqi.catalogue.present import display_value
from huiqi.catalogue.search import MAX_QUERY_LENGTH, QueryError, SearchIndex
from huiqi.web import i18n
from huiqi.web import policy_choice as choice
from huiqi.web.auth import page_user
from huiqi.web.render import render

router = APIRouter(include_in_schema=False)

i18n.add({
    "catalogue.title": ("政策目录", "The measures"),
    "catalogue.by_chapter": ("按章节", "By chapter"),
    "catalogue.by_department": ("按牵头单位", "By lead department"),
    "catalogue.lead": ("牵头单位", "Lead departments"),
    "catalogue.provisions": ("{n} 项条款", "{n} provisions"),
    "search.label": ("搜索政策措施", "Search the measures"),
    "search.placeholder": ("如：算力券、小巨人、公积金、新能源汽车", "e.g. compute voucher, little giant, housing fund"),
    "search.submit": ("搜索", "Search"),
    "search.title": ("搜索结果", "Search results"),
    "search.none": ("没有找到相关措施，请换个关键词", "No measure matches; try other words"),
    "search.count": ("找到 {n} 条措施", "{n} measures found"),
    "measure.text": ("政策原文", "Original text (Chinese)"),
    "measure.structured": ("条款与数额", "Provisions and figures"),
    "measure.in_force": ("执行期限", "In force"),
    "measure.lead": ("牵头单位", "Lead departments"),
    "measure.procedure": ("办理流程", "How to apply"),
    "measure.citation": ("原文依据", "The sentence that grants it"),
    "measure.pool": ("专项资金", "Dedicated fund"),
    "measure.targets": ("工作目标", "Targets"),
    "measure.due": ("完成时限", "Due"),
    "measure.cap": ("上限", "ceiling"),
    "measure.claimant": ("申请对象", "Who may claim"),
    "measure.changes": ("参数调整记录", "Changes to the figures"),
    "measure.change_row": ("{date} 起 {param} 调整为 {value}（{reason}）", "{param} is {value} from {date} ({reason})"),
    "measure.calc": ("用政策计算器测算", "Work it out with the calculator"),
    "measure.not_found": ("未找到措施“{id}”（有效编号 {first}–{last}）", "Unknown measure '{id}' (valid ids are {first}–{last})"),
    "policies.title": ("政策文件", "Policies"),
    "policies.intro": ("本平台承载的政策文件及其在 {today} 的状态", "The policies on this platform and their state on {today}"),
    "policies.issuer": ("发文机关", "Issued by"),
    "policies.period": ("有效期", "In force"),
    "policies.status": ("状态", "Status"),
    "policies.measures": ("{n} 条措施", "{n} measures"),
    "policies.other": ("其他政策文件", "Other policies"),
    "status.not_yet": ("未施行", "not yet in force"), "status.in_force": ("施行中", "in force"),
    "status.expired": ("已失效", "expired"),
    "proc.money": ("① 在政策计算器中测算 → ② 登录后提交申请并上传证明材料 → ③ {dept}审核 → ④ 公示 5 个工作日 → ⑤ 财政拨付",
                   "① work it out in the calculator → ② sign in, apply and upload evidence → ③ review by {dept} → ④ public notice for 5 working days → ⑤ payment"),
    "proc.relief": ("符合条件的按规定直接享受（税务部门办理），无需另行申请资金", "Applied directly by the tax office when the conditions are met; no money application"),
    "proc.referral": ("原文未规定具体数额：请向{dept}咨询办理", "The text states no figure: ask {dept}"),
    "kind.fixed_award": ("定额奖补", "fixed award"), "kind.capped_award": ("最高限额奖补", "award up to a ceiling"),
    "kind.share_with_cap": ("按比例补助", "share of spending"), "kind.tax_relief": ("税费减免", "tax relief"),
    "kind.loan_limit": ("贷款额度", "loan limit"), "kind.determination": ("资格认定", "determination"),
    "kind.referral": ("对接服务", "referral"),
})

MONEY_KINDS = {"fixed_award", "capped_award", "share_with_cap"}


_INDEXES: dict[str, SearchIndex] = {}


def _index(policy) -> SearchIndex:
    if policy.header.id not in _INDEXES:
        _INDEXES[policy.header.id] = SearchIndex.for_policy(policy)
    return _INDEXES[policy.header.id]


def _lifecycle(policy) -> dict:
    """The notice's state today (未施行 / 施行中 / 已失效), shown above the catalogue and every measure."""
    from huiqi import clock

    return policies.status(policy, clock.today())


@router.get("/policies")
def policies_page(request: Request) -> Response:
    """Every notice the platform serves, with its state today (未施行 / 施行中 / 已失效)."""
    from huiqi import clock

    page_user(request)
    today = clock.today()
    rows = [(p, policies.status(p, today), choice.query(p.header.id)) for p in policies.catalogue()]
    return render(request, "public/policies.html", rows=rows, today=today)


@router.get("/")
def catalogue(request: Request) -> Response:
    page_user(request)
    policy_id = choice.chosen_id(request)
    policy = policies.load(policy_id)
    chapters = [(ch, [policy.measure(mid) for mid in ch.measures]) for ch in policy.header.chapters]
    by_dept: dict[str, list] = defaultdict(list)
    for m in policy.measures:
        for d in m.lead_departments:
            by_dept[d.name].append(m)
    departments = sorted(by_dept.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return render(request, "public/catalogue.html", policy=policy, chapters=chapters, departments=departments,
                  lifecycle=_lifecycle(policy),
                  pq=choice.query(policy_id), many=len(policies.ids()) > 1, policy_id=policy_id or "")


@router.get("/measures/{measure_id}")
def measure_page(request: Request, measure_id: str) -> Response:
    from huiqi.web.auth import database
    from huiqi import policies
    from huiqi.workflow.parameters import history

    page_user(request)
    policy_id = choice.chosen_id(request)
    with database(request).transaction() as s:  # the figures in force, with administrators' changes
        policy = policies.effective(s, policy_id)
        changes = [c for c in history(s) if c.policy_id == policy.header.id
                   and c.provision_id.startswith(f"{measure_id[:20].lower()}.")]
        for c in changes:
            s.expunge(c)
    measure = policy.measure(measure_id[:20])
    if measure is None:
        lang = i18n.lang_of(request)
        return render(request, "error.html", status_code=404,
                      message=i18n.translate("measure.not_found", lang, id=measure_id[:20],
                                             first=policy.measures[0].id, last=policy.measures[-1].id))
    period = policy.in_force(measure)
    provisions = []
    for p in measure.provisions:
        figures = [(name, param, [(v, display_value(param, v.value)) for v in param.values])
                   for name, param in p.parameters.items()]
        provisions.append((p, figures))
    names = [d.name for d in measure.lead_departments if d.role == "lead"] or [measure.lead_departments[0].name]
    lang = i18n.lang_of(request)
    leads = ("、" if lang == "zh" else ", ").join(i18n.department(n, lang) for n in names)
    return render(request, "public/measure.html", policy=policy, m=measure, period=period, provisions=provisions,
                  lifecycle=_lifecycle(policy),
                  leads=leads, money_kinds=MONEY_KINDS, changes=changes, pq=choice.query(policy_id),
                  pq_more=choice.query(policy_id, first=False))


@router.get("/search")
def search_page(request: Request, q: str = "") -> Response:
    page_user(request)
    policy_id = choice.chosen_id(request)
    policy = policies.load(policy_id)
    q = q.strip()[:MAX_QUERY_LENGTH]
    hits = []
    if q:
        try:
            hits = _index(policy).search(q, limit=30)
        except QueryError:
            hits = []
    return render(request, "public/search.html", q=q, hits=hits, policy=policy, pq=choice.query(policy_id),
                  policy_id=policy_id or "")
