"""People and rights: argon2 passwords, lock-out after repeated failures, API tokens, browser sessions.

Every login, success or failure, is written to the audit log. Tokens and session ids are random
(``secrets``) and stored only as SHA-256, so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.storage.models import ApiToken, LoginSession, User, utcnow
from huiqi.workflow import audit

ROLES = ("applicant", "reviewer", "finance", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8
_hasher = PasswordHasher()


class LoginFailed(PermissionError):
    pass


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_user(session: Session, username: str, password: str, role: str, display_name: str | None = None,
                department: str | None = None, credit_code: str | None = None, actor: str = "system") -> User:
    if role not in ROLES:
        raise ValueError(f"role: must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise ValueError("password: at least 10 characters / 密码至少10位")
    if role == "reviewer":
        if department not in known_departments():
            raise ValueError(f"department: '{department}' is not a lead department named in the policy")
    if credit_code:
        from huiqi.standards.uscc import validate_uscc

        credit_code = validate_uscc(credit_code)
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise ValueError(f"username: '{username}' is taken")
    user = User(username=username, display_name=display_name or username, password_hash=_hasher.hash(password),
                role=role, department=department, credit_code=credit_code, failed_logins=0)
    session.add(user)
    session.flush()
    audit.append(session, actor, "user.create", f"user/{user.id}", "ok", {"username": username, "role": role})
    return user


def known_departments() -> list[str]:
    """The departments a department user may belong to, sorted: the lead departments of every policy served
    and the four zones' committees (一区申请、四区联办)."""
    from huiqi import policies
    from huiqi.catalogue import departments
    from huiqi.delivery.zones import ZONE_DEPARTMENTS

    named = {d for p in policies.catalogue() for d in departments(p)}
    return sorted(named | set(ZONE_DEPARTMENTS.values()))


def login(session: Session, username: str, password: str, now: dt.datetime | None = None) -> User:
    """Check a password; five failures lock the account for fifteen minutes. Audited either way."""
    now = now or utcnow()
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        audit.append(session, username[:100], "login", f"user/{username[:100]}", "failure", {"why": "unknown user"})
        raise LoginFailed("wrong username or password / 用户名或密码错误")
    if user.locked_until and user.locked_until > now:
        audit.append(session, username, "login", f"user/{user.id}", "failure", {"why": "locked"})
        raise LoginFailed(f"account locked until {user.locked_until:%H:%M} UTC / 账户已锁定")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        audit.append(session, username, "login", f"user/{user.id}", "failure", {"why": "password"})
        raise LoginFailed("wrong username or password / 用户名或密码错误") from None
    user.failed_logins = 0
    user.locked_until = None
    audit.append(session, username, "login", f"user/{user.id}", "success")
    return user


def new_token(session: Session, user: User, name: str) -> str:
    token = "hq_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_sha(token), name=name))
    audit.append(session, user.username, "token.create", f"user/{user.id}", "ok", {"name": name})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == _sha(token), ApiToken.revoked.is_(False))).scalar_one_or_none()
    return session.get(User, row.user_id) if row else None


def new_session(session: Session, user: User) -> tuple[str, str]:
    """(session id for the cookie, CSRF token for forms)."""
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(LoginSession(id_hash=_sha(sid), user_id=user.id, csrf_token=csrf,
                             expires_at=utcnow() + dt.timedelta(hours=SESSION_HOURS)))
    return sid, csrf


def user_for_session(session: Session, sid: str) -> tuple[User, str] | None:
    row = session.get(LoginSession, _sha(sid))
    if row is None or row.expires_at < utcnow():
        return None
    return session.get(User, row.user_id), row.csrf_token


def end_session(session: Session, sid: str) -> None:
    """Sign out: the session row goes, so the cookie no longer opens anything even if kept."""
    row = session.get(LoginSession, _sha(sid))
    if row is not None:
        session.delete(row)


DISABLED_UNTIL = dt.datetime(9999, 12, 31)  # a locked_until this far away is a disabled account


def set_disabled(session: Session, admin: User, username: str, disabled: bool) -> User:
    """An administrator disables an account (its sessions and tokens end at once) or enables it again
    (which also clears a lock-out after failed sign-ins). Audited."""
    from sqlalchemy import delete

    if admin.role != "admin":
        raise PermissionError("only administrators / 仅管理员可操作")
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise ValueError(f"username: no user '{username}' / 无此用户")
    if user.id == admin.id and disabled:
        raise ValueError("username: an administrator cannot disable their own account / 不能停用自己的账户")
    user.locked_until, user.failed_logins = (DISABLED_UNTIL if disabled else None), 0
    if disabled:
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    audit.append(session, admin.username, "user.disable" if disabled else "user.enable", f"user/{user.id}", "ok")
    return user
