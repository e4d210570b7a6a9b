"""People and rights: argon2 passwords, throttled sign-in, API tokens, browser sessions.

Every login, success or failure, is written to the audit log. Failures slow down with exponential back-off
per client and per account (:mod:`throttle`) instead of locking the account, which an anonymous caller
could otherwise do to anyone. Every failure gives the same message, and an unknown username costs the
same argon2 verification as a wrong password, so neither the words nor the timing say whether an account
exists. A disabled (or still locked) account's sessions and tokens open nothing. Tokens and session ids
are random (``secrets``) and stored only as SHA-256, so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import messages
from huiqi.storage.models import ApiToken, LoginSession, User, utcnow
from huiqi.workflow import audit, throttle

ROLES = ("applicant", "reviewer", "finance", "admin")
SESSION_HOURS = 8
_hasher = PasswordHasher()

messages.add({"auth.login_failed": ("登录失败：用户名或密码错误，或尝试过于频繁，请稍后再试",
                                    "Sign-in failed: wrong username or password, or too many attempts — "
                                    "please wait and try again")})


class LoginFailed(PermissionError):
    """Any failed sign-in: one message for all, whatever the reason (the reason goes to the audit log)."""

    def __init__(self, retry_after: int = 0):
        zh, en = messages.both("auth.login_failed")
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.retry_after = zh, en, retry_after


_dummy: tuple[object, str] | None = None


def _dummy_hash() -> str:
    """A hash made with the current hasher's parameters, verified for unknown usernames so they cost the
    same time as a wrong password."""
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[1]


def _password_ok(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    """Disabled by an administrator, or locked by the lock-out of versions before throttling."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# The stored hash of an account that cannot sign in until a password is set (users reset-password): the
# enterprises of a replayed demo city, which nobody signs in as. argon2 refuses it as an invalid hash.
NO_PASSWORD = "!"


def create_user(session: Session, username: str, password: str | None, role: str, display_name: str | None = None,
                department: str | None = None, credit_code: str | None = None, actor: str = "system") -> User:
    """A new account; ``password`` None makes one that cannot sign in until a password is set."""
    if role not in ROLES:
        raise ValueError(f"role: must be one of {', '.join(ROLES)}")
    if password is not None:
        _check_password(password)
    if role == "reviewer":
        if department not in known_departments():
            raise ValueError(f"department: '{department}' is not a lead department named in the policy")
    if credit_code:
        from huiqi.standards.uscc import validate_uscc

        credit_code = validate_uscc(credit_code)
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise ValueError(f"username: '{username}' is taken")
    user = User(username=username, display_name=display_name or username, password_hash=NO_PASSWORD if password is None else _hasher.hash(password), role=role, department=department, credit_code=credit_code, failed_logins=0)
    session.add(user)
    session.flush()
    audit.append(session, actor, "user.create", f"user/{user.id}", "ok", {"username": username, "role": role})
    return user


MIN_PASSWORD = 10


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters / 密码至少{MIN_PASSWORD}位")


def _named(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise ValueError(f"username: no user '{username}' / 无此用户")
    return user


def reset_password(session: Session, username: str, password: str, actor: str) -> User:
    """An administrator sets a new password; the account's browser sessions end (whoever knew the old one
    is signed out) and its lock-out and throttling are cleared. API tokens stay: they are separate
    credentials, ended by disabling the account. Audited (without the password)."""
    from sqlalchemy import delete

    _check_password(password)
    user = _named(session, username)
    user.password_hash, user.failed_logins = _hasher.hash(password), 0
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    throttle.clear_account(session, username)
    audit.append(session, actor, "user.reset_password", f"user/{user.id}", "ok")
    return user


def known_departments() -> list[str]:
    """The departments a department user may belong to, sorted: the lead departments of every policy served
    and the four zones' committees (一区申请、四区联办)."""
    from huiqi import policies
    from huiqi.catalogue import departments
    from huiqi.delivery.zones import ZONE_DEPARTMENTS

    named = {d for p in policies.catalogue() for d in departments(p)}
    return sorted(named | set(ZONE_DEPARTMENTS.values()))


def login(session: Session, username: str, password: str, now: dt.datetime | None = None,
          client: str = "local") -> User:
    """Check a password from ``client`` (an address); throttled, audited either way, one message for every
    failure. A disabled or locked account is refused after the same password check as any other."""
    now = now or utcnow()
    who = username[:100]
    wait = throttle.wait_seconds(session, username, client, now)
    if wait > 0:  # refused unchecked: waiting is the point, and a guess made now teaches nothing
        audit.append(session, who, "login", f"user/{who}", "failure", {"why": "throttled", "client": client})
        raise LoginFailed(retry_after=math.ceil(wait))
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = _password_ok(user.password_hash if user else None, password)  # the same argon2 work either way
    why = "unknown user" if user is None else "password" if not ok else "disabled" if is_locked(user, now) else None
    if why:
        throttle.failed(session, username, client, now)
        audit.append(session, who, "login", f"user/{user.id if user else who}", "failure", {"why": why, "client": client})
        raise LoginFailed()
    throttle.succeeded(session, username, client)
    user.failed_logins = 0
    audit.append(session, username, "login", f"user/{user.id}", "success", {"client": client})
    return user


def new_token(session: Session, user: User, name: str, expires_at: dt.datetime | None = None,
              actor: str | None = None) -> str:
    """A bearer token for ``user``, returned once (only its hash is kept); ``expires_at`` (UTC) None: until
    revoked or the account is disabled. ``actor``: who issued it, the user themself unless said."""
    token = "hq_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_sha(token), name=name, expires_at=expires_at))
    detail = {"name": name, **({"expires_at": expires_at.isoformat()} if expires_at else {})}
    audit.append(session, actor or user.username, "token.create", f"user/{user.id}", "ok", detail)
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The token's user; None for an unknown, revoked or expired token, or a disabled or locked account."""
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == _sha(token), ApiToken.revoked.is_(False))).scalar_one_or_none()
    if row is not None and row.expires_at is not None and row.expires_at <= utcnow():
        row = None
    user = session.get(User, row.user_id) if row else None
    return None if user is None or is_locked(user) else user


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
    user = session.get(User, row.user_id)
    if user is None or is_locked(user):
        return None  # a disabled or locked account's open sessions end with it
    return user, row.csrf_token


def end_session(session: Session, sid: str) -> None:
    """Sign out: the session row goes, so the cookie no longer opens anything even if kept."""
    row = session.get(LoginSession, _sha(sid))
    if row is not None:
        session.delete(row)


DISABLED_UNTIL = dt.datetime(9999, 12, 31)  # a locked_until this far away is a disabled account


def set_disabled(session: Session, admin: User, username: str, disabled: bool) -> User:
    """An administrator (signed in on the web page) disables an account or enables it again; not their own."""
    if admin.role != "admin":
        raise PermissionError("only administrators / 仅管理员可操作")
    if username == admin.username and disabled:
        raise ValueError("username: an administrator cannot disable their own account / 不能停用自己的账户")
    return change_access(session, username, disabled, actor=admin.username)


def change_access(session: Session, username: str, disabled: bool, actor: str) -> User:
    """Disable an account (its sessions and tokens end at once) or enable it again (which also clears a
    lock-out left by versions before throttling). Audited as ``actor``: the page's administrator or the
    operator's command line."""
    from sqlalchemy import delete

    user = _named(session, username)
    user.locked_until, user.failed_logins = (DISABLED_UNTIL if disabled else None), 0
    if disabled:
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    else:
        throttle.clear_account(session, username)
    audit.append(session, actor, "user.disable" if disabled else "user.enable", f"user/{user.id}", "ok")
    return user
