"""The operations commands: users, pools, ledger check and audit verify, against a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from huiqi.cli import app
from huiqi.storage.db import Database
from huiqi.workflow.demo import seed


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/ops.db"
    monkeypatch.setenv("HUIQI_DATABASE_URL", url)
    monkeypatch.setenv("HUIQI_PASSWORD", "a-long-password")
    db = Database(url)
    db.create_all()
    seed(db)
    return db


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_users_create_checks_role_and_department(env):
    assert run("users", "create", "rev2", "--role", "reviewer", "--department", "市商务局").exit_code == 0
    bad = run("users", "create", "x", "--role", "emperor")
    assert bad.exit_code == 2 and "role" in bad.stderr
    bad = run("users", "create", "y", "--role", "reviewer", "--department", "市不存在局")
    assert bad.exit_code == 2 and "department" in bad.stderr
    bad = run("users", "create", "z", "--role", "applicant", "--credit-code", "91530100MA6K3YXF8X")
    assert bad.exit_code == 2


def test_pools_and_ledger_check(env):
    out = run("pools")
    assert out.exit_code == 0 and "算力券" in out.stdout and "¥360,000.00" in out.stdout
    assert run("ledger", "check").exit_code == 0
    with env.transaction() as s:
        s.execute(text("UPDATE pools SET reserved_fen = reserved_fen - 100 WHERE id = 'm07.compute_voucher_pool'"))
    broken = run("ledger", "check")
    assert broken.exit_code == 1 and "m07.compute_voucher_pool" in broken.stdout


@pytest.mark.parametrize("tamper,bad_seq", [
    ("UPDATE audit_log SET outcome = 'failure' WHERE seq = 4", 4),          # edited
    ("DELETE FROM audit_log WHERE seq = 5", 5),                             # deleted from the middle
    ("UPDATE audit_log SET hash = 'x' || substr(hash, 2) WHERE seq = 6", 6), # forged hash
])
def test_audit_verify_names_the_first_bad_entry(env, tamper, bad_seq):
    assert run("audit", "verify").exit_code == 0
    with env.transaction() as s:
        s.execute(text(tamper))
    out = run("audit", "verify")
    assert out.exit_code == 1 and f"entry {bad_seq}" in out.stdout


def test_audit_detects_removed_tail(env):
    with env.transaction() as s:
        top = s.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
        s.execute(text(f"DELETE FROM audit_log WHERE seq = {top}"))
    out = run("audit", "verify")
    assert out.exit_code == 1 and "removed" in out.stdout
