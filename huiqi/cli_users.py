"""``huiqi users …``: the administrator's account commands (create, list, disable, enable, reset-password, token).

Kept apart from :mod:`huiqi.cli` so the account commands read as one piece; the rules themselves live in
:mod:`huiqi.workflow.accounts` (the web page's administrator uses the same functions). A password is never
an argument (it would sit in the shell's history): it comes from HUIQI_PASSWORD, or a hidden prompt when a
terminal is there to type it in; without either the command exits 2 saying so, instead of hanging or aborting.
"""

from __future__ import annotations

import os
import re
import sys

import typer

from huiqi import messages
from huiqi.cli import ListFormat, _database, _echo_json, app, fail
from huiqi.cli_usage import print_table

users_app = typer.Typer(help="用户账户 / user accounts", no_args_is_help=True)
app.add_typer(users_app, name="users")

messages.add({
    "cli.users.no_terminal": ("没有可输入密码的终端：请用环境变量 HUIQI_PASSWORD 提供密码（至少{n}位）",
                              "password: no terminal to type it in — set HUIQI_PASSWORD (at least {n} characters)"),
    "cli.users.mismatch": ("两次输入的密码不一致，未作更改", "password: the two entries differ; nothing changed"),
    "cli.users.no_user": ("没有用户“{username}”（可用 huiqi users list 查看）",
                          "username: no user '{username}' (see huiqi users list)"),
    "cli.users.taken": ("用户名“{username}”已被使用", "username: '{username}' is taken"),
    "cli.users.short_password": ("密码至少{n}位", "password: at least {n} characters"),
    "cli.users.self": ("不能停用自己的账户", "username: an administrator cannot disable their own account"),
    "cli.users.disabled": ("已停用 {username}：其登录会话和 API 令牌已全部失效",
                           "disabled {username}: its sessions and API tokens no longer open anything"),
    "cli.users.enabled": ("已启用 {username}", "enabled {username}"),
    "cli.users.password_set": ("已重设 {username} 的密码，其登录会话已结束",
                               "password reset for {username}; its browser sessions have ended"),
    "cli.users.token": ("已为 {username} 签发 API 令牌“{name}”，{until}；令牌只显示这一次，请妥善保存",
                        "issued API token '{name}' for {username}, {until_en}; it is shown only this once"),
    "cli.users.token_disabled": ("账户 {username} 已停用或锁定，不签发令牌（先 huiqi users enable）",
                                 "{username} is disabled or locked: no token issued (huiqi users enable first)"),
    "cli.users.until": ("有效期至 {at}（北京时间）", "valid until {at} (Beijing time)"),
    "cli.users.forever": ("长期有效（直至账户停用）", "valid until the account is disabled"),
    "cli.users.none": ("还没有用户（可用 huiqi users create 或 huiqi demo 创建）",
                       "no users yet (huiqi users create, or huiqi demo)"),
    "cli.users.status.active": ("启用", "active"),
    "cli.users.status.disabled": ("已停用", "disabled"),
    "cli.users.status.locked": ("锁定至 {at}", "locked until {at}"),
})

USERNAME = typer.Argument(..., help="用户名 / username")


def _fail(key: str, **values) -> None:
    zh, en = messages.both(key, **values)
    fail(zh, en)


def _account_error(e: ValueError, username: str) -> None:
    """The accounts service's refusal ("field: …"), said in the catalogue's words, Chinese first; exit 2."""
    from huiqi.workflow import accounts

    text = str(e)
    if "is taken" in text:
        _fail("cli.users.taken", username=username)
    if "no user" in text:
        _fail("cli.users.no_user", username=username)
    if text.startswith("password:"):
        _fail("cli.users.short_password", n=accounts.MIN_PASSWORD)
    if "own account" in text:
        _fail("cli.users.self")
    from huiqi.errors import split_bilingual

    zh, en = split_bilingual(text)
    fail(zh, text if en == zh else en)


def _password() -> str:
    """HUIQI_PASSWORD, else a hidden prompt typed twice on a terminal, else exit 2 saying how to give one."""
    from huiqi.workflow import accounts

    given = os.environ.get("HUIQI_PASSWORD")
    if given:
        return given
    if not sys.stdin.isatty():
        _fail("cli.users.no_terminal", n=accounts.MIN_PASSWORD)
    password = typer.prompt("密码 password", hide_input=True)
    if typer.prompt("再次输入密码 repeat password", hide_input=True) != password:
        _fail("cli.users.mismatch")
    return password


def _check_user_fields(role: str, department: str | None, credit_code: str | None) -> str | None:
    """Refuse bad input before asking for a password (exit 2 naming the field); returns the credit code normalised."""
    from huiqi.standards.uscc import InvalidCreditCode, validate_uscc
    from huiqi.workflow import accounts

    if role not in accounts.ROLES:
        fail(f"角色（--role）须为 {' / '.join(accounts.ROLES)} 之一，而不是“{role}”",
             f"role: must be one of {', '.join(accounts.ROLES)}, not '{role}'")
    if role == "reviewer":
        departments = accounts.known_departments()
        if department not in departments:
            fail(f"审核员所属单位（--department）须为政策中的牵头单位，“{department}”不是",
                 f"department: a reviewer needs a lead department named in the policy, not '{department}' "
                 f"(e.g. {', '.join(departments[:3])})")
    if credit_code:
        try:
            return validate_uscc(credit_code)
        except InvalidCreditCode as e:
            fail(f"统一社会信用代码（--credit-code）无效：{e}", f"credit_code: {e}")
    return credit_code


@users_app.command("create")
def users_create(
    username: str = USERNAME,
    role: str = typer.Option(..., "--role", help="applicant | reviewer | finance | admin"),
    department: str = typer.Option(None, "--department", help="审核员所属牵头单位，如 市工业和信息化局"),
    credit_code: str = typer.Option(None, "--credit-code", help="企业申请人的统一社会信用代码"),
    display_name: str = typer.Option(None, "--display-name"),
) -> None:
    """创建用户（密码取自 HUIQI_PASSWORD，或在终端中提示输入）/ create a user."""
    from huiqi.workflow import accounts

    credit_code = _check_user_fields(role, department, credit_code)
    db = _database()
    password = _password()
    try:
        with db.transaction() as s:
            user = accounts.create_user(s, username, password, role, display_name, department, credit_code, actor="cli")
    except ValueError as e:
        _account_error(e, username)
    typer.echo(f"已创建 created: {user.username} ({user.role}{', ' + user.department if user.department else ''})")


def _user(session, username: str):
    """The account named ``username``; exit 2 naming it when there is none."""
    from sqlalchemy import select

    from huiqi.storage.models import User

    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        _fail("cli.users.no_user", username=username)
    return user


def _rows(session) -> list[dict]:
    """Every account as the list shows it: no hash, times in Beijing time, its state in words."""
    from sqlalchemy import func, select

    from huiqi import clock
    from huiqi.storage.models import ApiToken, User, utcnow
    from huiqi.workflow import accounts

    now = utcnow()
    live = (ApiToken.revoked.is_(False)) & ((ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
    tokens = dict(session.execute(select(ApiToken.user_id, func.count()).where(live).group_by(ApiToken.user_id)).all())
    rows = []
    for u in session.execute(select(User).order_by(User.role, User.username)).scalars():
        if u.locked_until is not None and u.locked_until >= accounts.DISABLED_UNTIL:
            status = "disabled"
        elif accounts.is_locked(u, now):
            status = "locked"
        else:
            status = "active"
        label = messages.both(f"cli.users.status.{status}", at=clock.beijing_text(u.locked_until))
        rows.append({"username": u.username, "display_name": u.display_name, "role": u.role,
                     "department": u.department, "credit_code": u.credit_code, "status": status,
                     "status_zh": label[0], "status_en": label[1], "api_tokens": tokens.get(u.id, 0),
                     "created_at": clock.beijing_text(u.created_at)})
    return rows


@users_app.command("list")
def users_list(fmt: ListFormat = typer.Option(ListFormat.table, "--format", help="table 或 json")) -> None:
    """列出全部用户：角色、部门、账户状态、有效 API 令牌数 / list the accounts."""
    with _database().transaction() as s:
        rows = _rows(s)
    if fmt is ListFormat.json:
        _echo_json(rows)
        return
    if not rows:
        zh, en = messages.both("cli.users.none")
        typer.echo(f"{zh} / {en}")
        return
    from rich.table import Table

    roles = {"applicant": "申请人", "reviewer": "审核员", "finance": "财政", "admin": "管理员"}
    table = Table(title=f"用户 users（{len(rows)}）")
    for col in ("用户名 username", "名称 name", "角色 role", "部门 department", "信用代码 credit code",
                "状态 status", "令牌 tokens", "创建（北京时间）created"):
        table.add_column(col, overflow="fold")  # a long name wraps; nothing is cut off
    for r in rows:
        table.add_row(r["username"], r["display_name"], f"{roles[r['role']]} {r['role']}", r["department"] or "",
                      r["credit_code"] or "", f"{r['status_zh']} {r['status_en']}", str(r["api_tokens"]),
                      r["created_at"])
    print_table(table)


def _access(username: str, disabled: bool) -> None:
    from huiqi.workflow import accounts

    try:
        with _database().transaction() as s:
            accounts.change_access(s, username, disabled, actor="cli")
    except ValueError as e:
        _account_error(e, username)
    zh, en = messages.both("cli.users.disabled" if disabled else "cli.users.enabled", username=username)
    typer.echo(f"{zh}\n{en}")


@users_app.command("disable")
def users_disable(username: str = USERNAME) -> None:
    """停用账户：其登录会话和 API 令牌立即失效 / disable an account; its sessions and tokens end at once."""
    _access(username, True)


@users_app.command("enable")
def users_enable(username: str = USERNAME) -> None:
    """启用账户（也解除旧版本留下的锁定）/ enable an account again (also clears an old lock-out)."""
    _access(username, False)


@users_app.command("reset-password")
def users_reset_password(username: str = USERNAME) -> None:
    """重设密码（取自 HUIQI_PASSWORD，或在终端中提示输入）；其登录会话随即结束 /
    set a new password (HUIQI_PASSWORD or a prompt); the account's sessions end."""
    from huiqi.workflow import accounts

    db = _database()
    with db.transaction() as s:  # an unknown name is refused before a password is asked for
        _user(s, username)
    password = _password()
    try:
        with db.transaction() as s:
            accounts.reset_password(s, username, password, actor="cli")
    except ValueError as e:
        _account_error(e, username)
    zh, en = messages.both("cli.users.password_set", username=username)
    typer.echo(f"{zh}\n{en}")


_DURATION = re.compile(r"^\s*(\d{1,4})\s*(d|天|h|小时)?\s*$", re.IGNORECASE)


def _expiry(value: str | None):
    """``--expires``: a number of days (``30``, ``30d``, ``30天``), hours (``12h``) or a last day
    (YYYY-MM-DD, through the end of that day in Beijing time) → the moment in naive UTC; None: no expiry."""
    import datetime as dt

    from huiqi import clock
    from huiqi.storage.models import utcnow

    if value is None:
        return None
    m = _DURATION.match(value)
    if m and int(m.group(1)) > 0:
        hours = (m.group(2) or "d").lower() in ("h", "小时")
        return utcnow() + dt.timedelta(**{"hours" if hours else "days": int(m.group(1))})
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        day = None
    if day is None or day < clock.today():
        fail(f"--expires 须为天数（如 30 或 30d）、小时数（如 12h）或今天及以后的日期（YYYY-MM-DD），而不是“{value}”",
             f"--expires: a number of days (30, 30d), hours (12h) or a date from today on (YYYY-MM-DD), not '{value}'")
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).replace(tzinfo=clock.BEIJING)
    return end.astimezone(dt.timezone.utc).replace(tzinfo=None)


@users_app.command("token")
def users_token(
    username: str = USERNAME,
    name: str = typer.Option("cli", "--name", help="令牌用途，记入审计日志 / what the token is for (audited)"),
    expires: str = typer.Option(None, "--expires", help="有效期：天数 30 / 30d、小时 12h，或最后一天 YYYY-MM-DD；"
                                "不填则长期有效 / days, hours or a last day; none: until the account is disabled"),
) -> None:
    """签发 API 令牌（只显示一次；标准输出只有令牌本身）/ issue a bearer token, printed once (stdout: the token only)."""
    from huiqi import clock
    from huiqi.workflow import accounts

    until = _expiry(expires)
    with _database().transaction() as s:
        user = _user(s, username)
        if accounts.is_locked(user):
            _fail("cli.users.token_disabled", username=username)
        token = accounts.new_token(s, user, name[:100], expires_at=until, actor="cli")
    at = clock.beijing_text(until)
    zh_until, en_until = messages.both("cli.users.until", at=at) if until else messages.both("cli.users.forever")
    zh, en = messages.both("cli.users.token", username=username, name=name[:100], until=zh_until, until_en=en_until)
    typer.echo(f"{zh}\n{en}", err=True)  # stdout carries the token alone, for TOKEN=$(huiqi users token …)
    typer.echo(token)
