"""The operations commands against a real database (SQLite and PostgreSQL), as an operator runs them:
``db upgrade``, ``demo``, ``users create``, ``pools``, ``ledger check`` and ``audit verify`` — including
what they say when the input is wrong or the books have been tampered with."""

from __future__ import annotations

import json
import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text
from typer.testing import CliRunner

from huiqi.cli import app
from huiqi.workflow import accounts, audit
from huiqi.workflow.audit import entry_hash
from huiqi.workflow.demo import ACCOUNTS, DEFAULT_PASSWORD


def _url(db) -> str:
    if db.engine.dialect.name == "sqlite":
        return str(db.engine.url)
    with db.engine.connect() as c:
        schema = c.execute(text("SELECT current_schema()")).scalar_one()
    return db.engine.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def run(*args, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


@pytest.fixture
def env(db, monkeypatch):
    """HUIQI_DATABASE_URL pointing at the test database, upgraded and seeded through the CLI itself."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))  # speed
    monkeypatch.setenv("HUIQI_DATABASE_URL", _url(db))
    monkeypatch.delenv("HUIQI_DEMO_PASSWORD", raising=False)
    monkeypatch.delenv("HUIQI_PASSWORD", raising=False)
    up = run("db", "upgrade")
    assert up.exit_code == 0, up.output
    demo = run("demo", "--if-empty", "--size", "accounts")
    assert demo.exit_code == 0, demo.output
    assert demo.stdout.count(DEFAULT_PASSWORD) == 1 and all(name in demo.stdout for name, *_ in ACCOUNTS)
    return db


def test_upgrade_and_demo_are_safe_to_repeat(env):
    assert run("db", "upgrade").exit_code == 0
    again = run("demo", "--if-empty")
    assert again.exit_code == 0 and "no demo data created" in again.stdout and DEFAULT_PASSWORD not in again.stdout
    assert "演示账户已存在" in again.stdout and "ent-demo" in again.stdout  # says why it skipped
    clash = run("demo")
    assert clash.exit_code == 2 and "ent-demo" in clash.stderr and clash.stderr.startswith("错误：演示账户")
    with env.transaction() as s:
        statuses = s.execute(text("SELECT status FROM applications ORDER BY id")).scalars().all()
    assert statuses == ["public_notice", "under_review", "draft"]


def test_users_create(env, monkeypatch):
    monkeypatch.setenv("HUIQI_PASSWORD", "a-long-password")
    ok = run("users", "create", "rev2", "--role", "reviewer", "--department", "市商务局", "--display-name", "审核员二")
    assert ok.exit_code == 0 and "rev2" in ok.stdout
    cases = [
        (["x1", "--role", "emperor"], "role"),
        (["x2", "--role", "reviewer", "--department", "市不存在局"], "department"),
        (["x3", "--role", "reviewer"], "department"),  # a reviewer must belong to a department
        (["x4", "--role", "applicant", "--credit-code", "91530100MA6K3YXF8X"], "credit_code"),  # bad check character
        (["rev2", "--role", "finance"], "username"),  # taken
    ]
    for args, field in cases:
        bad = run("users", "create", *args)
        assert bad.exit_code == 2, (args, bad.output)
        assert field in bad.stderr and "错误" in bad.stderr, (args, bad.stderr)
    monkeypatch.setenv("HUIQI_PASSWORD", "short")
    bad = run("users", "create", "x5", "--role", "finance")
    assert bad.exit_code == 2 and "password" in bad.stderr


def test_users_create_checks_the_rest_before_the_password_and_needs_a_terminal_to_ask(env):
    bad = run("users", "create", "x", "--role", "emperor", input="")  # refused before any password is needed
    assert bad.exit_code == 2 and "role" in bad.stderr and "password" not in bad.output
    # no terminal and no HUIQI_PASSWORD: exit 2 saying how to give one (it used to abort with exit 1)
    piped = run("users", "create", "admin2", "--role", "admin", input="a-long-password\na-long-password\n")
    assert piped.exit_code == 2, piped.output
    assert "HUIQI_PASSWORD" in piped.stderr and piped.stderr.startswith("错误：没有可输入密码的终端")
    with env.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM users WHERE username = 'admin2'")).scalar_one() == 0


def _in_a_terminal(env_url: str, args: list[str], typed: list[str]) -> tuple[int, str]:
    """Run the installed ``huiqi`` on a real pseudo-terminal, typing each of ``typed`` when a prompt appears."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import termios
    import time
    from pathlib import Path

    exe = Path(sys.executable).parent / "huiqi"
    if not exe.exists():
        pytest.skip("huiqi is not installed as a console script in this environment")
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "HUIQI_PASSWORD"}
    proc = subprocess.Popen([str(exe), *args], stdin=follower, stdout=follower, stderr=follower,
                            env={**env, "HUIQI_DATABASE_URL": env_url}, close_fds=True)
    os.close(follower)
    seen, pending, deadline = b"", list(typed), time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the process ended and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
        if pending and seen.rstrip().endswith(b":") and not termios.tcgetattr(leader)[3] & termios.ECHO:
            os.write(leader, pending.pop(0).encode() + b"\n")  # only once the prompt has turned echo off
            seen += b"\n"
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    os.close(leader)
    return code, seen.decode("utf-8", "replace")


def test_a_terminal_is_asked_for_the_password_twice_without_echo(env):
    url = _url(env)
    code, screen = _in_a_terminal(url, ["users", "create", "admin2", "--role", "admin"],
                                  ["a-long-password", "a-long-password"])
    assert code == 0, screen
    assert "密码 password:" in screen and "再次输入密码 repeat password:" in screen, screen  # asked twice
    assert "a-long-password" not in screen  # never echoed
    with env.transaction() as s:
        assert accounts.login(s, "admin2", "a-long-password").role == "admin"
    code, screen = _in_a_terminal(url, ["users", "reset-password", "admin2"], ["another-password", "other-password"])
    assert code == 2 and "两次输入的密码不一致" in screen, screen
    code, screen = _in_a_terminal(url, ["users", "reset-password", "admin2"], ["another-password", "another-password"])
    assert code == 0 and "已重设 admin2 的密码" in screen, screen
    with env.transaction() as s:
        assert accounts.login(s, "admin2", "another-password").role == "admin"


def test_pools_show_yuan_with_two_decimals(env):
    out = run("pools")
    assert out.exit_code == 0, out.output
    row = next(line for line in out.stdout.splitlines() if "算力券" in line)
    # demo: 360,000 yuan (30% of 1,200,000) reserved by the application in public notice
    assert re.findall(r"¥[\d,]+\.\d\d", row) == ["¥30,000,000.00", "¥360,000.00", "¥0.00", "¥29,640,000.00"]
    for col in ("total", "reserved", "settled", "available"):
        assert col in out.stdout


@pytest.mark.parametrize("breakage, named", [
    ("UPDATE pools SET reserved_fen = reserved_fen - 100 WHERE id = 'kunming_2024/m07.compute_voucher_pool'", "kunming_2024/m07.compute_voucher_pool"),
    ("UPDATE ledger_entries SET amount_fen = amount_fen + 1", "application 1"),
    ("UPDATE applications SET status = 'under_review' WHERE id = 1", "application 1 (under_review)"),
])
def test_ledger_check(env, breakage, named):
    ok = run("ledger", "check")
    assert ok.exit_code == 0 and "balances" in ok.stdout
    with env.transaction() as s:
        s.execute(text(breakage))
    broken = run("ledger", "check")
    assert broken.exit_code == 1 and "does not balance" in broken.stdout and named in broken.stdout, broken.stdout


def _forge(s, seq: int) -> None:
    """Rewrite entry ``seq`` and recompute its own hash, as someone who knows the algorithm would."""
    e = s.execute(text("SELECT at, actor, action, object, outcome, detail, prev_hash FROM audit_log WHERE seq = :q"),
                  {"q": seq}).one()
    forged = entry_hash(e.prev_hash, e.at, "mallory", e.action, e.object, e.outcome, e.detail)
    s.execute(text("UPDATE audit_log SET actor = 'mallory', hash = :h WHERE seq = :q"), {"h": forged, "q": seq})


def _append_forged(s) -> None:
    """Add an entry that chains correctly onto the last one, without moving the head."""
    last = s.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).one()
    at = "2024-10-08T00:00:00.000000"
    h = entry_hash(last.hash, at, "mallory", "application.approve", "application/9", "ok", "{}")
    s.execute(text("INSERT INTO audit_log (seq, at, actor, action, object, outcome, detail, prev_hash, hash) "
                   "VALUES (:q, :at, 'mallory', 'application.approve', 'application/9', 'ok', '{}', :p, :h)"),
              {"q": last.seq + 1, "at": at, "p": last.hash, "h": h})


def _swap(s, a: int, b: int) -> None:
    s.execute(text(f"UPDATE audit_log SET seq = -1 WHERE seq = {a}"))
    s.execute(text(f"UPDATE audit_log SET seq = {a} WHERE seq = {b}"))
    s.execute(text(f"UPDATE audit_log SET seq = {b} WHERE seq = -1"))


@pytest.mark.parametrize("tamper, first_bad, says", [
    (lambda s: s.execute(text("UPDATE audit_log SET outcome = 'failure' WHERE seq = 4")), 4, "altered"),
    (lambda s: s.execute(text("DELETE FROM audit_log WHERE seq = 5")), 5, "missing"),
    (lambda s: s.execute(text("UPDATE audit_log SET hash = 'x' || substr(hash, 2) WHERE seq = 6")), 6, "altered"),
    (lambda s: _forge(s, 7), 7, "rewritten"),
    (lambda s: _swap(s, 3, 4), 3, "out of order"),
    (_append_forged, None, "appended"),
])
def test_audit_verify_names_the_first_bad_entry(env, tamper, first_bad, says):
    ok = run("audit", "verify")
    assert ok.exit_code == 0, ok.output
    with env.transaction() as s:
        head = audit.head(s)
    assert head["hash"] in ok.stdout and f"#{head['seq']}" in ok.stdout  # the chain head an outsider can compare
    with env.transaction() as s:
        tamper(s)
    bad = run("audit", "verify")
    first_bad = head["seq"] + 1 if first_bad is None else first_bad
    assert bad.exit_code == 1, bad.output
    assert f"broken at entry {first_bad}:" in bad.stdout and says in bad.stdout, bad.stdout


def test_audit_verify_detects_a_removed_tail(env):
    with env.transaction() as s:
        top = s.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
        s.execute(text(f"DELETE FROM audit_log WHERE seq = {top}"))
    out = run("audit", "verify")
    assert out.exit_code == 1 and f"broken at entry {top}:" in out.stdout and "removed" in out.stdout


def test_a_bad_database_url_is_named(monkeypatch):
    monkeypatch.setenv("HUIQI_DATABASE_URL", "not-a-url")
    out = run("ledger", "check")
    assert out.exit_code == 2 and "HUIQI_DATABASE_URL" in out.stderr


def test_users_list_table_and_json(env):
    table = run("users", "list")
    assert table.exit_code == 0, table.output
    listed = json.loads(run("users", "list", "--format", "json").stdout)
    assert {u["username"] for u in listed} >= {name for name, *_ in ACCOUNTS}
    for u in listed:
        assert u["username"] in table.stdout and "password" not in json.dumps(u)  # no hash, ever
        assert u["status"] == "active" and u["status_zh"] == "启用"
    reviewer = next(u for u in listed if u["username"] == "rev-gongxin")
    assert (reviewer["role"], reviewer["department"]) == ("reviewer", "市工业和信息化局")


def test_disabling_ends_sessions_and_tokens_and_enabling_lets_the_account_in_again(env):
    token = run("users", "token", "fin-demo", "--name", "bank-sync")
    assert token.exit_code == 0, token.output
    secret = token.stdout.strip()
    assert secret.startswith("hq_") and "\n" not in secret  # stdout is the token alone, for $(…)
    assert "只显示这一次" in token.stderr and "shown only this once" in token.stderr
    with env.transaction() as s:
        user = accounts.login(s, "fin-demo", DEFAULT_PASSWORD)
        sid, _ = accounts.new_session(s, user)
    with env.transaction() as s:
        assert accounts.user_for_token(s, secret).username == "fin-demo"
        assert accounts.user_for_session(s, sid)[0].username == "fin-demo"
    off = run("users", "disable", "fin-demo")
    assert off.exit_code == 0 and off.stdout.startswith("已停用 fin-demo"), off.output
    with env.transaction() as s:
        assert accounts.user_for_token(s, secret) is None and accounts.user_for_session(s, sid) is None
        assert s.execute(text("SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id "
                              "WHERE u.username = 'fin-demo'")).scalar_one() == 0
        with pytest.raises(accounts.LoginFailed):
            accounts.login(s, "fin-demo", DEFAULT_PASSWORD)
        actions = s.execute(text("SELECT action, actor FROM audit_log WHERE action LIKE 'user.%' OR action = "
                                 "'token.create' ORDER BY seq")).all()
    assert ("user.disable", "cli") in actions and ("token.create", "cli") in actions
    listed = {u["username"]: u for u in json.loads(run("users", "list", "--format", "json").stdout)}
    assert listed["fin-demo"]["status"] == "disabled" and listed["fin-demo"]["status_zh"] == "已停用"
    refused = run("users", "token", "fin-demo")
    assert refused.exit_code == 2 and "users enable" in refused.stderr and refused.stdout == ""
    on = run("users", "enable", "fin-demo")
    assert on.exit_code == 0 and on.stdout.startswith("已启用 fin-demo")
    with env.transaction() as s:
        assert accounts.login(s, "fin-demo", DEFAULT_PASSWORD).username == "fin-demo"
        assert accounts.user_for_token(s, secret) is None  # the ended token stays ended


@pytest.mark.parametrize("command", [["disable"], ["enable"], ["reset-password"], ["token"]])
def test_an_unknown_account_is_named(env, command, monkeypatch):
    monkeypatch.setenv("HUIQI_PASSWORD", "a-long-password")
    out = run("users", *command, "nobody")
    assert out.exit_code == 2 and out.stderr.startswith("错误：没有用户“nobody”") and "no user 'nobody'" in out.stderr


def test_a_token_with_an_expiry_stops_opening_anything_after_it(env):
    token = run("users", "token", "ent-demo", "--expires", "7d")
    assert token.exit_code == 0 and "北京时间" in token.stderr, token.output
    secret = token.stdout.strip()
    with env.transaction() as s:
        from huiqi.storage.models import ApiToken

        expires = s.execute(select(ApiToken)).scalar_one()
        assert accounts.user_for_token(s, secret).username == "ent-demo"
    assert abs((expires.expires_at - expires.created_at).total_seconds() - 7 * 86400) < 120
    with env.transaction() as s:  # the week has passed
        s.execute(text("UPDATE api_tokens SET expires_at = created_at - interval '1' second" if env.engine.dialect.name
                       == "postgresql" else "UPDATE api_tokens SET expires_at = datetime(created_at, '-1 second')"))
    with env.transaction() as s:
        assert accounts.user_for_token(s, secret) is None
    for bad in ("0", "-3", "soon", "2000-01-01", "99999d"):
        out = run("users", "token", "ent-demo", "--expires", bad)
        assert out.exit_code == 2 and out.stderr.startswith("错误：--expires") and out.stdout == "", (bad, out.output)
    listed = {u["username"]: u for u in json.loads(run("users", "list", "--format", "json").stdout)}
    assert listed["ent-demo"]["api_tokens"] == 0  # the expired one is not counted


def test_reset_password_from_the_environment_ends_sessions(env, monkeypatch):
    with env.transaction() as s:
        sid, _ = accounts.new_session(s, accounts.login(s, "ent-demo", DEFAULT_PASSWORD))
    missing = run("users", "reset-password", "ent-demo")  # no HUIQI_PASSWORD, no terminal
    assert missing.exit_code == 2 and "HUIQI_PASSWORD" in missing.stderr
    monkeypatch.setenv("HUIQI_PASSWORD", "short")
    short = run("users", "reset-password", "ent-demo")
    assert short.exit_code == 2 and short.stderr.startswith("错误：密码至少10位")
    monkeypatch.setenv("HUIQI_PASSWORD", "a-new-long-password")
    ok = run("users", "reset-password", "ent-demo")
    assert ok.exit_code == 0 and "a-new-long-password" not in ok.output, ok.output
    with env.transaction() as s:
        assert accounts.user_for_session(s, sid) is None
        assert accounts.login(s, "ent-demo", "a-new-long-password").username == "ent-demo"
        with pytest.raises(accounts.LoginFailed):
            accounts.login(s, "ent-demo", DEFAULT_PASSWORD)


def test_pools_json_has_fen_and_yuan(env):
    out = run("pools", "--format", "json")
    assert out.exit_code == 0, out.output
    voucher = next(p for p in json.loads(out.stdout) if p["name_zh"] == "算力券")
    assert (voucher["reserved_fen"], voucher["reserved"]) == (36_000_000, "¥360,000.00")
    assert voucher["available_fen"] == voucher["total_fen"] - voucher["reserved_fen"] - voucher["settled_fen"]


def test_import_of_a_file_that_is_not_a_workbook_exits_2(env, tmp_path):
    notes = tmp_path / "projects.xlsx"
    notes.write_text("这不是工作簿 not a workbook\n", encoding="utf-8")
    out = run("import", "projects", str(notes), "--as", "rev-gongxin")
    assert out.exit_code == 2, out.output
    assert out.stderr.startswith(f"错误：{notes}：不是") and "error: file:" in out.stderr and "已导入" not in out.stdout


@pytest.fixture
def bare(db, monkeypatch):
    """An upgraded database with no demo yet, HUIQI_DATABASE_URL pointing at it."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setenv("HUIQI_DATABASE_URL", _url(db))
    monkeypatch.delenv("HUIQI_DEMO_PASSWORD", raising=False)
    assert run("db", "upgrade").exit_code == 0
    return db


def test_demo_if_empty_after_an_administrator_was_created_still_seeds(bare, monkeypatch):
    """`huiqi users create alice` then `make run`: alice is no reason to skip the demo."""
    monkeypatch.setenv("HUIQI_PASSWORD", "alice-password")
    assert run("users", "create", "alice", "--role", "admin").exit_code == 0
    demo = run("demo", "--if-empty", "--size", "accounts")
    assert demo.exit_code == 0 and DEFAULT_PASSWORD in demo.stdout, demo.output
    with bare.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM applications")).scalar_one() == 3


def test_demo_if_empty_with_applications_stored_says_why_and_how_to_add_it(bare, monkeypatch):
    from huiqi.workflow import demo, service

    with bare.transaction() as s:
        ent = accounts.create_user(s, "someone", "a-long-password", "applicant", credit_code=demo.CREDIT_CODE)
        service.create(s, ent, demo.PROFILE, "m07.compute_voucher", "c1", today=demo.AS_OF)
    skipped = run("demo", "--if-empty")
    assert skipped.exit_code == 0 and DEFAULT_PASSWORD not in skipped.stdout
    assert "已有 1 份申请" in skipped.stdout and "huiqi demo（不加 --if-empty）" in skipped.stdout, skipped.stdout
    assert "1 application(s) stored" in skipped.stdout
    forced = run("demo", "--size", "accounts")
    assert forced.exit_code == 0 and DEFAULT_PASSWORD in forced.stdout, forced.output
