"""Budget pools and yearly caps that can never be overspent, whatever the concurrency.

Every reservation is one conditional UPDATE — ``… SET reserved = reserved + :a WHERE available >= :a`` —
so the check and the change are a single atomic statement on SQLite and PostgreSQL alike; if it
touches no row the approval is refused. CHECK constraints in the schema are the second line.
The ledger records reserve, release and settle entries; :func:`reconcile` proves that each pool's
reserved and settled figures equal the sum of its entries and that every application holding
money has exactly its amount reserved or settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from huiqi.storage.models import Application, EntityCap, LedgerEntry, Pool


class InsufficientFunds(ValueError):
    """The pool (or the entity's yearly cap) has less left than the amount."""


def ensure_pools(session: Session, policy=None) -> None:
    """Create the pools of ``policy`` — of every policy served when None — if they are not there yet, keyed
    ``<policy id>/<pool id>``. A total that differs from the policy's is not silently kept: see :func:`reconcile`."""
    from huiqi import policies

    for pol in ([policy] if policy is not None else policies.catalogue()):
        for key, p in policies.pools_of(pol):
            if session.get(Pool, key) is None:
                session.add(Pool(id=key, policy_id=pol.header.id, name_zh=p.name_zh, total_fen=int(p.total * 100),
                                 reserved_fen=0, settled_fen=0))
    session.flush()


def reserve(session: Session, pool_id: str, application_id: int, amount_fen: int) -> None:
    done = session.execute(
        update(Pool)
        .where(Pool.id == pool_id, Pool.total_fen - Pool.reserved_fen - Pool.settled_fen >= amount_fen)
        .values(reserved_fen=Pool.reserved_fen + amount_fen)
    ).rowcount
    if done != 1:
        raise InsufficientFunds(f"pool {pool_id} has less than {amount_fen} fen left / 资金池余额不足")
    session.add(LedgerEntry(pool_id=pool_id, application_id=application_id, kind="reserve", amount_fen=amount_fen))


def release(session: Session, pool_id: str, application_id: int, amount_fen: int) -> None:
    done = session.execute(
        update(Pool).where(Pool.id == pool_id, Pool.reserved_fen >= amount_fen)
        .values(reserved_fen=Pool.reserved_fen - amount_fen)
    ).rowcount
    if done != 1:
        raise RuntimeError(f"pool {pool_id}: nothing reserved to release")
    session.add(LedgerEntry(pool_id=pool_id, application_id=application_id, kind="release", amount_fen=amount_fen))


def settle(session: Session, pool_id: str, application_id: int, amount_fen: int) -> None:
    done = session.execute(
        update(Pool).where(Pool.id == pool_id, Pool.reserved_fen >= amount_fen)
        .values(reserved_fen=Pool.reserved_fen - amount_fen, settled_fen=Pool.settled_fen + amount_fen)
    ).rowcount
    if done != 1:
        raise RuntimeError(f"pool {pool_id}: nothing reserved to settle")
    session.add(LedgerEntry(pool_id=pool_id, application_id=application_id, kind="settle", amount_fen=amount_fen))


def hold_cap(session: Session, credit_code: str, provision_id: str, year: int, cap_fen: int) -> None:
    """Create the entity's yearly-cap row if missing and lock it until the transaction ends, so approvals of one
    enterprise's year queue here and each reads the others' committed claims (service._year_total) — a no-op
    UPDATE takes the row lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises the transaction."""
    if session.get(EntityCap, (credit_code, provision_id, year)) is None:
        dialect = session.get_bind().dialect.name
        verb = "INSERT OR IGNORE INTO" if dialect == "sqlite" else "INSERT INTO"
        tail = "" if dialect == "sqlite" else " ON CONFLICT DO NOTHING"
        session.execute(text(f"{verb} entity_caps (credit_code, provision_id, year, cap_fen, used_fen, policy_id) "
                             f"VALUES (:c, :p, :y, :cap, 0, :pol){tail}"),
                        {"c": credit_code, "p": provision_id, "y": year, "cap": cap_fen,
                         "pol": provision_id.split("/", 1)[0]})
    session.execute(update(EntityCap).where(EntityCap.credit_code == credit_code, EntityCap.provision_id == provision_id,
                                            EntityCap.year == year).values(used_fen=EntityCap.used_fen))


def use_cap(session: Session, credit_code: str, provision_id: str, year: int, cap_fen: int, amount_fen: int,
            total_fen: int | None = None) -> None:
    """Count an approval against the entity's yearly cap; refuse if it would pass the cap. ``provision_id`` is
    the cap's key, ``<policy id>/<provision id>`` (policies.cap_key). ``total_fen``: the year's claims added up and
    rounded once (service._year_total, read under :func:`hold_cap`) — checked in the same statement too."""
    hold_cap(session, credit_code, provision_id, year, cap_fen)
    done = session.execute(
        update(EntityCap)
        .where(EntityCap.credit_code == credit_code, EntityCap.provision_id == provision_id, EntityCap.year == year,
               EntityCap.used_fen + amount_fen <= EntityCap.cap_fen,
               EntityCap.used_fen + amount_fen <= (total_fen if total_fen is not None else EntityCap.cap_fen))
        .values(used_fen=EntityCap.used_fen + amount_fen)
    ).rowcount
    if done != 1:
        raise InsufficientFunds(f"{credit_code} would pass the {year} cap of {provision_id} / 超过本年度上限")


def free_cap(session: Session, credit_code: str, provision_id: str, year: int, amount_fen: int) -> None:
    session.execute(
        update(EntityCap)
        .where(EntityCap.credit_code == credit_code, EntityCap.provision_id == provision_id, EntityCap.year == year)
        .values(used_fen=EntityCap.used_fen - amount_fen)
    )


@dataclass
class Reconciliation:
    ok: bool  # balances equal their entries and applications hold exactly their amounts
    problems: list[str]
    pools: list[dict]
    # pools whose stored total is not the one their policy states now (an edited notice, a hand-made change)
    total_mismatches: list[str] = field(default_factory=list)


def reconcile(session: Session) -> Reconciliation:
    """Balances equal their entries, applications hold exactly their amounts, and every pool's total is the one
    its policy states now (a changed notice whose pool total was not carried over is a problem, not a pass)."""
    from huiqi import policies

    stated: dict[str, int] = {}
    for pol in policies.catalogue():
        for key, p in policies.pools_of(pol):
            stated[key] = int(p.total * 100)
    problems: list[str] = []
    mismatches: list[str] = []
    pools = []
    for pool in session.execute(select(Pool).order_by(Pool.id)).scalars():
        if pool.id in stated and stated[pool.id] != pool.total_fen:
            mismatches.append(f"{pool.id}: total {pool.total_fen} fen but the policy states {stated[pool.id]} fen "
                              f"/ 资金池总额与政策文件不一致")
        sums = dict(session.execute(
            select(LedgerEntry.kind, func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
            .where(LedgerEntry.pool_id == pool.id).group_by(LedgerEntry.kind)).all())
        reserved = sums.get("reserve", 0) - sums.get("release", 0) - sums.get("settle", 0)
        settled = sums.get("settle", 0)
        if reserved != pool.reserved_fen:
            problems.append(f"{pool.id}: reserved {pool.reserved_fen} but the ledger says {reserved}")
        if settled != pool.settled_fen:
            problems.append(f"{pool.id}: settled {pool.settled_fen} but the ledger says {settled}")
        if pool.reserved_fen + pool.settled_fen > pool.total_fen or pool.reserved_fen < 0:
            problems.append(f"{pool.id}: overspent")
        pools.append({"pool_id": pool.id, "name_zh": pool.name_zh, "total_fen": pool.total_fen,
                      "reserved_fen": pool.reserved_fen, "settled_fen": pool.settled_fen,
                      "available_fen": pool.total_fen - pool.reserved_fen - pool.settled_fen})
    for app in session.execute(select(Application).where(Application.pool_id.is_not(None))).scalars():
        sums = dict(session.execute(
            select(LedgerEntry.kind, func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
            .where(LedgerEntry.application_id == app.id).group_by(LedgerEntry.kind)).all())
        held = sums.get("reserve", 0) - sums.get("release", 0) - sums.get("settle", 0)
        paid = sums.get("settle", 0)
        want_held = app.approved_fen if app.status in ("approved", "public_notice") else 0
        want_paid = app.approved_fen if app.status == "disbursed" else 0
        if held != (want_held or 0) or paid != (want_paid or 0):
            problems.append(f"application {app.id} ({app.status}): holds {held}, paid {paid}")
    return Reconciliation(not problems, problems, pools, mismatches)
