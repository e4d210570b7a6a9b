"""Rotating the audit signing key (issue 13): ``huiqi audit rotate-key`` puts a new key in the key file, keeps the
old public key in the keyring under a statement both keys sign, and records the rotation as an audit entry (signed
by the new key) and checkpoints (the head sealed by the old key, then by the new one). Entries and checkpoints
signed before the rotation still verify; a key outside the ring — added to the keyring without the current key's
signature, or signing a checkpoint — is refused, and so is an old key signing after its successor. SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from typer.testing import CliRunner

from huiqi.cli import app as cli
from huiqi.workflow import audit, audit_checkpoints, audit_keys
from huiqi.workflow.audit import entry_hash, signed_message
from tests.workflow.test_kill import _url

BEFORE, AFTER = 4, 3  # entries written before and after a rotation


def _append(db, n: int, tag: str) -> None:
    for i in range(n):
        with db.transaction() as s:
            audit.append(s, "clerk", "test.step", f"{tag}/{i}", "ok", {"i": i})


def _rotate(db) -> tuple[str, str]:
    r = CliRunner().invoke(cli, ["audit", "rotate-key"], env={"HUIQI_DATABASE_URL": _url(db)})
    assert r.exit_code == 0, r.output
    return r.stdout.split("rotated: ", 1)[1].split()[0], r.stdout.split("→ ", 1)[1].split()[0]


def _verify(db, *args: str):
    return CliRunner().invoke(cli, ["audit", "verify", *args], env={"HUIQI_DATABASE_URL": _url(db)})


@pytest.fixture
def keyed(db, tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_AUDIT_KEY_FILE", str(tmp_path / "keys" / "key.pem"))
    monkeypatch.setenv("HUIQI_AUDIT_CHECKPOINTS", str(tmp_path / "checkpoints"))
    monkeypatch.delenv("HUIQI_AUDIT_KEYRING", raising=False)
    monkeypatch.delenv("HUIQI_AUDIT_KEY", raising=False)
    monkeypatch.delenv("HUIQI_AUDIT_PUBLIC_KEY", raising=False)
    _append(db, BEFORE, "before")
    return db


def _keys_of_entries(db) -> list[str]:
    with db.transaction() as s:
        return [r[0] for r in s.execute(text("SELECT key_id FROM audit_log ORDER BY seq"))]


def test_rotation_keeps_old_entries_and_checkpoints_verifiable(keyed, tmp_path):
    old_id = audit_keys.load().key_id
    old_pem = (tmp_path / "keys" / "key.pem").read_bytes()
    got_old, new_id = _rotate(keyed)
    assert got_old == old_id != new_id and audit_keys.load().key_id == new_id
    assert (tmp_path / "keys" / "key.pem").read_bytes() != old_pem  # the old private key is gone from the file
    statement = json.loads(audit_keys.keyring_file().read_text().splitlines()[-1])
    assert (statement["old_key_id"], statement["new_key_id"]) == (old_id, new_id)
    assert audit_keys.keyring_file() == tmp_path / "keys" / "audit-keyring.jsonl"
    _append(keyed, AFTER, "after")
    # entries: the old key's, then the rotation entry and those after it by the new key
    assert _keys_of_entries(keyed) == [old_id] * BEFORE + [new_id] * (1 + AFTER)
    with keyed.transaction() as s:
        rotation = s.execute(text("SELECT action, detail FROM audit_log WHERE seq = :q"), {"q": BEFORE + 1}).one()
        v = audit.verify(s, checkpoints=True)
    assert rotation.action == "audit.rotate_key" and json.loads(rotation.detail)["old_key_id"] == old_id
    assert v.ok and v.entries == BEFORE + 1 + AFTER and v.key_id == new_id, v
    cps = audit_checkpoints.read(audit_keys.keyring(audit_keys.load()))
    assert {c.key_id for c in cps} == {old_id, new_id} and all(c.valid for c in cps)
    assert any(c.key_id == old_id and c.seq == BEFORE for c in cps)  # the head sealed by the old key at rotation
    r = _verify(keyed, "--checkpoints")
    assert r.exit_code == 0 and "intact" in r.stdout, r.output


def test_two_rotations_and_an_auditor_with_the_public_key_alone(keyed, tmp_path, monkeypatch):
    first = audit_keys.load().key_id
    _rotate(keyed)
    _append(keyed, 1, "middle")
    _, last = _rotate(keyed)
    _append(keyed, 1, "end")
    assert len(set(_keys_of_entries(keyed))) == 3
    assert [k.key_id for k in audit_keys.keyring(audit_keys.load()).keys][0] == first
    public = tmp_path / "auditor.pem"
    public.write_text(audit_keys.public_pem(audit_keys.load()))
    ring = tmp_path / "auditor-keyring.jsonl"
    ring.write_bytes(audit_keys.keyring_file().read_bytes())
    monkeypatch.setenv("HUIQI_AUDIT_KEY_FILE", str(tmp_path / "absent.pem"))
    monkeypatch.setenv("HUIQI_AUDIT_PUBLIC_KEY", str(public))
    monkeypatch.setenv("HUIQI_AUDIT_KEYRING", str(ring))
    with keyed.transaction() as s:
        v = audit.verify(s, checkpoints=True)
    assert v.ok and v.key_id == last, v
    ring.write_text("")  # without the keyring the old keys are unknown: refused at the first entry
    with keyed.transaction() as s:
        v = audit.verify(s, checkpoints=True)
    assert not v.ok and v.first_bad == 1 and "another key, unknown" in v.problem, v


def test_a_checkpoint_signed_by_an_unknown_key_is_refused(keyed):
    _rotate(keyed)
    stranger = audit_keys._from_private(Ed25519PrivateKey.generate(), "stranger")
    with keyed.transaction() as s:
        chain, head = audit._chain_id(s), audit.head(s)
    audit_checkpoints.write(stranger, chain, head["seq"], head["hash"], 1)
    r = _verify(keyed, "--checkpoints")
    assert r.exit_code == 1 and "not signed by a known key" in r.stdout and stranger.key_id in r.stdout, r.output
    assert _verify(keyed).exit_code == 0  # the chain itself is untouched


def test_a_key_added_to_the_keyring_without_the_current_keys_signature_is_unknown(keyed):
    """Someone who can write the keyring and the database, but lacks the current key, adds a statement making their
    own key a predecessor and re-signs the first entry with it: refused."""
    current = audit_keys.load()
    mine = Ed25519PrivateKey.generate()
    forged = audit_keys._from_private(mine, "forger")
    st = {"v": 1, "at": "2024-01-01T00:00:00+00:00", "old_key_id": forged.key_id,
          "old_public": audit_keys._raw(forged.public), "new_key_id": current.key_id,
          "new_public": audit_keys._raw(current.public)}
    st["sig_old"] = st["sig_new"] = forged.sign(audit_keys.rotation_message(st))
    audit_keys.keyring_file().parent.mkdir(parents=True, exist_ok=True)
    audit_keys.keyring_file().write_text(json.dumps(st) + "\n")
    ring = audit_keys.keyring(current)
    assert [k.key_id for k in ring.keys] == [current.key_id] and "new key" in ring.problems[0]
    with keyed.transaction() as s:
        e = s.execute(text("SELECT seq, prev_hash, hash FROM audit_log WHERE seq = 1")).one()
        s.execute(text("UPDATE audit_log SET key_id = :k, signature = :g WHERE seq = 1"),
                  {"k": forged.key_id, "g": forged.sign(signed_message(e.seq, e.prev_hash, e.hash))})
    with keyed.transaction() as s:
        v = audit.verify(s)
    assert not v.ok and v.first_bad == 1 and "another key, unknown" in v.problem, v


def test_an_old_key_cannot_sign_after_its_successor(keyed, tmp_path):
    """A retired key that leaked: an entry forged with it after the rotation is named."""
    leaked = audit_keys._read_private(tmp_path / "keys" / "key.pem")
    _rotate(keyed)
    _append(keyed, AFTER, "after")
    last = BEFORE + 1 + AFTER
    with keyed.transaction() as s:
        e = s.execute(text("SELECT * FROM audit_log WHERE seq = :q"), {"q": last}).mappings().one()
        h = entry_hash(e["prev_hash"], e["at"], e["actor"], e["action"], e["object"], e["outcome"], '{"forged":1}')
        s.execute(text("UPDATE audit_log SET detail = :d, hash = :h, key_id = :k, signature = :g WHERE seq = :q"),
                  {"d": '{"forged":1}', "h": h, "k": leaked.key_id, "q": last,
                   "g": leaked.sign(signed_message(last, e["prev_hash"], h))})
        s.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": h})
    with keyed.transaction() as s:
        v = audit.verify(s)
    assert not v.ok and v.first_bad == last and "retired" in v.problem, v


def test_a_key_not_kept_in_a_file_is_not_rotated(keyed, monkeypatch):
    monkeypatch.setenv("HUIQI_AUDIT_KEY", Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()).hex())
    r = CliRunner().invoke(cli, ["audit", "rotate-key"], env={"HUIQI_DATABASE_URL": _url(keyed)})
    assert r.exit_code == 2 and "HUIQI_AUDIT_KEY" in r.output and "Traceback" not in r.output, r.output
    assert not audit_keys.keyring_file().exists()
