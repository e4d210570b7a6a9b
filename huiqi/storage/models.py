"""The workflow's tables. Money is integer fen (BIGINT) in every column — never float, never NUMERIC.

The ledger's promises are also the database's: a pool's reserved plus settled money can never
exceed its total, and an entity's use of a yearly cap can never exceed the cap (CHECK
constraints), whatever the application code does.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    """Now in naive UTC, as every time column keeps it — from :mod:`huiqi.clock`, so a replayed year is dated."""
    from huiqi import clock

    return clock.now_utc()


class Base(DeclarativeBase):
    pass


class User(Base):
    """A person who signs in: applicant, reviewer (of one department), finance officer or administrator."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # applicant | reviewer | finance | admin
    department: Mapped[str | None] = mapped_column(String(100))  # a reviewer's department, as named in the policy
    credit_code: Mapped[str | None] = mapped_column(String(18))  # an enterprise applicant's 统一社会信用代码
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (CheckConstraint("role IN ('applicant', 'reviewer', 'finance', 'admin')", name="ck_user_role"),)


class ApiToken(Base):
    """A machine client's bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC; None: until revoked


class LoginSession(Base):
    """A browser session: the cookie carries the id, the form carries the CSRF token."""

    __tablename__ = "login_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class LoginThrottle(Base):
    """Failed sign-ins counted per client, per account and per (account, client), with the back-off they
    earned (:mod:`huiqi.workflow.throttle`). Unknown usernames are counted like known ones."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "c:<client>", "a:<user>", "ac:<user>|<client>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Pool(Base):
    """A budget the policy sets aside. available = total − reserved − settled, never below zero."""

    __tablename__ = "pools"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "<policy id>/<pool id>" (policies.pool_key)
    policy_id: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(200))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    reserved_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    settled_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (
        CheckConstraint("reserved_fen >= 0 AND settled_fen >= 0", name="ck_pool_nonnegative"),
        CheckConstraint("reserved_fen + settled_fen <= total_fen", name="ck_pool_never_overspent"),
    )


class EntityCap(Base):
    """An entity's use of a provision's yearly cap (算力券: 500,000 per enterprise per year)."""

    __tablename__ = "entity_caps"
    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    provision_id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<policy id>/<provision id>"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    cap_fen: Mapped[int] = mapped_column(BigInteger)
    used_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (CheckConstraint("used_fen >= 0 AND used_fen <= cap_fen", name="ck_cap_never_exceeded"),)


class Application(Base):
    """An application for one provision (and event), with the engine's answer frozen at submission."""

    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    policy_id: Mapped[str] = mapped_column(String(64))
    provision_id: Mapped[str] = mapped_column(String(80))
    measure_id: Mapped[str] = mapped_column(String(8))
    event_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    profile_json: Mapped[str] = mapped_column(Text)
    entitlement_json: Mapped[str | None] = mapped_column(Text)  # the engine's result at submission
    policy_version: Mapped[str | None] = mapped_column(String(32))
    entitlement_fen: Mapped[int | None] = mapped_column(BigInteger)
    is_cap: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_fen: Mapped[int | None] = mapped_column(BigInteger)
    approved_fen: Mapped[int | None] = mapped_column(BigInteger)
    pool_id: Mapped[str | None] = mapped_column(ForeignKey("pools.id"))
    cap_year: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    notice_until: Mapped[dt.date | None] = mapped_column(Date)
    notice_from: Mapped[dt.date | None] = mapped_column(Date)  # first day of the 公示 (its batch is derived from it)
    disbursed_on: Mapped[dt.date | None] = mapped_column(Date)  # 拨付日期, shown in the public notice
    disbursement_voucher: Mapped[str | None] = mapped_column(String(64))  # 拨付凭证号 of the finance bureau
    # policy|provision|event|claimant while the application holds its claim (submitted … disbursed); NULL in
    # a draft and after rejection or cancellation. Unique: one spend is never claimed twice at once.
    claim_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        CheckConstraint("approved_fen IS NULL OR approved_fen > 0", name="ck_app_approved_positive"),
        CheckConstraint("approved_fen IS NULL OR entitlement_fen IS NULL OR approved_fen <= entitlement_fen",
                        name="ck_app_within_entitlement"),
        Index("ix_app_status", "status"),
        Index("ix_applications_policy", "policy_id"),
        # the dashboard's sums and the 公示's batches read these, not the wide rows (migration 0013)
        Index("ix_app_awarded", "policy_id", "status", "measure_id", "approved_fen", "updated_at"),
        Index("ix_app_published", "status", "policy_id", "provision_id", "notice_from", "notice_until", "disbursed_on"),
        Index("ix_app_provision", "policy_id", "provision_id"),  # a reviewer's applications, counted (0014)
        UniqueConstraint("claim_key", name="uq_applications_claim_key"),
    )


class ApplicationEvent(Base):
    """The application's timeline, shown to the applicant."""

    __tablename__ = "application_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_app_events_application", "application_id", "to_status"),)  # timelines (0013)


class Evidence(Base):
    """An evidence file, stored once by its SHA-256."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    material: Mapped[str | None] = mapped_column(String(40))  # the id of the 申报材料 it is (service.materials)


class LedgerEntry(Base):
    """Money movements of a pool: reserve on approval, release on cancellation, settle on disbursement."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    kind: Mapped[str] = mapped_column(String(10))  # reserve | release | settle
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        CheckConstraint("kind IN ('reserve', 'release', 'settle')", name="ck_ledger_kind"),
        CheckConstraint("amount_fen > 0", name="ck_ledger_positive"),
    )


class Objection(Base):
    """An objection lodged during the public notice (公示) period."""

    __tablename__ = "objections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    contact: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)


class TargetProgress(Base):
    """A department's report of progress against one of the policy's targets, with history."""

    __tablename__ = "target_progress"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(String(40))  # exact decimal as text
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """The hash-chained audit log: each entry's hash covers the previous hash and its own content."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(32))  # ISO time, part of the hashed content
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    object: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str | None] = mapped_column(String(16))  # the signing key (None: written before a key existed)
    signature: Mapped[str | None] = mapped_column(String(128))  # Ed25519 over seq, prev_hash and hash (audit.py)


class AuditHead(Base):
    """One row: the chain's last sequence number and hash. Updating it first serialises appends."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class IdempotencyKey(Base):
    """A request already answered: a retry with the same key gets the same answer, nothing new."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(100))
    endpoint: Mapped[str] = mapped_column(String(200))
    status_code: Mapped[int] = mapped_column(Integer)
    response_json: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    holder: Mapped[str | None] = mapped_column(String(32))  # the request running it (status_code 0)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)  # after this a retry may take the key over
    __table_args__ = (UniqueConstraint("user_id", "key", "endpoint", name="uq_idempotency"),)


class Offer(Base):
    """免申即享: an entitlement found by screening the registry, offered to the enterprise to confirm.

    The profile is the registry's facts for the entity; confirming turns the offer into a submitted
    application (the engine checks it again on submission)."""

    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    provision_id: Mapped[str] = mapped_column(String(80))
    event_id: Mapped[str | None] = mapped_column(String(64))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    as_of: Mapped[dt.date] = mapped_column(Date)
    profile_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="offered")  # offered | confirmed
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("credit_code", "provision_id", "event_id", "as_of", name="uq_offer"),)


class EnterpriseProfile(Base):
    """The applicant's own profile, kept so the portal can show its benefits without retyping."""

    __tablename__ = "enterprise_profiles"
    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    profile_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Calculation(Base):
    """A calculator answer's inputs, kept on the server so a link to the answer carries a token, not the
    enterprise's figures (addresses end up in logs and browser history). Content-addressed; kept 30 days."""

    __tablename__ = "calculations"
    token: Mapped[str] = mapped_column(String(43), primary_key=True)
    profile_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ParameterChange(Base):
    """An administrator's change of one policy figure from a date, with the reason (never edited)."""

    __tablename__ = "parameter_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    provision_id: Mapped[str] = mapped_column(String(80))
    parameter: Mapped[str] = mapped_column(String(64))
    value_text: Mapped[str] = mapped_column(String(2000))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

from huiqi.storage import models_delivery  # noqa: E402,F401  (registers the delivery tables on Base)
