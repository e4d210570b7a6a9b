"""Sign-in as a weapon and as an oracle (issue 13, item 7), over HTTP on SQLite and PostgreSQL.

An anonymous caller must not be able to lock anyone out, nor learn which accounts exist — from the words,
the status or the time of the answer — while guessing from one place slows down exponentially, per client
and per account. A disabled or locked account's open sessions and bearer tokens stop working at once.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from huiqi.api.app import create_app
from huiqi.storage.models import User, utcnow
from huiqi.workflow import accounts, throttle

PW = "password-123"


@pytest.fixture
def site(db, monkeypatch):
    """Accounts, and a factory of HTTP clients each calling from its own address."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with db.transaction() as s:
        accounts.create_user(s, "fin", PW, "finance")
        accounts.create_user(s, "adm", PW, "admin")
    app = create_app(db)

    def client(address: str) -> TestClient:
        return TestClient(app, base_url="https://testserver", client=(address, 40000))

    return client


def _login(c: TestClient, username: str, password: str = PW):
    return c.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_anonymous_failures_do_not_lock_the_owner_out(site):
    attacker, officer = site("203.0.113.9"), site("10.0.0.7")
    for _ in range(8):  # today: the 5th locks the finance officer out for 15 minutes
        assert _login(attacker, "fin", "wrong-password").status_code == 401
    r = _login(officer, "fin")
    assert r.status_code == 200, r.text


def test_guessing_from_one_client_backs_off_exponentially(db, site):
    """Past the allowance, each failure doubles the wait; while waiting even the right password is refused
    unchecked (with Retry-After); after the wait it is checked again."""
    with db.transaction() as s:
        now = utcnow()
        for _ in range(throttle.ALLOWANCE["ac"]):
            with pytest.raises(accounts.LoginFailed) as e:
                accounts.login(s, "fin", "wrong-password", now=now, client="198.51.100.1")
            assert e.value.retry_after == 0
        waits = []
        for _ in range(4):
            with pytest.raises(accounts.LoginFailed):
                accounts.login(s, "fin", "wrong-password", now=now, client="198.51.100.1")
            with pytest.raises(accounts.LoginFailed) as e:  # the right password, too early
                accounts.login(s, "fin", PW, now=now, client="198.51.100.1")
            waits.append(e.value.retry_after)
            now += dt.timedelta(seconds=e.value.retry_after)
        assert waits == [1, 2, 4, 8]
        assert accounts.login(s, "fin", PW, now=now, client="198.51.100.1").username == "fin"
    assert throttle.backoff(10**6, 3) == throttle.CAP_SECONDS  # capped


def test_thirty_usernames_from_one_client_are_throttled(db, site):
    """Spraying or probing many usernames from one address slows that address down (today: never)."""
    answers = [_login(site("192.0.2.50"), f"user{i:02d}", "Spring2024!") for i in range(30)]
    assert {a.status_code for a in answers} == {401}
    assert sum("retry-after" in a.headers for a in answers) >= 10  # told to wait, over and over
    with db.transaction() as s:  # the clock held still: the address waits, even with a right password
        now = utcnow()
        for i in range(30):
            with pytest.raises(accounts.LoginFailed):
                accounts.login(s, f"user{i:02d}", "Spring2024!", now=now, client="192.0.2.60")
        with pytest.raises(accounts.LoginFailed) as e:
            accounts.login(s, "fin", PW, now=now, client="192.0.2.60")
        assert e.value.retry_after > 0
        assert accounts.login(s, "fin", PW, now=now, client="192.0.2.61").username == "fin"


def test_every_failure_has_the_same_answer(db, site):
    """Unknown user, wrong password, disabled account, throttled caller: one status, one message, never
    'locked' (today: only existing accounts ever say locked)."""
    c = site("198.51.100.20")
    with db.transaction() as s:
        admin = s.execute(select(User).where(User.username == "adm")).scalar_one()
        accounts.create_user(s, "gone", PW, "finance")
        accounts.set_disabled(s, admin, "gone", True)
    answers = [_login(c, "nobody"), _login(c, "fin", "wrong-password"), _login(c, "gone")]
    for _ in range(20):  # until one is refused for waiting
        answers.append(_login(c, "fin", "wrong-password"))
        if "retry-after" in answers[-1].headers:
            break
    assert "retry-after" in answers[-1].headers
    bodies = {(a.status_code, a.json()["error"]["code"], a.json()["error"]["message_zh"], a.json()["error"]["message_en"])
              for a in answers}
    assert len(bodies) == 1, bodies
    status, code, zh, en = bodies.pop()
    assert (status, code) == (401, "login_failed") and "locked" not in en.lower() and "锁定" not in zh
    assert "用户名或密码错误" in zh and "wrong username or password" in en.lower()


def test_a_disabled_or_locked_accounts_sessions_and_tokens_stop_working(db, site):
    c = site("10.0.0.8")
    r = _login(c, "fin")
    token = c.post("/api/v1/auth/tokens", json={"name": "t"}, headers={"X-CSRF-Token": r.json()["csrf_token"]}).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/me").status_code == 200 and c.get("/api/v1/me", headers=bearer).status_code == 200
    with db.transaction() as s:  # locked by the lock-out of the version before throttling, still running
        s.execute(select(User).where(User.username == "fin")).scalar_one().locked_until = utcnow() + dt.timedelta(minutes=10)
    assert c.get("/api/v1/me").status_code == 401  # today: the cookie session still works
    assert site("10.0.0.9").get("/api/v1/me", headers=bearer).status_code == 401  # today: so does the token
    with db.transaction() as s:
        s.execute(select(User).where(User.username == "fin")).scalar_one().locked_until = None
    assert c.get("/api/v1/me", headers=bearer).status_code == 200
    with db.transaction() as s:  # an administrator disables the account: everything ends at once
        admin = s.execute(select(User).where(User.username == "adm")).scalar_one()
        accounts.set_disabled(s, admin, "fin", True)
    assert c.get("/api/v1/me").status_code == 401 and c.get("/api/v1/me", headers=bearer).status_code == 401


def test_the_login_page_says_the_same_for_every_failure(db, site):
    c = site("10.0.0.10")
    pages = [c.post("/login", data={"username": u, "password": p, "next": "/"}, follow_redirects=False)
             for u, p in (("nobody", PW), ("fin", "wrong-password"))]
    assert [p.status_code for p in pages] == [200, 200]
    texts = [p.text.split('data-test="login-failed">', 1)[1].split("<", 1)[0] for p in pages]
    assert texts[0] == texts[1] and "用户名或密码错误" in texts[0]
    ok = c.post("/login", data={"username": "fin", "password": PW, "next": "/"}, follow_redirects=False)
    assert ok.status_code == 303


def test_an_unknown_user_costs_as_much_time_as_a_wrong_password(db, monkeypatch):
    """With the real argon2 parameters: today an unknown user answers ~50× faster than a wrong password."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher())
    with db.transaction() as s:
        accounts.create_user(s, "timed", PW, "finance")

    def seconds(username: str, i: int) -> float:
        start = time.perf_counter()
        with db.transaction() as s:
            with pytest.raises(accounts.LoginFailed):
                accounts.login(s, username, "wrong-password", client=f"10.1.{i}.1")  # a fresh client: never throttled
        return time.perf_counter() - start

    seconds("timed", 99), seconds("nobody-at-all", 98)  # warm up both paths
    pairs = [(seconds("timed", i), seconds("nobody-at-all", 10 + i)) for i in range(7)]  # interleaved: load hits both
    known, unknown = statistics.median(k for k, _ in pairs), statistics.median(u for _, u in pairs)
    assert 1 / 3 < unknown / known < 3, pairs  # before: ~50x apart


def test_enabling_an_account_clears_its_back_off(db, site):
    with db.transaction() as s:
        now = utcnow()
        for _ in range(throttle.ALLOWANCE["ac"] + 1):
            with pytest.raises(accounts.LoginFailed):
                accounts.login(s, "fin", "wrong-password", now=now, client="10.9.9.9")
        with pytest.raises(accounts.LoginFailed) as e:
            accounts.login(s, "fin", PW, now=now, client="10.9.9.9")
        assert e.value.retry_after > 0
        admin = s.execute(select(User).where(User.username == "adm")).scalar_one()
        accounts.set_disabled(s, admin, "fin", False)
        assert accounts.login(s, "fin", PW, now=now, client="10.9.9.9").username == "fin"
