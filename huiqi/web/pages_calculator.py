"""政策计算器: a short wizard (who you are → what happened this year → what you get), and one click to apply.

The wizard keeps everything typed in the form itself (fields of other steps ride along as hidden
inputs), so going back and forth never loses a value. The answer page is a GET
(``/calculator/result?p=TOKEN``: the inputs are kept on the server for 30 days under a content hash,
so no figure of the enterprise's is in the address), so the language switch, a reload and the way
back from the login page all show the same calculation.
The engine is called exactly as ``POST /api/v1/evaluate`` calls it, with the same policy (the
administrators' parameter changes included).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from huiqi import clock, policies
from huiqi.web import policy_choice as choice
from huiqi.catalogue.present import display_value
from huiqi.profile.model import ApplicantKind, Profile, profile_model
from huiqi.profile.questions import FAMILIES, STANDING, Asked, Family, Q, asked_for, families_for, family_named
from huiqi.rules.model import Provision
from huiqi.web import i18n
from huiqi.web.auth import LoginRequired, check_csrf, database, page_user
from huiqi.web.render import render
from huiqi.web import service_guide  # noqa: F401 - the 办事指南 global of the benefit cards (and other pages)
from huiqi.web import calculator_claims as claims

router = APIRouter(include_in_schema=False)

MAX_ROWS = 20  # rows of one event family in the wizard
# money is applied for here (a tax relief, a loan limit or a right is had elsewhere: the service refuses them)
APPLY_KINDS = Provision.CLAIMED_KINDS

i18n.add({
    "calc.title": ("政策计算器", "Benefit calculator"),
    "calc.lead": ("回答几个问题，即可知道可享受哪些政策、金额多少、依据哪句原文。", "Answer a few questions to see which benefits apply, how much, and the sentence that grants each."),
    "calc.step": ("第 {n} 步，共 4 步", "Step {n} of 4"),
    "calc.step1": ("申请人信息", "About the applicant"),
    "calc.step2": ("本年度经营和申报事项", "This year's activities to claim for"),
    "calc.step3": ("核对信息", "Check your answers"),
    "calc.step4": ("测算结果", "Results"),
    "calc.to_check": ("下一步：核对信息", "Next: check your answers"),
    "calc.check_lead": ("请核对以下信息。如需修改，点击该项右侧的“修改”；确认无误后查看测算结果。",
                        "Check your answers. To change one, use “Change” beside it; when all is right, see the results."),
    "calc.check_who": ("申请人基本情况", "About the applicant"),
    "calc.check_events": ("今年发生的事项", "What happened this year"),
    "calc.check_none": ("未选择事项（仅按基本情况测算）", "No items chosen (the basic facts only)"),
    "calc.check_confirm": ("确认无误，查看测算结果", "These are right: see the results"),
    "calc.change": ("修改", "Change"),
    "calc.change_what": ("修改{what}", "Change {what}"),
    "calc.not_given": ("未填", "not given"),
    "calc.about_org": ("单位情况", "About the organisation"),
    "calc.kind_changed": ("申请人类型已变更，请补充以下信息后继续。", "The applicant type changed; please answer these questions, then go on."),
    "calc.declaration": ("本单位（本人）承诺：所填信息真实、准确、完整，所附材料合法有效；如有不实，愿承担相应法律责任，并退回已获得的扶持资金。",
                         "We (I) declare that the information given is true, accurate and complete and the documents attached are genuine; if any of it is untrue, we (I) accept the legal consequences and will repay any support received."),
    "calc.declaration_label": ("信用承诺", "Declaration"),
    "calc.declaration_missing": ("请先勾选“信用承诺”，确认所填信息真实、准确、完整后再申请；本次未创建申请。",
                                 "Tick the declaration that the information is true, accurate and complete before applying; no application was created."),
    "calc.next": ("下一步", "Next"),
    "calc.back": ("上一步", "Back"),
    "calc.calculate": ("计算", "Calculate"),
    "calc.update": ("更新事项", "Update the list"),
    "calc.add_row": ("再添加一项", "Add another"),
    "calc.row": ("第 {n} 项", "Item {n}"),
    "calc.families": ("本年度有以下哪些事项？（可多选）", "Which of these did you have this year? (choose any)"),
    "calc.families_hint": ("只需填写所选事项的信息；都不选也可以计算（只按企业基本情况测算）。", "Only the chosen items are asked about; with none, the calculation uses the basic facts only."),
    "calc.choose": ("请选择", "Choose"),
    "calc.unknown": ("不清楚", "Not sure"),
    "calc.yes": ("是", "Yes"),
    "calc.no": ("否", "No"),
    "calc.optional": ("（选填）", "(optional)"),
    "calc.as_of": ("计算日期", "Date of the answer"),
    "calc.as_of_note": ("本政策执行期为 {start} 至 {end}。计算日期默认取今天与政策截止日中较早的一天（{default}）；可改为其他日期。",
                        "The policy runs from {start} to {end}. The date defaults to today or the policy's last day, whichever is earlier ({default}); you may pick another."),
    "calc.errors": ("请更正以下 {n} 处：", "Please correct {n} field(s):"),
    "calc.err.date": ("日期无效（格式如 2025-05-10，且须是真实存在的日期）", "not a valid date (like 2025-05-10, and a day that exists)"),
    "calc.err.bad_link": ("链接中的测算数据无效或已过期（保留30天），请重新填写", "The calculation in the address is not valid or has expired (kept 30 days); please fill in the form again"),
    "calc.event_id": ("事项编号", "Item id"),
    "calc.event_id_hint": ("用于区分同类事项，可不填（自动编号）", "tells items apart; left empty it is numbered for you"),
    "calc.kind": ("申请人类型", "Applicant type"),
    "calc.name": ("名称（企业名称或姓名）", "Name (enterprise or person)"),
    "calc.credit_code": ("统一社会信用代码", "Unified social credit code"),
    "calc.credit_code_hint": ("18 位，单位必填（GB 32100，自动核对校验位）", "18 characters, required for organisations (GB 32100; the check character is verified)"),
    "calc.district": ("所在县（市、区）", "District"),
    "calc.district_none": ("未填", "not given"),
    "calc.industry": ("国民经济行业代码", "Industry code (GB/T 4754)"),
    "calc.industry_hint": ("GB/T 4754-2017，如 6513 应用软件开发；可输入代码或名称查找", "GB/T 4754-2017, e.g. 6513 application software; type a code or name"),
    "calc.size_class": ("企业规模", "Size class"),
    "calc.size_auto": ("不填（按划型标准推算）", "not given (derived from the standard)"),
    "calc.kind.enterprise": ("企业（含个体工商户）", "Enterprise (incl. sole traders)"),
    "calc.kind.individual": ("个人或家庭", "Individual or household"),
    "calc.kind.park_operator": ("园区运营方", "Park operator"),
    "calc.kind.guarantee_institution": ("融资担保机构", "Financing guarantee institution"),
    "calc.kind.procuring_entity": ("采购人", "Procuring entity"),
    "calc.size.micro": ("微型", "Micro"), "calc.size.small": ("小型", "Small"),
    "calc.size.medium": ("中型", "Medium"), "calc.size.large": ("大型", "Large"),
    "calc.summary": ("申请人", "Applicant"),
    "calc.edit": ("修改信息", "Change the answers"),
    "calc.restart": ("重新开始", "Start again"),
    "calc.total": ("可获资金合计", "Money paid in total"),
    "calc.total_up_to": ("其中 {amount} 为“最高”限额，具体金额经审核确定", "of which {amount} are ceilings; the exact sums are set on review"),
    "calc.total_relief": ("可减免税费合计", "Tax and fees not levied in total"),
    "calc.total_relief_note": ("免征或减征的税费，不是发放的资金", "tax or fees you do not pay, not money paid to you"),
    "calc.total_loans": ("可申请贷款额度合计", "Loan limits you may apply for"),
    "calc.total_loans_note": ("贷款额度上限，需按期归还，不是发放的资金", "the most you may borrow, to be repaid; not money paid to you"),
    "calc.amount.relief": ("可减免", "not levied:"),
    "calc.amount.loan_limit": ("可申请贷款额度最高", "loan limit up to"),
    "calc.benefit.money": ("资金", "money paid"),
    "calc.benefit.relief": ("减免", "tax or fee relief"),
    "calc.benefit.loan_limit": ("额度", "loan limit"),
    "calc.benefit.right": ("资格/便利", "right or facilitation"),
    "calc.benefit.referral": ("咨询", "ask the department"),
    "calc.eligible": ("可享受的政策", "Benefits you can claim"),
    "calc.eligible_none": ("按所填信息，暂无可直接兑现的资金或减免。可补充事项后重新计算。", "On these answers nothing is payable directly; add events and calculate again."),
    "calc.referral": ("可咨询办理（原文未规定具体数额，或需部门核实）", "Ask the department (no figure in the text, or it must be checked)"),
    "calc.general": ("其他可咨询的政策（{n} 项，点击展开）", "Other measures to ask about ({n}; open to see)"),
    "calc.not_eligible": ("不符合条件的政策（{n} 项，点击展开查看原因）", "Not eligible ({n}; open to see why)"),
    "calc.status.eligible": ("符合", "eligible"),
    "calc.status.referral": ("咨询办理", "ask"),
    "calc.status.not_eligible": ("不符合", "not eligible"),
    "calc.status.expired": ("已过期", "expired"),
    "calc.cap": ("最高", "up to"),
    "calc.cap_mark": ("上限", "ceiling"),
    "calc.citation": ("原文依据", "The sentence that grants it"),
    "calc.parameters": ("计算参数", "Figures used"),
    "calc.event": ("事项", "Item"),
    "calc.decision_date": ("计算日期", "Date of the answer"),
    "calc.lead_dept": ("牵头单位", "Lead departments"),
    "calc.apply": ("申请", "Apply"),
    "calc.applied": ("已申请（#{id}）", "Applied for (#{id})"),
    "calc.apply_login": ("申请前请先登录；登录后回到本页，再点击“申请”。", "Sign in to apply; you will come back to this page — then click Apply."),
    "calc.apply_ready": ("您已登录。请点击下方标出的“申请”按钮，创建申请。", "You are signed in. Click the marked Apply button below to create the application."),
    "calc.apply_role": ("只有企业或个人申请人账户可以申请。", "Only an applicant account can apply."),
    "calc.apply_failed": ("未能创建申请：{msg}", "The application was not created: {msg}"),
    "calc.json": ("以 JSON 查看（API）", "See it as JSON (API)"),
    "calc.measure_hint": ("已按措施 {id} 预先勾选相关事项。", "The items of measure {id} are ticked for you."),
    "calc.from_mine": ("已载入您企业保存的信息。", "Your enterprise's saved answers are filled in."),
})

# -- the questions: one schema of the event kinds, shared with the explanations (huiqi.profile.questions)

for _f in FAMILIES:
    i18n.add({f"calc.fam.{_f.name}": (_f.zh, _f.en)})

def families_of(policy_id: str | None = None) -> tuple[Family, ...]:
    """The families asked about under a policy: the core kinds of event, then its own (its events.yaml).
    An unknown policy id is the default policy's (a half-filled form does not fail)."""
    try:
        policy = policies.load(policy_id or None)
    except policies.UnknownPolicy:
        policy = policies.load()
    return families_for(policy)


def family_map(policy_id: str | None = None) -> dict[str, Family]:
    return {f.name: f for f in families_of(policy_id)}


def asked(policy_id: str | None, kind: str) -> Asked | None:
    """What the wizard asks an applicant of ``kind`` (derived from what the policy's provisions read); None
    for a kind that is not one (the form is then refused naming the field)."""
    from huiqi.profile.model import ApplicantKind

    if kind not in {k.value for k in ApplicantKind}:
        return None
    try:
        policy = policies.load(policy_id or None)
    except policies.UnknownPolicy:
        policy = policies.load()
    return asked_for(policy, kind)


def asked_of(state: "State") -> Asked | None:
    return asked(state.get("policy") or None, state.get("kind") or "enterprise")


def step1_names(a: Asked | None) -> tuple[str, ...]:
    """The fields of the first step for one kind: the basics, then the standing facts asked of it."""
    return (*BASICS, *STANDING) if a is None else (*a.basics, *(q.name for q in a.standing))


def ask_kinds(policy_id: str | None) -> dict[str, str]:
    """Field of the first step → the applicant kinds it is asked of (space-separated, for ``data-kinds``)."""
    from huiqi.profile.model import ApplicantKind

    out: dict[str, list[str]] = {}
    for k in ApplicantKind:
        for name in step1_names(asked(policy_id, k.value)):
            out.setdefault(name, []).append(k.value)
    return {name: " ".join(kinds) for name, kinds in out.items()}


def _profile_model(policy_id: str | None = None):
    """The policy's profile model (the core one for the default policy or an unknown id)."""
    try:
        return profile_model(policies.load(policy_id or None))
    except policies.UnknownPolicy:
        return Profile


BASICS = ("kind", "name", "credit_code", "district", "industry", "size_class")
BASIC_LABELS = {"kind": "calc.kind", "name": "calc.name", "credit_code": "calc.credit_code", "district": "calc.district",
                "industry": "calc.industry", "size_class": "calc.size_class", "as_of": "calc.as_of"}


def policy_period(policy_id: str | None = None) -> tuple[dt.date, dt.date]:
    period = policies.load(policy_id).header.general.in_force
    return period.start, period.end


def default_as_of(today: dt.date | None = None, policy_id: str | None = None) -> dt.date:
    """Today, or the policy's last day once it has passed (a calculation for 2026 would say "expired")."""
    return policies.default_date(policies.load(policy_id), today)


def _chosen(request: Request, values: dict | None = None) -> str | None:
    """The policy the visitor is working with (``policy`` in the address or the form; None: the default).
    An unknown one falls back to the default rather than failing a half-filled form."""
    try:
        return choice.chosen_id(request, values)
    except choice.NoSuchPolicy:
        return None


def bilingual(message: str, lang: str) -> str:
    """Pick one half of a ``"中文 / English"`` (or ``"English / 中文"``) message."""
    parts = [p.strip() for p in str(message).split(" / ")]
    if len(parts) < 2:
        return str(message)
    zh = [p for p in parts if re.search(r"[\u4e00-\u9fff]", p)]
    en = [p for p in parts if not re.search(r"[\u4e00-\u9fff]", p)]
    chosen = (zh if lang == "zh" else en) or parts
    return " / ".join(chosen)


# -- the form state ------------------------------------------------------------------------------


@dataclass
class State:
    """What the visitor has typed: flat field names (``compute_claims-0-spend``) and the chosen families."""

    values: dict[str, str] = field(default_factory=dict)
    families: list[str] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def rows(self, family: str) -> int:
        try:
            return max(1, min(MAX_ROWS, int(self.values.get(f"{family}-n", "1"))))
        except ValueError:
            return 1


def state_from_form(form) -> State:
    values = {}
    for k, v in form.multi_items():
        if k in ("families", "csrf_token", "action") or not isinstance(v, str) or len(k) > 80:
            continue
        values[k] = v[:1000]
    known = family_map(str(form.get("policy", "")))
    families = [f for f in form.getlist("families") if f in known]
    return State(values, list(dict.fromkeys(families)))


def _yn(v: Any) -> str:
    return "" if v is None else ("yes" if v else "no")


def state_from_profile(profile: dict, policy_id: str | None = None) -> State:
    """The wizard's fields for a stored or linked profile (so it can be changed and calculated again)."""
    values = {k: "" if profile.get(k) is None else str(profile.get(k)) for k in BASICS}
    families = []
    asked = families_of(policy_id)
    for name, q in STANDING.items():  # standing facts, asked on step 1 or with a family
        if profile.get(name) is not None:
            values[name] = _yn(profile[name]) if q.kind in ("bool", "optbool") else str(profile[name])
    for f in asked:
        rows = profile.get(f.name) or []
        if not rows:
            continue
        families.append(f.name)
        values[f"{f.name}-n"] = str(min(len(rows), MAX_ROWS))
        for i, row in enumerate(rows[:MAX_ROWS]):
            values[f"{f.name}-{i}-id"] = str(row.get("id") or "")
            values[f"{f.name}-{i}-date"] = str(row.get("date") or "")
            for q in f.questions:
                v = row.get(q.name)
                values[f"{f.name}-{i}-{q.name}"] = _yn(v) if q.kind in ("bool", "optbool") else ("" if v is None else str(v))
    return State(values, families)


def _clean_money(raw: str) -> str:
    return raw.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace(" ", "")


def _value(q: Q, raw: str) -> Any:
    raw = raw.strip()
    if raw == "":
        return None
    if q.kind in ("bool", "optbool"):
        return {"yes": True, "no": False}.get(raw, raw)
    if q.kind in ("money", "ratio"):
        return _clean_money(raw)
    return raw


def profile_data(state: State, with_events: bool = True) -> dict:
    """The profile as data for Profile.model_validate (unchosen families are left out)."""
    data: dict[str, Any] = {}
    a = asked_of(state)
    for k in (BASICS if a is None else a.basics):  # a question not asked of this kind is left out
        v = state.get(k).strip()
        if v:
            data[k] = v.upper() if k == "credit_code" else v
    data.setdefault("kind", "enterprise")
    for q in (() if a is None else a.standing):
        v = _value(q, state.get(q.name))
        if v is not None:
            data[q.name] = v
    if not with_events:
        return data
    for f in (families_of(state.get("policy")) if a is None else a.families):
        if f.name not in state.families:
            continue
        for q in f.entity:
            v = _value(q, state.get(q.name, q.default))
            if v is not None:
                data[q.name] = v
        rows, taken = [], set()
        n = state.rows(f.name)
        explicit = [state.get(f"{f.name}-{i}-id").strip() for i in range(n)]
        taken.update(x for x in explicit if x)
        counter = 0
        for i in range(n):
            row: dict[str, Any] = {}
            eid = explicit[i]
            if not eid:
                while True:
                    counter += 1
                    eid = f"{f.prefix}{counter}"
                    if eid not in taken:
                        break
                taken.add(eid)
            row["id"] = eid
            d = state.get(f"{f.name}-{i}-date").strip()
            if d:
                row["date"] = d
            for q in f.questions:
                v = _value(q, state.get(f"{f.name}-{i}-{q.name}", ""))
                if v is not None:
                    row[q.name] = v
            rows.append(row)
        data[f.name] = rows
    return data


def _field_name(loc: tuple) -> str:
    loc = tuple(int(x) if isinstance(x, str) and x.isdigit() else x for x in loc)
    if not loc:
        return "credit_code"
    if len(loc) >= 3 and _family(loc[0]) is not None and isinstance(loc[1], int):
        return f"{loc[0]}-{loc[1]}-{loc[2]}"
    return str(loc[0])


def field_label(name: str, lang: str) -> str:
    if name in BASIC_LABELS:
        return i18n.translate(BASIC_LABELS[name], lang)
    parts = name.split("-")
    if len(parts) == 3 and _family(parts[0]) is not None:
        f = _family(parts[0])
        q = next((q for q in f.questions if q.name == parts[2]), None)
        what = {"date": "calc.decision_date", "id": "calc.event_id"}
        label = (q.zh if lang == "zh" else q.en) if q else i18n.translate(what.get(parts[2], "calc.event"), lang)
        if parts[2] == "date":
            label = _date_label(f, lang)
        fam = f.zh if lang == "zh" else f.en
        return f"{fam} · {i18n.translate('calc.row', lang, n=int(parts[1]) + 1)} · {label}"
    q = STANDING.get(name) or next((q for f in FAMILIES for q in f.entity if q.name == name), None)
    return (q.zh if lang == "zh" else q.en) if q else name


def _family(name: object) -> Family | None:
    """A family by its list name: a core one, or one a served policy declares."""
    return family_named(name) if isinstance(name, str) else None


def _date_label(f: Family, lang: str) -> str:
    zh, en = (f.date_zh, f.date_en) if (f.date_zh, f.date_en) != ("日期", "Date") else ("事项日期", "Date")
    return zh if lang == "zh" else en


def explain_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    """Field name → a message in the visitor's language (the first error of each field), worded by the one
    catalogue (:func:`huiqi.errors.field_problems`): the form shows the field's label beside it."""
    from huiqi.errors import field_problems

    out: dict[str, str] = {}
    for e, problem in zip(exc.errors(), field_problems(exc.errors())):
        name = _field_name(tuple(e["loc"]))
        if name not in out:
            out[name] = problem.reason(lang)
    return out


def parse_as_of(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


# -- encoding a profile into an address ------------------------------------------------------------


def canonical(profile: Profile) -> dict:
    """The profile as plain JSON data (exact decimals as strings), without empty lists."""
    data = profile.model_dump(mode="json", exclude_none=True)
    return {k: v for k, v in data.items() if v != []}


KEEP_DAYS = 30


def encode(request: Request, data: dict) -> str:
    """Keep the inputs on the server and return their token for the address (content-addressed: the same
    inputs, the same token; no figure of the enterprise's appears in a link, a log or browser history)."""
    from sqlalchemy import delete

    from huiqi.storage.models import Calculation, utcnow

    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    token = base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest()).decode().rstrip("=")
    with database(request).transaction() as s:
        if s.get(Calculation, token) is None:
            s.execute(delete(Calculation).where(Calculation.created_at < utcnow() - dt.timedelta(days=KEEP_DAYS)))
            s.add(Calculation(token=token, profile_json=raw))
    return token


def decode(request: Request, p: str) -> dict | None:
    """The inputs kept under token ``p`` (None when unknown or expired)."""
    from huiqi.storage.models import Calculation

    if not p or len(p) > 43:
        return None
    with database(request).transaction() as s:
        row = s.get(Calculation, p)
        data = json.loads(row.profile_json) if row is not None else None
    return data if isinstance(data, dict) else None


def result_url(request: Request, data: dict, as_of: dt.date, **extra: str) -> str:
    params = {"p": encode(request, data), "as_of": as_of.isoformat(), **{k: v for k, v in extra.items() if v}}
    return "/calculator/result?" + urlencode(params)


# -- evaluation ------------------------------------------------------------------------------------


def run(request: Request, profile: Profile, as_of: dt.date, policy_id: str | None = None, prior_use=None):
    """The engine as the API runs it: the policy with the administrators' changes, the default strategy.
    ``prior_use``: what the ledger already counts against the applicant's yearly caps (see :func:`results_page`)."""
    from huiqi.api.app import current_policy
    from huiqi.engine.evaluate import evaluate

    policy = current_policy(request, policy_id)
    return policy, evaluate(policy, profile, as_of, None, prior_use=prior_use)


def present(policy, evaluation) -> dict[str, Any]:
    """The results grouped for a page: eligible money first, then referrals, then the rest with reasons."""
    rows = []
    for r in evaluation.results:
        measure = policy.measure(r.measure_id)
        provision = measure.provision(r.provision_id) if measure else None
        params = []
        for name, value in r.parameters.items():
            param = provision.parameters.get(name) if provision else None
            if param is None:
                params.append((name, name, str(value)))
                continue
            try:
                shown = display_value(param, value)
            except Exception:  # a figure of an unexpected shape is shown as it is
                shown = str(value)
            params.append((param.label_zh or name, param.label_en or name, shown))
        rows.append({"r": r, "params": params, "applicable": r.status == "eligible" and r.kind in APPLY_KINDS
                     and r.amount_fen is not None and r.amount_fen > 0})
    eligible = [x for x in rows if x["r"].status == "eligible"]
    eligible.sort(key=lambda x: (not x["applicable"], -(x["r"].amount_fen or 0)))
    referral = [x for x in rows if x["r"].status == "referral" and x["r"].subject != "entity"]
    general = [x for x in rows if x["r"].status == "referral" and x["r"].subject == "entity"]
    rest = [x for x in rows if x["r"].status in ("not_eligible", "expired")]
    return {"eligible": eligible, "referral": referral, "general": general, "rest": rest,
            "totals": evaluation.totals()["overall"]}


def _mark_closed(policy, groups: dict[str, Any]) -> None:
    """No apply button outside a provision's 申报期: say when it was open instead."""
    for x in groups["eligible"]:
        if not x["applicable"]:
            continue
        window = policies.application_window(policy, x["r"].provision_id)
        if not window.contains(clock.today()):
            x["applicable"] = False
            x["closed"] = {"zh": f"申报期为 {window.start} 至 {window.end}，现不受理新申请",
                           "en": f"Applications were accepted from {window.start} to {window.end}; none are taken now"}


def _district_name(code: str | None, lang: str = "zh") -> str:
    from huiqi.standards.divisions import lookup_district

    d = lookup_district(code) if code else None
    if d is None:
        return code or ""
    return f"{d.name_zh}（{code}）" if lang == "zh" else f"{d.words('en')} ({code})"


def _industry_name(code: str | None) -> str:
    from huiqi.standards.industries import lookup

    node = lookup(code) if code else None
    return f"{code} {node.name_zh}" if node else (code or "")


# -- the wizard's pages ----------------------------------------------------------------------------


def _choices() -> dict[str, Any]:
    from huiqi.standards.divisions import districts
    from huiqi.standards.industries import all_industries

    if not hasattr(_choices, "cached"):
        _choices.cached = {
            "kinds": [(k.value, *i18n.MESSAGES[f"calc.kind.{k.value}"]) for k in ApplicantKind],
            "sizes": [(v, *i18n.MESSAGES[f"calc.size.{v}"]) for v in ("micro", "small", "medium", "large")],
            "districts": [(d.code, f"{d.name_zh}（{d.code}）", f"{d.words('en')} ({d.code})") for d in districts()],
            "industries": [(n.code, n.name_zh) for n in all_industries()],
        }
    return _choices.cached


def _families_for_measure(measure_id: str, policy_id: str | None = None) -> list[str]:
    m = policies.load(policy_id).measure(measure_id[:20])
    if m is None:
        return []
    known = family_map(policy_id)
    money = [p.subject for p in m.provisions if p.subject in known and p.kind.value in APPLY_KINDS | {"tax_relief", "loan_limit"}]
    any_events = [p.subject for p in m.provisions if p.subject in known]
    return list(dict.fromkeys(money or any_events))


def _kind_for(families: list[str], policy_id: str | None) -> str:
    """The applicant kind a measure's link starts with: an enterprise, unless the kinds of event it ticks are
    offered only to another kind (a home purchase: a person)."""
    from huiqi.profile.model import ApplicantKind

    offered = {k.value: {f.name for f in asked(policy_id, k.value).families} for k in ApplicantKind}
    fits = [k for k, names in offered.items() if set(families) <= names]
    return "enterprise" if "enterprise" in fits or not fits else fits[0]


def wizard(request: Request, state: State, step: int, errors: dict[str, str] | None = None, note: str = "") -> Response:
    lang = i18n.lang_of(request)
    errors = errors or {}
    policy_id = _chosen(request, state.values)
    if policy_id:
        state.values["policy"] = policy_id  # carried as a hidden field from step to step
    else:
        state.values.pop("policy", None)
    start, end = policy_period(policy_id)
    default = default_as_of(policy_id=policy_id)
    if not state.get("as_of"):
        state.values["as_of"] = default.isoformat()
    a = asked_of(state)
    state.values["asked_kind"] = state.get("kind") or "enterprise"  # whose questions this page shows
    kinds = ask_kinds(policy_id)
    visible = {*kinds, "asked_kind"} if step == 1 else {"as_of"}
    asked = families_of(policy_id) if a is None else a.families
    if step == 2:
        for f in asked:
            visible.update(q.name for q in f.entity)
            visible.add(f"{f.name}-n")
            for i in range(state.rows(f.name)):
                visible.update({f"{f.name}-{i}-id", f"{f.name}-{i}-date", *(f"{f.name}-{i}-{q.name}" for q in f.questions)})
    hidden = [(k, v) for k, v in state.values.items() if k not in visible]
    return render(request, "calculator/wizard.html", step=step, state=state, errors=errors,
                  error_list=[(name, "" if name == "p" else field_label(name, lang), msg) for name, msg in errors.items()],
                  hidden=hidden, families=asked, choices=_choices(), note=note, ask_kinds=kinds,
                  standing=[q for q in STANDING.values() if q.name in kinds], asked=a,
                  start=start, end=end, default_as_of=default, date_label=_date_label,
                  policy=policies.load(policy_id), many=len(policies.ids()) > 1)


@router.get("/calculator")
def calculator(request: Request, measure: str = "", p: str = "", step: int = 1, mine: int = 0, as_of: str = "") -> Response:
    user = page_user(request)
    lang = i18n.lang_of(request)
    state, note, errors = State(), "", {}
    if p:
        data = decode(request, p)
        if data is None:
            errors["p"] = i18n.translate("calc.err.bad_link", lang)
        else:
            state = state_from_profile(data, _chosen(request))
    elif mine and user is not None and user.role == "applicant":
        stored = stored_profile(request, user)
        if stored:
            state, note = state_from_profile(stored), i18n.translate("calc.from_mine", lang)
    if measure and not state.families:
        state.families = _families_for_measure(measure, _chosen(request))
        if state.families:
            note = i18n.translate("calc.measure_hint", lang, id=measure[:20])
            state.values.setdefault("kind", _kind_for(state.families, _chosen(request)))
    if not state.get("kind"):
        state.values["kind"] = "enterprise"
    policy_id = _chosen(request)
    if policy_id:
        state.values["policy"] = policy_id
    if as_of and parse_as_of(as_of):
        state.values["as_of"] = as_of  # back from 核对信息 with the date chosen
    if step not in (1, 2) or errors:
        step = 1
    return wizard(request, state, step, errors, note)


@router.post("/calculator")
async def calculator_post(request: Request) -> Response:
    form = await request.form()
    if page_user(request) is not None:
        check_csrf(request, form)
    lang = i18n.lang_of(request)
    state = state_from_form(form)
    action = str(form.get("action", "next"))
    if action == "back":
        return wizard(request, state, 1)
    if action == "families":
        return wizard(request, state, 2)
    if action.startswith("add:"):
        fam = action[4:]
        if fam in family_map(state.get("policy")):
            state.values[f"{fam}-n"] = str(min(MAX_ROWS, state.rows(fam) + 1))
            if fam not in state.families:
                state.families.append(fam)
        return wizard(request, state, 2)
    if action.startswith("remove:"):
        fam = action[7:]
        if fam in family_map(state.get("policy")) and state.rows(fam) > 1:
            n = state.rows(fam) - 1
            state.values[f"{fam}-n"] = str(n)
            for k in [k for k in state.values if k.startswith(f"{fam}-{n}-")]:
                del state.values[k]
        return wizard(request, state, 2)
    # "next" checks who the applicant is; "calc" checks everything and shows the answers to check
    before = state.get("asked_kind")
    if action == "next" and before and before != state.get("kind") and \
            step1_names(asked(state.get("policy"), before)) != step1_names(asked_of(state)):
        return wizard(request, state, 1, note=i18n.translate("calc.kind_changed", lang))  # without the script
    basics = profile_data(state, with_events=False)
    model = _profile_model(_chosen(request, state.values))
    try:
        model.model_validate(basics)
    except ValidationError as e:
        return wizard(request, state, 1, explain_errors(e, lang))
    if action != "calc":
        return wizard(request, state, 2)
    data = profile_data(state)
    errors = {}
    policy_id = _chosen(request, state.values)
    as_of = parse_as_of(state.get("as_of")) if state.get("as_of").strip() else default_as_of(policy_id=policy_id)
    if as_of is None:
        errors["as_of"] = i18n.translate("calc.err.date", lang)
    try:
        profile = model.model_validate(data)
    except ValidationError as e:
        errors = {**explain_errors(e, lang), **errors}
    if errors:
        step = 1 if any(k in BASICS for k in errors) else 2
        return wizard(request, state, step, errors)
    from huiqi.engine.evaluate import ProfileError

    try:
        run(request, profile, as_of, policy_id)
    except ProfileError as e:
        return wizard(request, state, 2, {_field_name(tuple(re.findall(r"\w+", e.field))): e.zh if lang == "zh" else e.en})
    return RedirectResponse(check_url(request, canonical(profile), as_of, policy=policy_id or ""), status_code=303)


def check_url(request: Request, data: dict, as_of: dt.date, **extra: str) -> str:
    return result_url(request, data, as_of, **extra).replace("/calculator/result?", "/calculator/check?", 1)


def _opened_link(request: Request, p: str, as_of: str):
    """A check or result link's policy, answers and date — or the wizard's first step saying the link is broken."""
    page_user(request)
    policy_id = _chosen(request)
    data = decode(request, p)
    day = parse_as_of(as_of) if as_of else default_as_of(policy_id=policy_id)
    if data is None or day is None:
        bad = wizard(request, State({"kind": "enterprise"}), 1,
                     {"p": i18n.translate("calc.err.bad_link", i18n.lang_of(request))})
        return policy_id, data, day, bad
    return policy_id, data, day, None


@router.get("/calculator/check")
def calculator_check(request: Request, p: str = "", as_of: str = "") -> Response:
    """核对信息: every answer in words, each with a 修改 link back to its question, before the results."""
    from huiqi.web.check_answers import summary

    lang = i18n.lang_of(request)
    policy_id, data, day, bad = _opened_link(request, p, as_of)
    if bad is not None:
        return bad
    try:
        profile = _profile_model(policy_id).model_validate(data)
    except ValidationError as e:
        return wizard(request, state_from_profile(data, policy_id), 1, explain_errors(e, lang))
    a = asked(policy_id, profile.kind.value)
    back = {"p": p, "as_of": day.isoformat(), **({"policy": policy_id} if policy_id else {})}
    sections = summary(profile, a, day, lang, lambda step, name: f"/calculator?{urlencode({**back, 'step': step})}#f-{name}")
    return render(request, "calculator/check.html", sections=sections, step=3,
                  result=result_url(request, canonical(profile), day, policy=policy_id or ""),
                  policy=policies.load(policy_id), many=len(policies.ids()) > 1)


def results_page(request: Request, data: dict, as_of: dt.date, apply: str = "", event: str = "",
                 message: str = "", status_code: int = 200, policy_id: str | None = None) -> Response:
    lang = i18n.lang_of(request)
    try:
        profile = _profile_model(policy_id).model_validate(data)
    except ValidationError as e:
        return wizard(request, state_from_profile(data, policy_id), 1, explain_errors(e, lang))
    from huiqi.engine.evaluate import ProfileError

    history = _history(request, profile, policy_id)  # the signed-in enterprise's own: beside its applications
    if history is not None:
        profile = history["profile"]
    try:
        policy, evaluation = run(request, profile, as_of, policy_id, history["prior"] if history else None)
    except ProfileError as e:
        return wizard(request, state_from_profile(data, policy_id), 2, {"p": e.zh if lang == "zh" else e.en})
    data = canonical(profile)
    start, end = policy_period(policy_id)
    groups = present(policy, evaluation)
    _mark_closed(policy, groups)
    families = family_map(policy_id)
    if history is not None:
        claims.year_caps(groups, policy, history["earlier"], history["ledger"], families, lang)
    return render(request, "calculator/results.html", status_code=status_code, profile=profile, data=data,
                  profile_json=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                  lifecycle=policies.answer_status(policy, as_of),
                  p=encode(request, data), as_of=as_of, groups=groups, apply=apply, event=event,
                  message=message, start=start, end=end, default_as_of=default_as_of(policy_id=policy_id),
                  district_name=_district_name(profile.district, lang), industry_name=_industry_name(profile.industry),
                  applied=history["applied"] if history else {}, policy=policy, policy_id=policy_id or "",
                  event_labels=claims.event_labels(data, families, lang),
                  renumbered=bool(history and history["renumbered"]),
                  pq_more=choice.query(policy_id, first=False), many=len(policies.ids()) > 1)


@router.get("/calculator/result")
def calculator_result(request: Request, p: str = "", as_of: str = "", apply: str = "", event: str = "") -> Response:
    policy_id, data, day, bad = _opened_link(request, p, as_of)
    if bad is not None:
        return bad
    return results_page(request, data, day, apply[:80], event[:64], policy_id=policy_id)


# -- applying --------------------------------------------------------------------------------------


def stored_profile(request: Request, user) -> dict | None:
    from sqlalchemy import select

    from huiqi.storage.models import EnterpriseProfile

    with database(request).transaction() as s:
        row = s.get(EnterpriseProfile, user.credit_code) if user.credit_code else None
        if row is None:
            row = s.execute(select(EnterpriseProfile).where(EnterpriseProfile.user_id == user.id)
                            .order_by(EnterpriseProfile.updated_at.desc())).scalars().first()
        if row is None or row.user_id != user.id:
            return None
        return json.loads(row.profile_json)


def live_applications(request: Request, user, policy_id: str | None = None) -> dict[str, int]:
    """``provision|event`` → id of the applicant's live application for it under one policy (the default when
    None), so a benefit is not applied for twice."""
    from sqlalchemy import select

    from huiqi.storage.models import Application

    if user is None or user.role != "applicant":
        return {}
    with database(request).transaction() as s:
        rows = s.execute(select(Application.id, Application.provision_id, Application.event_id)
                         .where(Application.applicant_id == user.id,
                                Application.policy_id == (policy_id or policies.ids()[0]),
                                Application.status.not_in(["cancelled", "rejected"]))).all()
    return {f"{prov}|{event or ''}": app_id for app_id, prov, event in rows}


def _history(request: Request, profile: Profile, policy_id: str | None = None) -> dict | None:
    """For the signed-in applicant's own profile (None otherwise): its earlier applications under the policy,
    the profile with new claims numbered apart from them (``renumbered``), ``provision|event`` → live
    application id (``applied``), what the ledger counts against its yearly caps (``ledger``) and the part of it
    for claims not in this profile (``prior``, fed to the engine's cap step, which counts the others itself)."""
    from huiqi.workflow import service

    user = page_user(request)
    if user is None or user.role != "applicant" or not profile.credit_code or profile.credit_code != user.credit_code:
        return None
    pid = policy_id or policies.ids()[0]
    with database(request).transaction() as s:
        model = _profile_model(policy_id)
        earlier = claims.earlier_applications(s, user.id, pid, lambda d: canonical(model.model_validate(d)))
        data, renumbered = claims.renumber_claims(canonical(profile), earlier,
                                                  {f.name: f.prefix for f in families_of(policy_id)})
        if renumbered:
            profile = _profile_model(policy_id).model_validate(data)
        ids = {x.id for rows in profile.event_lists().values() for x in rows if x.id}
        in_profile: dict[str, set[str]] = {}
        for e in earlier:
            if e["event_id"] in ids:
                in_profile.setdefault(e["provision_id"], set()).add(e["event_id"])
        ledger_use = service.year_use(s, profile.credit_code, pid)
        prior = service.year_use(s, profile.credit_code, pid, outside=in_profile)
    return {"profile": profile, "renumbered": renumbered, "earlier": earlier, "ledger": ledger_use, "prior": prior,
            "applied": {f"{e['provision_id']}|{e['event_id'] or ''}": e["id"] for e in earlier}}


def save_profile(session, user, data: dict) -> None:
    """Keep the applicant's own profile (by credit code) for the portal."""
    from huiqi.storage.models import EnterpriseProfile, utcnow

    code = data.get("credit_code")
    if not code or code != user.credit_code:
        return
    text = json.dumps(data, ensure_ascii=False)
    row = session.get(EnterpriseProfile, code)
    if row is None:
        session.add(EnterpriseProfile(credit_code=code, user_id=user.id, profile_json=text, updated_at=utcnow()))
    else:
        row.user_id, row.profile_json, row.updated_at = user.id, text, utcnow()


@router.post("/calculator/apply")
async def calculator_apply(request: Request) -> Response:
    from huiqi.workflow import service
    from huiqi.workflow.states import TransitionError

    form = await request.form()
    lang = i18n.lang_of(request)
    provision_id = str(form.get("provision_id", ""))[:80]
    event_id = str(form.get("event_id", ""))[:64] or None
    policy_id = _chosen(request, {"policy": str(form.get("policy", ""))})
    day = parse_as_of(str(form.get("as_of", ""))) or default_as_of(policy_id=policy_id)
    try:
        data = json.loads(str(form.get("profile", "")))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        data = canonical(_profile_model(policy_id).model_validate(data))
    except (ValueError, ValidationError):
        return wizard(request, State({"kind": "enterprise"}), 1, {"p": i18n.translate("calc.err.bad_link", lang)})
    user = page_user(request)
    if user is None:
        raise LoginRequired(result_url(request, data, day, apply=provision_id, event=event_id or "", policy=policy_id or ""))
    check_csrf(request, form)
    if user.role != "applicant":
        return results_page(request, data, day, provision_id, event_id or "", i18n.translate("calc.apply_role", lang),
                            policy_id=policy_id)
    if str(form.get("declaration", "")) != "yes":  # 信用承诺: confirmed on every application, or nothing is stored
        return results_page(request, data, day, provision_id, event_id or "", i18n.translate("calc.declaration_missing", lang),
                            policy_id=policy_id)  # a refused form comes back (200) with the message, as every page form
    try:
        with database(request).transaction() as s:
            me = s.merge(user)
            app = service.create(s, me, data, provision_id, event_id, policy_id=policy_id)
            save_profile(s, me, data)
            app_id = app.id
    except (service.PermissionDenied, service.NotFound, service.Refused, TransitionError, ValueError) as e:
        message = i18n.translate("calc.apply_failed", lang, msg=bilingual(str(e).removeprefix("credit_code: "), lang))
        return results_page(request, data, day, provision_id, event_id or "", message, policy_id=policy_id)
    return RedirectResponse(f"/portal/applications/{app_id}?done=created", status_code=303)
