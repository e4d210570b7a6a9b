"""Administration (系统管理), for administrators only: users and roles, and the policy's figures with
their history and a form to change one from a date.

A user is created exactly as the API's ``POST /api/v1/users`` creates one (the same field checks, then
:func:`huiqi.workflow.accounts.create_user`); a parameter change goes through
:func:`huiqi.workflow.parameters.change`, which checks it and writes the audit entry. A refusal shows
the form again (HTTP 200, a 4xx document would log a console error) with a message naming the field,
and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from huiqi import policies
from huiqi.catalogue.present import display_value
from huiqi.web import policy_choice as choice
from huiqi.storage.models import User, utcnow
from huiqi.web import i18n
from huiqi.web.auth import check_csrf, database, require
from huiqi.web.render import render
from huiqi.workflow import accounts

router = APIRouter(include_in_schema=False)

ROLES = ("admin",)

i18n.add({
    "admin.title": ("系统管理", "Administration"),
    "admin.tab.users": ("用户与角色", "Users and roles"),
    "admin.tab.parameters": ("政策参数", "Policy parameters"),
    "admin.sections": ("管理栏目", "Administration sections"),
    "admin.users": ("用户列表", "Users"),
    "admin.users_count": ("共 {n} 个用户", "{n} users"),
    "admin.col.username": ("用户名", "Username"),
    "admin.col.display_name": ("显示名称", "Display name"),
    "admin.col.role": ("角色", "Role"),
    "admin.col.department": ("部门", "Department"),
    "admin.col.credit_code": ("统一社会信用代码", "Credit code"),
    "admin.col.locked": ("锁定", "Locked"),
    "admin.col.created": ("创建时间", "Created"),
    "admin.locked_until": ("锁定至 {at}（北京时间）", "until {at} (Beijing time)"),
    "admin.not_locked": ("否", "no"),
    "admin.col.access": ("账户", "Account"),
    "admin.enable": ("启用/解锁", "Enable / unlock"),
    "admin.disable": ("停用", "Disable"),
    "admin.create": ("新建用户", "Create a user"),
    "admin.field.username": ("用户名", "Username"),
    "admin.field.username_hint": ("3–64 位字母、数字、下划线、连字符或点", "3–64 letters, digits, _ - or ."),
    "admin.field.display_name": ("显示名称（可选）", "Display name (optional)"),
    "admin.field.password": ("初始密码", "Initial password"),
    "admin.field.password_hint": ("至少 10 位", "at least 10 characters"),
    "admin.field.role": ("角色", "Role"),
    "admin.field.department": ("所属部门", "Department"),
    "admin.field.department_hint": ("审核员必选：政策规定的牵头单位之一", "Required for a reviewer: one of the policy's lead departments"),
    "admin.field.department_none": ("（无）", "(none)"),
    "admin.field.credit_code": ("统一社会信用代码", "Unified social credit code"),
    "admin.field.credit_code_hint": ("企业申请人填写，18 位；个人申请人留空", "An enterprise's 18 characters; empty for a resident"),
    "admin.field.provision_id": ("政策条款与参数", "Provision and parameter"),
    "admin.field.parameter": ("政策条款与参数", "Provision and parameter"),
    "admin.field.value": ("新数值", "New value"),
    "admin.field.value_hint": ("比例可写 30% 或 0.30；金额以元为单位，最多两位小数；日期按“年-月-日”填写；多项用“、”分隔",
                               "A ratio as 30% or 0.30; money in yuan, at most two decimals; a date as YYYY-MM-DD; several names separated by 、"),
    "admin.field.effective_from": ("生效日期", "Effective from"),
    "admin.field.reason": ("调整理由", "Reason"),
    "admin.field.reason_hint": ("必填：依据的文件或决定", "Required: the document or decision behind it"),
    "admin.field.form": ("表单", "Form"),
    "admin.create_submit": ("创建用户", "Create the user"),
    "admin.created": ("已创建用户 {username}", "Created user {username}"),
    "admin.refused": ("未保存：{field}：{message}", "Not saved: {field}: {message}"),
    "admin.required": ("必填", "required"),
    "admin.params": ("政策参数及其历史", "Policy parameters and their history"),
    "admin.params_intro": ("下列为当前生效的数值（含管理员调整）。调整自生效日期起适用于新的测算和申请；已提交的申请保留提交时的测算结果。",
                           "The figures in force, with administrators' changes. A change applies to new calculations and applications "
                           "from its date; submitted applications keep the answer frozen at submission."),
    "admin.col.measure": ("措施", "Measure"),
    "admin.col.provision": ("政策条款", "Provision"),
    "admin.col.parameter": ("参数", "Parameter"),
    "admin.col.unit": ("单位", "Unit"),
    "admin.col.legal_term": ("原文用语", "Words of the text"),
    "admin.col.values": ("数值及适用期间", "Values and their dates"),
    "admin.col.action": ("操作", "Action"),
    "admin.adjust": ("调整", "Change"),
    "admin.change": ("调整政策参数", "Change a figure"),
    "admin.change_submit": ("保存调整", "Save the change"),
    "admin.changed": ("已保存：{param} 自 {date} 起为 {value}", "Saved: {param} is {value} from {date}"),
    "admin.history": ("调整记录", "Changes made"),
    "admin.history_none": ("尚无调整记录", "No changes yet"),
    "admin.col.at": ("操作时间（北京时间）", "Made at (Beijing time)"),
    "admin.col.actor": ("操作人", "By"),
    "admin.col.new_value": ("新数值", "New value"),
    "admin.col.from": ("生效日期", "From"),
    "admin.col.reason": ("理由", "Reason"),
    "admin.open_end": ("起", "onwards"),
    "admin.changed_mark": ("管理员调整", "administrator's change"),
    "unit.yuan": ("元", "yuan"), "unit.ratio": ("比例", "ratio"), "unit.count": ("数量", "count"),
    "unit.date": ("日期", "date"), "unit.text_set": ("名单", "list of names"),
})

USER_FIELDS = ("username", "display_name", "password", "role", "department", "credit_code")


def _users(request: Request) -> list[User]:
    with database(request).transaction() as s:
        users = list(s.execute(select(User).order_by(User.role, User.username)).scalars())
        for u in users:
            s.expunge(u)
    return users


def _users_page(request: Request, form: dict[str, str] | None = None, error: tuple[str, str] | None = None,
                created: str | None = None) -> Response:
    return render(request, "admin/users.html", users=_users(request), departments=accounts.known_departments(),
                  roles=accounts.ROLES, form=form or {"role": "reviewer"}, error=error, created=created, now=utcnow())


@router.get("/admin")
def users_page(request: Request, created: str = "") -> Response:
    require(request, ROLES)
    return _users_page(request, created=created[:64] or None)


def _field_of(message: str, default: str = "form") -> str:
    head = message.split(":", 1)[0].strip() if ":" in message else ""
    return head if head in USER_FIELDS else default


@router.post("/admin/users")
async def create_user(request: Request) -> Response:
    from huiqi.api.routes_workflow import NewUser
    from huiqi.standards.uscc import InvalidCreditCode

    user = require(request, ROLES)
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: str(raw.get(k, ""))[:300].strip() for k in USER_FIELDS}
    form["password"] = str(raw.get("password", ""))[:300]  # a password is taken as typed

    def refuse(field: str, message: str) -> Response:
        kept = {k: v for k, v in form.items() if k != "password"}
        return _users_page(request, form=kept, error=(field, message))

    # the page keeps only what the role uses: a reviewer's department, an applicant's credit code
    department = form["department"] if form["role"] == "reviewer" else None
    credit_code = form["credit_code"] if form["role"] == "applicant" else None  # none: a resident applicant
    try:  # the API's own field checks (length, pattern, role), then the account rules
        body = NewUser(username=form["username"], password=form["password"], role=form["role"],
                       display_name=form["display_name"] or None, department=department or None,
                       credit_code=credit_code or None)
    except ValidationError as e:
        from huiqi.errors import field_problems

        first, problem = e.errors()[0], field_problems(e.errors())[0]  # worded by the catalogue, not pydantic
        field = str(first["loc"][0]) if first.get("loc") else "form"
        return refuse(field if field in USER_FIELDS else "form", problem.reason(i18n.lang_of(request)))
    try:
        with database(request).transaction() as s:
            created = accounts.create_user(s, body.username, body.password, body.role, body.display_name,
                                           body.department, body.credit_code, actor=user.username)
            username = created.username
    except InvalidCreditCode as e:
        return refuse("credit_code", str(e))
    except ValueError as e:
        message = str(e)
        field = _field_of(message)
        return refuse(field, message.split(":", 1)[1].strip() if field != "form" else message)
    return RedirectResponse(f"/admin?created={quote(username)}#users", status_code=303)


# -- policy parameters -------------------------------------------------------------------------


def _parameter_rows(policy) -> list[dict[str, Any]]:
    rows = []
    for m in policy.measures:
        for p in m.provisions:
            for i, (name, param) in enumerate(p.parameters.items()):
                rows.append({"measure": m, "provision": p, "name": name, "param": param, "key": f"{p.id}:{name}",
                             "first": i == 0, "span": len(p.parameters),
                             "dated": [(v, display_value(param, v.value)) for v in param.values]})
    return rows


def _parameters_page(request: Request, form: dict[str, str] | None = None, error: tuple[str, str] | None = None,
                     saved: int | None = None, policy_id: str | None = None) -> Response:
    """One policy's figures and their changes; with several policies, links to the others."""
    from huiqi.workflow import parameters

    with database(request).transaction() as s:
        policy = policies.effective(s, policy_id)
        changes = [c for c in parameters.history(s) if c.policy_id == policy.header.id]
        for c in changes:
            s.expunge(c)
    rows = _parameter_rows(policy)
    labels = {r["key"]: r for r in rows}
    just_saved = next((c for c in changes if c.id == saved), None) if saved else None
    lang = i18n.lang_of(request)
    others = [(p.header.id, p.header.title_zh if lang == "zh" else p.header.title_en,
               "/admin/parameters" + choice.query(p.header.id)) for p in policies.catalogue()]
    return render(request, "admin/parameters.html", rows=rows, labels=labels, changes=changes,
                  form=form or {}, error=error, saved=just_saved, policy=policy, policy_id=policy_id or "",
                  others=others if len(others) > 1 else [])


@router.post("/admin/users/{username}/access")
async def set_access(request: Request, username: str) -> Response:
    """停用 / 启用: disabling ends the user's sessions and tokens; enabling also clears a lock-out."""
    from fastapi.responses import RedirectResponse

    admin = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    try:
        with database(request).transaction() as s:
            accounts.set_disabled(s, s.merge(admin), username[:64], form.get("action") == "disable")
    except ValueError as e:
        return _users_page(request, error=(_field_of(str(e), "username"), str(e).split(":", 1)[-1].strip()))
    return RedirectResponse("/admin", status_code=303)


@router.get("/admin/parameters")
def parameters_page(request: Request, key: str = "", saved: str = "") -> Response:
    require(request, ROLES)
    policy_id = choice.chosen_id(request)
    saved_id = int(saved) if saved.isdigit() and len(saved) < 10 else None
    return _parameters_page(request, form={"key": key[:150]} if key else None, saved=saved_id, policy_id=policy_id)


@router.post("/admin/parameters")
async def change_parameter(request: Request) -> Response:
    from huiqi.workflow import parameters

    user = require(request, ROLES)
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: str(raw.get(k, ""))[:2000].strip() for k in ("key", "value", "effective_from", "reason")}
    lang = i18n.lang_of(request)
    provision_id, _, name = form["key"].partition(":")
    try:
        policy_id = choice.chosen_id(request, {"policy": str(raw.get("policy", ""))})
    except choice.NoSuchPolicy:
        return _parameters_page(request, form=form, error=("key", i18n.translate("error.404", lang)))
    try:
        if not form["key"] or not name:
            raise parameters.ChangeRefused("parameter", i18n.translate("admin.required", lang))
        try:
            effective = dt.date.fromisoformat(form["effective_from"])
        except ValueError:
            raise parameters.ChangeRefused("effective_from", "a real date is required (YYYY-MM-DD) / 须填写有效日期") from None
        with database(request).transaction() as s:
            row = parameters.change(s, s.merge(user), provision_id, name, form["value"], effective, form["reason"],
                                    policy_id=policy_id)
            saved = row.id
    except parameters.ChangeRefused as e:
        field = "key" if e.field in ("provision_id", "parameter") else e.field
        return _parameters_page(request, form=form, error=(field, e.message), policy_id=policy_id)
    return RedirectResponse(f"/admin/parameters?saved={saved}{choice.query(policy_id, first=False)}#history",
                            status_code=303)
