"""Signed checkpoints of the audit chain's head, written outside the database.

After every transaction that appended to the chain commits, the committed head (entry number and hash)
is signed with the audit key and appended as one JSON line to ``<dir>/<chain>.jsonl`` (``dir`` is
``HUIQI_AUDIT_CHECKPOINTS``, default ``var/audit-checkpoints``; ``chain`` names the chain by the hash of
its first entry). The directory belongs to the application host, not the database: someone who can
rewrite every row and recompute every hash still cannot make the chain agree with a checkpoint it no
longer contains, nor sign one. Put the directory on append-only storage (``chattr +a``, WORM, a remote
log) for the same protection against the host's own administrator.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from huiqi.workflow import audit_keys

DEFAULT_DIR = "var/audit-checkpoints"
FLAG = "huiqi_audit_appended"
READY = "huiqi_audit_committed"
log = logging.getLogger("huiqi.audit")


def directory() -> Path:
    return Path(os.environ.get("HUIQI_AUDIT_CHECKPOINTS") or DEFAULT_DIR)


def _message(cp: dict) -> bytes:
    body = {k: cp[k] for k in ("v", "chain", "seq", "hash", "first_signed", "at", "key_id")}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class Checkpoint:
    chain: str
    seq: int
    hash: str
    first_signed: int | None
    at: str
    key_id: str
    valid: bool  # its signature checks against its key, the configured one or one it succeeded (keyring)
    file: str
    line: int
    known_key: bool = True  # signed by a key of the ring (False: an unknown key — forged, or a foreign key)


def write(key: audit_keys.AuditKey, chain: str, seq: int, hash_: str, first_signed: int | None) -> dict:
    """Append one signed checkpoint line (O_APPEND: concurrent writers never interleave a line)."""
    cp = {"v": 1, "chain": chain, "seq": seq, "hash": hash_, "first_signed": first_signed,
          "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "key_id": key.key_id}
    cp["sig"] = key.sign(_message(cp))
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{chain[:16]}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(cp, sort_keys=True) + "\n").encode())
    finally:
        os.close(fd)
    return cp


def read(key: audit_keys.AuditKey | audit_keys.Keyring | None, chain: str | None = None) -> list[Checkpoint]:
    """Every checkpoint line (of one chain, or all), each marked valid or not under ``key`` — a key, or a keyring
    (the configured key and those it succeeded, :func:`huiqi.workflow.audit_keys.keyring`), so checkpoints
    signed before a rotation still verify and one signed by a key outside the ring does not."""
    ring = audit_keys.Keyring((key,)) if isinstance(key, audit_keys.AuditKey) else key
    folder = directory()
    if not folder.is_dir():
        return []
    files = [folder / f"{chain[:16]}.jsonl"] if chain else sorted(folder.glob("*.jsonl"))
    out = []
    for f in files:
        if not f.exists():
            continue
        for n, text in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                cp = json.loads(text)
                signer = ring.get(cp["key_id"]) if ring is not None else None
                valid = signer is not None and signer.check(_message(cp), cp["sig"])
                item = Checkpoint(cp["chain"], int(cp["seq"]), cp["hash"], cp["first_signed"], cp["at"], cp["key_id"],
                                  valid, str(f), n, signer is not None)
            except (ValueError, KeyError, TypeError):
                item = Checkpoint("", 0, "", None, "", "", False, str(f), n)
            if chain is None or item.chain == chain or not item.valid:
                out.append(item)
    return out


def latest(chain: str) -> dict | None:
    """The newest checkpoint of a chain (for the public notice page), without checking it."""
    f = directory() / f"{chain[:16]}.jsonl"
    try:
        with open(f, "rb") as fh:
            fh.seek(max(0, os.path.getsize(f) - 4096))
            last = fh.read().decode("utf-8", "replace").strip().splitlines()[-1]
        cp = json.loads(last)
        return {k: cp[k] for k in ("seq", "hash", "at", "key_id", "sig")}
    except (OSError, ValueError, KeyError, IndexError):
        return None


# -- after commit: checkpoint the committed head ------------------------------------------------------
# The head is read after the session's transaction has ended (its connection back in the pool, so a busy
# pool never waits on itself), on a connection of its own: what is read is committed by definition, even
# when an append inside a rolled-back savepoint never happened.

_first_signed: dict[str, int] = {}


def _after_commit(session: Session) -> None:
    if session.info.pop(FLAG, False):
        session.info[READY] = True  # written once the transaction has ended and given its connection back


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is not None or not session.info.pop(READY, False):
        return
    try:
        checkpoint_now(session.get_bind())
    except Exception as e:  # never fail a committed request over its checkpoint; the next one covers it
        log.warning("审计检查点写入失败 audit checkpoint not written: %s", e)


def checkpoint_now(bind) -> dict | None:
    """Sign and write the committed head, read on a connection of its own (the session cannot run SQL
    after its commit) without opening a write transaction."""
    key = audit_keys.load(create=True)
    raw = bind.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT seq, hash FROM audit_head WHERE id = 1")
        head = cur.fetchone()
        cur.execute("SELECT hash FROM audit_log WHERE seq = 1")
        first = cur.fetchone()
        if head is None or first is None or not head[0]:
            return None
        chain = first[0]
        if chain not in _first_signed:
            cur.execute("SELECT MIN(seq) FROM audit_log WHERE signature IS NOT NULL")
            found = cur.fetchone()[0]
            if found is not None:
                _first_signed[chain] = int(found)
        cur.close()
    finally:
        raw.close()
    return write(key, chain, int(head[0]), head[1], _first_signed.get(chain))


def _after_rollback(session: Session) -> None:
    session.info.pop(FLAG, None)


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)
event.listen(Session, "after_transaction_end", _after_transaction_end)
