"""The keyed, externally anchored audit chain (issue 13, item 6), on SQLite and PostgreSQL.

Each tampering shape is done the way someone with write access to the database but not the key would do
it — with SQL, recomputing hashes and moving the head where that helps them — and :func:`audit.verify`
must name exactly the first bad entry. A full rewrite (every hash and the head recomputed, even re-signed
with a key of the attacker's own) passes neither the signatures nor the checkpoints kept outside the
database; a cut-off end passes the chain but not the checkpoints.
"""

from __future__ import annotations

import json
import logging
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from typer.testing import CliRunner

from huiqi.cli import app as cli
from huiqi.workflow import audit, audit_checkpoints, audit_keys
from huiqi.workflow.audit import entry_hash, signed_message
from tests.workflow.test_kill import _url

N = 12  # entries in the chain under test


@pytest.fixture
def chain(db, tmp_path, monkeypatch):
    """A chain of N signed entries, one transaction (and so one checkpoint) each, with its own key and
    checkpoint folder."""
    monkeypatch.setenv("HUIQI_AUDIT_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("HUIQI_AUDIT_CHECKPOINTS", str(tmp_path / "checkpoints"))
    for i in range(1, N + 1):
        with db.transaction() as s:
            audit.append(s, "clerk", "test.step", f"thing/{i}", "ok", {"i": i})
    with db.transaction() as s:
        v = audit.verify(s, checkpoints=True)
    assert v.ok and v.entries == N and v.unsigned == 0 and v.checkpoints == N and v.latest_checkpoint == N, v
    return db


def _rows(s) -> list:
    return s.execute(text("SELECT seq, at, actor, action, object, outcome, detail, prev_hash, hash "
                          "FROM audit_log ORDER BY seq")).all()


def _set_head(s) -> None:
    """Move the head to the last entry, as a careful forger would."""
    last = s.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).one()
    s.execute(text("UPDATE audit_head SET seq = :q, hash = :h WHERE id = 1"), {"q": last.seq, "h": last.hash})


def _rechain(s, start: int, sign_with: Ed25519PrivateKey | None = None) -> None:
    """Recompute every hash from ``start`` on (and the head); optionally sign with another key."""
    prev = None
    for r in _rows(s):
        if r.seq < start:
            prev = r.hash
            continue
        p = prev or audit.GENESIS
        h = entry_hash(p, r.at, r.actor, r.action, r.object, r.outcome, r.detail)
        sig = sign_with.sign(signed_message(r.seq, p, h)).hex() if sign_with else None
        s.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h" + (", signature = :g, key_id = 'attacker'"
                                                                          if sig else "") + " WHERE seq = :q"),
                  {"p": p, "h": h, "g": sig, "q": r.seq})
        prev = h
    _set_head(s)


def _renumber_down(s, after: int) -> None:
    """Close a gap: entries after ``after`` move one number down (two steps: keys stay unique)."""
    s.execute(text("UPDATE audit_log SET seq = -seq WHERE seq > :a"), {"a": after})
    s.execute(text("UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0"))


def _edit(s):
    s.execute(text("UPDATE audit_log SET outcome = 'failure' WHERE seq = 5"))


def _edit_recomputed(s):
    s.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5"))
    _rechain(s, 5)


def _delete(s):
    s.execute(text("DELETE FROM audit_log WHERE seq = 6"))


def _delete_renumber(s):  # the shape issue 13 found named one early
    s.execute(text("DELETE FROM audit_log WHERE seq = 6"))
    _renumber_down(s, 6)
    _set_head(s)


def _delete_renumber_rechain(s):
    s.execute(text("DELETE FROM audit_log WHERE seq = 6"))
    _renumber_down(s, 6)
    _rechain(s, 6)


def _reorder(s):
    s.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = 7"))
    s.execute(text("UPDATE audit_log SET seq = 7 WHERE seq = 8"))
    s.execute(text("UPDATE audit_log SET seq = 8 WHERE seq = -1"))


def _reorder_rechain(s):
    _reorder(s)
    _rechain(s, 7)


def _renumber(s):  # entries from 4 on shifted up by 10, the head moved along
    s.execute(text("UPDATE audit_log SET seq = -seq WHERE seq >= 4"))
    s.execute(text("UPDATE audit_log SET seq = -seq + 10 WHERE seq < 0"))
    _set_head(s)


def _truncate_head_kept(s):
    s.execute(text("DELETE FROM audit_log WHERE seq > 9"))


def _truncate(s):
    s.execute(text("DELETE FROM audit_log WHERE seq > 9"))
    _set_head(s)


def _append(s, sign_with: Ed25519PrivateKey | None = None):
    last = s.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).one()
    at, seq = "2024-10-08T00:00:00.000000", last.seq + 1
    h = entry_hash(last.hash, at, "mallory", "application.approve", "application/9", "ok", "{}")
    sig = sign_with.sign(signed_message(seq, last.hash, h)).hex() if sign_with else None
    s.execute(text("INSERT INTO audit_log (seq, at, actor, action, object, outcome, detail, prev_hash, hash, key_id, "
                   "signature) VALUES (:q, :at, 'mallory', 'application.approve', 'application/9', 'ok', '{}', :p, :h, "
                   ":k, :g)"), {"q": seq, "at": at, "p": last.hash, "h": h, "k": "attacker" if sig else None, "g": sig})
    _set_head(s)


def _full_rewrite(s):  # every entry's content kept but re-hashed and re-signed by the attacker's own key
    s.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    _rechain(s, 1, sign_with=Ed25519PrivateKey.generate())


def _strip_signatures(s):
    s.execute(text("UPDATE audit_log SET signature = NULL, key_id = NULL"))


# shape → (first bad entry, a word of the reason, whether the chain alone sees it or only the checkpoints)
SHAPES = {
    "edit": (_edit, 5, "altered", True),
    "edit_recomputed": (_edit_recomputed, 5, "signature", True),
    "delete": (_delete, 6, "missing", True),
    "delete_renumber": (_delete_renumber, 6, "signed as entry 7", True),
    "delete_renumber_rechain": (_delete_renumber_rechain, 6, "signature", True),
    "reorder": (_reorder, 7, "out of order", True),
    "reorder_rechain": (_reorder_rechain, 7, "signature", True),
    "renumber": (_renumber, 4, "missing", True),
    "truncate_head_kept": (_truncate_head_kept, 10, "removed", True),
    "truncate": (_truncate, 10, "removed", False),
    "append_unsigned": (_append, N + 1, "no signature", True),
    "append_signed_by_another_key": (lambda s: _append(s, Ed25519PrivateKey.generate()), N + 1, "another key", True),
    "full_rewrite": (_full_rewrite, 1, "another key", True),
    "strip_signatures": (_strip_signatures, 1, "lost its signature", False),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_tampering_shape_names_the_exact_first_bad_entry(chain, shape):
    tamper, first_bad, says, chain_sees = SHAPES[shape]
    with chain.transaction() as s:
        tamper(s)
    with chain.transaction() as s:
        alone, anchored = audit.verify(s), audit.verify(s, checkpoints=True)
    assert not anchored.ok and anchored.first_bad == first_bad and says in anchored.problem, anchored
    if chain_sees:
        assert not alone.ok and alone.first_bad == first_bad and says in alone.problem, alone
    else:  # a clean cut (or stripped signatures) with the head moved: only the outside record shows it
        assert alone.ok, alone


def test_old_unsigned_entries_are_reported_as_such_not_as_tampering(db, tmp_path, monkeypatch):
    """Entries written by the version before keys (no signature, the same hashes) stay verifiable: the
    chain carries on from them signed, and verify reports how many are unsigned."""
    monkeypatch.delenv("HUIQI_AUDIT_KEY_FILE")
    monkeypatch.setenv("HUIQI_AUDIT_CHECKPOINTS", str(tmp_path / "checkpoints"))
    monkeypatch.chdir(tmp_path)  # `make run` with no configuration: the key is generated under var/
    with db.transaction() as s:
        prev = audit.GENESIS
        for seq in range(1, 4):
            at = f"2024-05-0{seq}T00:00:00.000000"
            h = entry_hash(prev, at, "old", "login", "user/1", "ok", "{}")
            s.execute(text("INSERT INTO audit_log (seq, at, actor, action, object, outcome, detail, prev_hash, hash) "
                           "VALUES (:q, :at, 'old', 'login', 'user/1', 'ok', '{}', :p, :h)"),
                      {"q": seq, "at": at, "p": prev, "h": h})
            prev = h
        s.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, :h)"), {"h": prev})
    with db.transaction() as s:
        v = audit.verify(s)
    assert v.ok and v.unsigned == 3  # no key yet, nothing signed: fine
    with db.transaction() as s:
        audit.append(s, "new", "login", "user/1")
        audit.append(s, "new", "login", "user/2")
    key_file = tmp_path / "var" / "audit-signing-key.pem"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with db.transaction() as s:
        v = audit.verify(s, checkpoints=True)
    assert v.ok and (v.entries, v.unsigned, v.checkpoints) == (5, 3, 1), v
    out = CliRunner().invoke(cli, ["audit", "verify", "--checkpoints"], env={"HUIQI_DATABASE_URL": _url(db)})
    assert out.exit_code == 0, out.output
    assert "3" in out.stdout and "unsigned" in out.stdout and "checkpoint" in out.stdout
    with db.transaction() as s:  # but an unsigned entry after signed ones is tampering
        s.execute(text("UPDATE audit_log SET signature = NULL WHERE seq = 5"))
    with db.transaction() as s:
        v = audit.verify(s)
    assert not v.ok and v.first_bad == 5


def test_a_key_is_generated_on_first_use_and_says_so(db, tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("HUIQI_AUDIT_KEY_FILE")
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING, logger="huiqi.audit"), db.transaction() as s:
        audit.append(s, "x", "test", "thing/1")
    assert "var/audit-signing-key.pem" in caplog.text and "生成" in caplog.text
    assert (tmp_path / "var" / "audit-signing-key.pem").exists()


def test_an_environment_secret_signs_and_a_public_key_alone_verifies(chain, tmp_path, monkeypatch):
    secret = os.urandom(32).hex()
    monkeypatch.setenv("HUIQI_AUDIT_KEY", secret)
    with chain.transaction() as s:
        audit.append(s, "env", "test", "thing/env")
    with chain.transaction() as s:  # the old entries were signed with the file's key: named, not silently passed
        v = audit.verify(s)
    assert not v.ok and v.first_bad == 1 and "another key" in v.problem
    monkeypatch.delenv("HUIQI_AUDIT_KEY")
    pub = tmp_path / "public.pem"
    pub.write_text(audit_keys.public_pem(audit_keys.load()))
    monkeypatch.setenv("HUIQI_AUDIT_KEY_FILE", str(tmp_path / "absent.pem"))
    monkeypatch.setenv("HUIQI_AUDIT_PUBLIC_KEY", str(pub))
    with chain.transaction() as s:  # an auditor with the public key only: every file-key entry checks out
        s.execute(text("DELETE FROM audit_log WHERE seq > :n"), {"n": N})
        _set_head(s)
        v = audit.verify(s)
    assert v.ok and v.entries == N
    monkeypatch.setenv("HUIQI_AUDIT_KEY", "not-a-key")
    with chain.transaction() as s:
        v = audit.verify(s)
    assert not v.ok and "HUIQI_AUDIT_KEY" in v.problem


def test_a_forged_checkpoint_line_is_named(chain):
    folder = audit_checkpoints.directory()
    f = next(folder.glob("*.jsonl"))
    lines = f.read_text().splitlines()
    cp = json.loads(lines[-1])
    cp["seq"], cp["hash"] = N + 5, "f" * 64
    f.write_text("\n".join(lines + [json.dumps(cp)]) + "\n")
    with chain.transaction() as s:
        v = audit.verify(s, checkpoints=True)
    assert not v.ok and "not signed" in v.problem and f.name in v.problem


def test_cli_verify_with_checkpoints_detects_a_full_rewrite(chain):
    env = {"HUIQI_DATABASE_URL": _url(chain)}
    ok = CliRunner().invoke(cli, ["audit", "verify", "--checkpoints"], env=env)
    assert ok.exit_code == 0 and f"{N} checkpoint" in ok.stdout, ok.output
    with chain.transaction() as s:
        _truncate(s)
    assert CliRunner().invoke(cli, ["audit", "verify"], env=env).exit_code == 0  # the chain alone cannot tell
    bad = CliRunner().invoke(cli, ["audit", "verify", "--checkpoints"], env=env)
    assert bad.exit_code == 1 and "broken at entry 10:" in bad.stdout and "removed" in bad.stdout, bad.output


def test_the_public_head_carries_the_latest_checkpoint(chain):
    with chain.transaction() as s:
        head = audit.head(s)
    cp = head["checkpoint"]
    assert cp["seq"] == head["seq"] == N and cp["hash"] == head["hash"] and len(cp["sig"]) == 128


def test_the_api_verifies_with_checkpoints_for_an_administrator(db, tmp_path, monkeypatch):
    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app
    from huiqi.workflow import accounts

    monkeypatch.setenv("HUIQI_AUDIT_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("HUIQI_AUDIT_CHECKPOINTS", str(tmp_path / "checkpoints"))
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with db.transaction() as s:
        token = accounts.new_token(s, accounts.create_user(s, "adm", "password-123", "admin"), "t")
    for i in range(5):
        with db.transaction() as s:
            audit.append(s, "clerk", "test.step", f"thing/{i}")
    c = TestClient(create_app(db), base_url="https://testserver")
    h = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/audit/verify?checkpoints=true", headers=h).json()["ok"] is True
    with db.transaction() as s:
        s.execute(text("DELETE FROM audit_log WHERE seq > 4"))
        _set_head(s)
    assert c.get("/api/v1/audit/verify", headers=h).json()["ok"] is True  # the chain alone cannot tell
    anchored = c.get("/api/v1/audit/verify?checkpoints=true", headers=h).json()
    assert anchored["ok"] is False and anchored["first_bad"] == 5 and "removed" in anchored["problem"]
