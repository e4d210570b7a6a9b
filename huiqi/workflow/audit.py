"""The hash-chained, signed audit log: every state change, parameter change and login, tamper-evident.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical JSON
(time, actor, action, object, outcome, detail), and each entry is signed (Ed25519) over its number, the
previous hash and its hash with a key that lives outside the database (:mod:`audit_keys`), so someone who
can write to the database but lacks the key cannot edit, forge, renumber or re-chain an entry without a
signature failing at exactly that entry. After each commit the head is signed into a checkpoint file
outside the database (:mod:`audit_checkpoints`), which catches what signatures cannot: entries cut off
the end, or signatures stripped. Appends are serialised by first updating the one-row ``audit_head``
inside the caller's transaction, so two writers can never chain onto the same predecessor.
:func:`verify` names the first bad entry; :func:`head` is what the public notice page shows. Entries
written before any key existed stay unsigned and are reported as such.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from huiqi.storage.models import AuditEntry, AuditHead, utcnow
from huiqi.workflow import audit_checkpoints, audit_keys

GENESIS = "0" * 64


def entry_hash(prev_hash: str, at: str, actor: str, action: str, obj: str, outcome: str, detail: str) -> str:
    body = json.dumps([at, actor, action, obj, outcome, detail], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


_HEAD = "huiqi_audit_head"  # session.info: (root transaction, seq, hash, key) while that transaction holds the lock
_head_table = AuditHead.__table__
_LOCK_AND_READ = (update(_head_table).where(_head_table.c.id == 1).values(seq=_head_table.c.seq)
                  .returning(_head_table.c.seq, _head_table.c.hash))
_ADVANCE = (update(_head_table).where(_head_table.c.id == 1, _head_table.c.seq == bindparam("old_seq"),
                                      _head_table.c.hash == bindparam("old_hash"))
            .values(seq=bindparam("new_seq"), hash=bindparam("new_hash")))
_INSERT = insert(AuditEntry.__table__)


def signed_message(seq: int, prev_hash: str, hash_: str) -> bytes:
    """What an entry's signature covers: its number binds it to its place, the hashes to its content."""
    return f"huiqi-audit-v1\n{seq}\n{prev_hash}\n{hash_}".encode()


def _lock_head(session: Session) -> tuple[int, str]:
    """Take the head's row lock (concurrent appends queue here on PostgreSQL; SQLite's write lock is already
    held) and read the head under it, in one statement; the row is made on first use."""
    row = session.execute(_LOCK_AND_READ).first()
    if row is None:
        session.execute(insert(_head_table).values(id=1, seq=0, hash=GENESIS))
        row = session.execute(_LOCK_AND_READ).one()
    return int(row[0]), row[1]


def append(session: Session, actor: str, action: str, obj: str, outcome: str = "ok", detail: dict | None = None) -> int:
    """Add a signed entry in the caller's transaction (so it commits or rolls back with the change it records);
    returns its number.

    The first append of a transaction locks the head row and reads it; the transaction then holds that lock
    until it ends, so its later appends chain onto the head it remembers (``session.info``) instead of locking
    and reading again. A rollback (of the transaction or of a savepoint, which on PostgreSQL also gives the lock
    back) forgets it; and every advance of the head is a compare-and-set on the remembered seq and hash, so a
    head remembered wrongly can never be chained onto: it is read again under the lock instead."""
    txn = session.get_transaction()
    held = session.info.get(_HEAD)
    for attempt in (0, 1):
        if held is None or txn is None or held[0] is not txn:
            prev_seq, prev_hash = _lock_head(session)
            # after the lock: an append queued behind a key rotation signs with the new key
            held = (session.get_transaction(), prev_seq, prev_hash, audit_keys.load(create=True))
        _, prev_seq, prev_hash, key = held
        at = utcnow().isoformat(timespec="microseconds")
        detail_json = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
        h = entry_hash(prev_hash, at, actor, action, obj, outcome, detail_json)
        seq = prev_seq + 1
        moved = session.execute(_ADVANCE, {"old_seq": prev_seq, "old_hash": prev_hash, "new_seq": seq, "new_hash": h})
        if moved.rowcount == 1:
            break
        held = None  # the remembered head was not the stored one: read it again under the lock
    else:  # pragma: no cover - the head read under the lock just taken always matches
        raise RuntimeError("audit head moved under its lock / 审计链头在锁定期间被修改")
    session.execute(_INSERT, {"seq": seq, "at": at, "actor": actor, "action": action, "object": obj,
                              "outcome": outcome, "detail": detail_json, "prev_hash": prev_hash, "hash": h,
                              "key_id": key.key_id, "signature": key.sign(signed_message(seq, prev_hash, h))})
    session.info[_HEAD] = (held[0], seq, h, key)
    stale = session.identity_map.get(identity_key(AuditHead, (1,)))
    if stale is not None:  # an ORM copy of the head read earlier in this session: read it afresh when next used
        session.expire(stale)
    session.flush()  # the caller's pending changes go out with their entry, as callers expect of an append
    session.info[audit_checkpoints.FLAG] = True  # once committed, the new head is checkpointed
    return seq


def _forget_head(session: Session, *_: Any) -> None:
    session.info.pop(_HEAD, None)


def _forget_head_at_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the transaction that held the lock has ended (a released savepoint has not)
        session.info.pop(_HEAD, None)


event.listen(Session, "after_soft_rollback", _forget_head)  # a rolled-back savepoint may have held or moved it
event.listen(Session, "after_transaction_end", _forget_head_at_end)


@dataclass
class Verification:
    ok: bool
    entries: int
    head: str  # the last hash that checked out
    first_bad: int | None = None
    problem: str | None = None
    unsigned: int = 0  # entries 1..unsigned were written before a key existed: checked by hash only
    key_id: str | None = None
    checkpoints: int | None = None  # checkpoints compared (None: not asked)
    latest_checkpoint: int | None = None


def verify(session: Session, checkpoints: bool = False) -> Verification:
    """Recompute the chain and check every signature; with ``checkpoints`` also compare the signed
    checkpoints kept outside the database. The first bad entry is named in every tampering shape:
    edited (content or recomputed hash), forged, deleted, reordered, renumbered, truncated, appended."""
    try:
        key = audit_keys.load()
    except audit_keys.AuditKeyError as e:
        return Verification(False, 0, GENESIS, None, str(e))
    rows = list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
    key_id = key.key_id if key else None
    if key is None and (checkpoints or any(e.signature for e in rows)):
        return Verification(False, len(rows), GENESIS, None, "no audit key to check signatures with: set "
                            "HUIQI_AUDIT_KEY_FILE, HUIQI_AUDIT_KEY or HUIQI_AUDIT_PUBLIC_KEY / 未配置审计密钥，无法校验签名")
    ring = audit_keys.keyring(key) if key is not None else None  # the keys it succeeded, through rotations
    found, prev, unsigned = _walk(session, rows, ring)
    result = Verification(found is None, len(rows), prev, *(found or (None, None)), unsigned=unsigned, key_id=key_id)
    if checkpoints:
        _compare_checkpoints(result, rows, ring)
    return result


def _walk(session: Session, rows: list[AuditEntry], key) -> tuple[tuple[int, str] | None, str, int]:
    """((first bad entry, why) or None, last good hash, number of unsigned entries at the start)."""
    prev, expected, unsigned, signed_seen, ring_at = GENESIS, 1, 0, False, 0
    hashes = {e.hash: e.seq for e in rows}
    for e in rows:
        if e.seq != expected:
            return (expected, f"entry {expected} is missing (the next entry is numbered {e.seq})"), prev, unsigned
        if entry_hash(e.prev_hash, e.at, e.actor, e.action, e.object, e.outcome, e.detail) != e.hash:
            return (e.seq, f"entry {e.seq} was altered (its content no longer matches its hash)"), prev, unsigned
        if e.signature is None:
            if signed_seen:
                return (e.seq, f"entry {e.seq} has no signature although the entries before it are signed "
                               "(appended or forged, or its signature removed)"), prev, unsigned
            unsigned += 1
        else:
            signed_seen = True
            why = _signature_problem(e, key, hashes, ring_at)
            if why:
                return (e.seq, why), prev, unsigned
            ring_at = key.index(e.key_id)
        if e.prev_hash != prev:
            other = hashes.get(e.prev_hash)
            if other is not None:
                return (e.seq, f"entry {e.seq} is out of order (it chains onto entry {other}, not "
                               f"{e.seq - 1})"), prev, unsigned
            if e.signature is None:  # unsigned: a rewritten predecessor and a removed entry look alike
                return (e.seq - 1, f"entry {e.seq - 1} was rewritten, or entries between {e.seq - 1} and {e.seq} "
                                   f"were removed and the rest renumbered (unsigned entries cannot tell which)"), prev, unsigned
            return (e.seq - 1, f"entry {e.seq - 1} was replaced (entry {e.seq}, signed, chains onto another "
                               f"hash)"), prev, unsigned
        prev = e.hash
        expected += 1
    last = expected - 1
    head_row = session.get(AuditHead, 1)
    if head_row is not None:
        if head_row.seq > last:
            return (last + 1, f"entries from {last + 1} on were removed (the head records {head_row.seq})"), prev, unsigned
        if head_row.seq < last:
            return (head_row.seq + 1, f"entry {head_row.seq + 1} was appended behind the head's back "
                                      f"(the head records {head_row.seq})"), prev, unsigned
        if head_row.hash != prev:
            return (last, f"entry {last} was rewritten (it does not match the head)"), prev, unsigned
    return None, prev, unsigned


def _signature_problem(e: AuditEntry, ring: audit_keys.Keyring, hashes: dict[str, int], ring_at: int = 0) -> str | None:
    """Why a signed entry does not check out under ``ring``; ``ring_at``: the ring's place of the key that signed the
    entry before (a key once succeeded signs nothing after its successor has)."""
    at = ring.index(e.key_id)
    if at is None:
        return (f"entry {e.seq} is signed with another key, unknown ({e.key_id}: neither the configured key "
                f"{ring.current.key_id} nor one it succeeded)")
    if at < ring_at:
        return (f"entry {e.seq} is signed with key {e.key_id}, retired before an earlier entry was signed with its "
                f"successor {ring.keys[ring_at].key_id} (forged with an old key)")
    key = ring.keys[at]
    if key.check(signed_message(e.seq, e.prev_hash, e.hash), e.signature):
        return None
    for was in (e.seq + 1, e.seq - 1, e.seq + 2):  # moved by a deletion or an insertion nearby?
        if was > 0 and key.check(signed_message(was, e.prev_hash, e.hash), e.signature):
            if e.prev_hash in hashes and hashes[e.prev_hash] != e.seq - 1:
                return (f"entry {e.seq} is out of order (the entry in its place was signed as entry {was} and "
                        f"chains onto entry {hashes[e.prev_hash]})")
            return (f"entry {e.seq} is missing or was moved: the entry now numbered {e.seq} was signed as entry "
                    f"{was} (entries removed or reordered, the rest renumbered)")
    return f"entry {e.seq}'s signature does not match it (rewritten with a recomputed hash, or forged)"


def _compare_checkpoints(result: Verification, rows: list[AuditEntry], key) -> None:
    """Checkpoints catch what the chain itself cannot: a cut-off end, stripped signatures, a rewritten
    unsigned prefix, a chain replaced wholesale."""
    by_seq = {e.seq: e for e in rows}
    chain = by_seq[1].hash if 1 in by_seq else None
    cps = audit_checkpoints.read(key, chain)
    bad: list[tuple[int | None, str]] = []
    for c in cps:
        if not c.valid and not c.known_key:
            bad.append((None, f"checkpoint {c.file}:{c.line} is not signed by a known key: {c.key_id or '?'} is neither "
                              f"the configured key {key.current.key_id} nor one it succeeded (forged, or an unknown key)"))
        elif not c.valid:
            bad.append((None, f"checkpoint {c.file}:{c.line} is not signed by key {c.key_id} (forged or damaged)"))
    mine = sorted((c for c in cps if c.valid and c.chain == chain), key=lambda c: c.seq)
    result.checkpoints = len(mine)
    result.latest_checkpoint = mine[-1].seq if mine else None
    last = max(by_seq) if by_seq else 0
    if chain is None:
        others = [c for c in audit_checkpoints.read(key) if c.valid]
        if others:
            bad.append((1, f"the database holds no entry 1, but {len(others)} checkpoints signed by these keys record "
                           f"a chain (up to entry {max(c.seq for c in others)}): the log was emptied or replaced"))
    elif not mine:
        bad.append((None, f"no checkpoint names this chain (its entry 1 is {chain[:16]}…) in "
                          f"{audit_checkpoints.directory()}: the chain was replaced, or its checkpoints are missing"))
    matched = 0
    for c in mine:
        entry = by_seq.get(c.seq)
        if entry is None and c.seq > last:
            bad.append((last + 1, f"entries from {last + 1} on were removed: checkpoint {c.file}:{c.line} "
                                  f"signed {c.at} records entry {c.seq}"))
        elif entry is None or entry.hash != c.hash:
            bad.append((matched + 1, f"entries {matched + 1}–{c.seq} were rewritten: entry {c.seq} does not match "
                                     f"checkpoint {c.file}:{c.line} signed {c.at} (the last matching one is {matched})"))
        else:
            matched = max(matched, c.seq)
        if c.first_signed is not None:
            stripped = next((s for s in range(c.first_signed, min(c.seq, last) + 1)
                             if s in by_seq and by_seq[s].signature is None), None)
            if stripped is not None:
                bad.append((stripped, f"entry {stripped} has lost its signature: checkpoint {c.file}:{c.line} records "
                                      f"entries signed from {c.first_signed}"))
    bad.sort(key=lambda b: (b[0] is None, b[0] or 0))
    if bad and (result.ok or (bad[0][0] is not None and bad[0][0] < (result.first_bad or 0))):
        result.ok, (result.first_bad, result.problem) = False, bad[0]


def _chain_id(session: Session) -> str | None:
    return session.execute(select(AuditEntry.hash).where(AuditEntry.seq == 1)).scalar()


def head(session: Session) -> dict[str, Any]:
    """The head, and the latest signed checkpoint of it kept outside the database (for the public notice)."""
    row = session.get(AuditHead, 1)
    chain = _chain_id(session)
    return {"seq": row.seq if row else 0, "hash": row.hash if row else GENESIS,
            "checkpoint": audit_checkpoints.latest(chain) if chain else None}
