"""A policy's life (issue 11, part 4): its state on any date, the date an answer defaults to, and the
申报期 — no new application outside it, while applications already made continue. At the edges:
the day before the policy starts, its first and last day, the day after it ends."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from huiqi import clock, policies
from huiqi.workflow import accounts, ledger, service

START, END = dt.date(2024, 3, 28), dt.date(2024, 12, 31)
DAY = dt.timedelta(days=1)


def _profile() -> dict:
    from huiqi.standards.uscc import make_uscc

    return {"kind": "enterprise", "name": "申报期测试有限公司", "credit_code": make_uscc("91530100MA6K00001"),
            "district": "530102", "industry": "6513", "size_class": "small",
            "compute_claims": [{"id": "c1", "date": "2024-07-01", "category": "compute_rental", "spend": 100000}]}


@pytest.mark.parametrize(("day", "code"), [(START - DAY, "not_yet"), (START, "in_force"), (END, "in_force"),
                                           (END + DAY, "expired")])
def test_status_at_the_edges(day, code):
    policy = policies.load()
    assert policies.status(policy, day).code == code
    assert policies.status(policy, day).label_zh == {"not_yet": "未施行", "in_force": "施行中", "expired": "已失效"}[code]


@pytest.mark.parametrize(("today", "default"), [(START - DAY, START), (START, START), (dt.date(2024, 7, 1), dt.date(2024, 7, 1)),
                                                (END, END), (END + DAY, END), (dt.date(2026, 12, 5), END)])
def test_default_date(today, default):
    assert policies.default_date(policies.load(), today) == default


def test_an_expired_policy_says_so_up_front():
    policy = policies.load()
    zh, en = policies.date_note(policy, END, dt.date(2026, 12, 1))
    assert zh == "本政策已于2024年12月31日到期；以下为按到期日计算的结果"
    assert en.startswith("This policy expired on 2024-12-31")
    assert policies.date_note(policy, dt.date(2024, 7, 1), dt.date(2024, 7, 1)) is None  # in force, for today


def test_the_clock_is_beijing_time_or_fixed(monkeypatch):
    monkeypatch.setenv("HUIQI_TODAY", "2026-12-01")
    assert clock.today() == dt.date(2026, 12, 1)
    monkeypatch.delenv("HUIQI_TODAY")
    assert clock.today() == dt.datetime.now(clock.BEIJING).date()


def _applicant(db, code: str):
    with db.transaction() as s:
        ledger.ensure_pools(s, policies.load())
        return accounts.create_user(s, "ent", "a-long-password-1", "applicant", credit_code=code)


@pytest.mark.parametrize(("today", "accepted"), [(START - DAY, False), (START, True), (END, True), (END + DAY, False),
                                                 (dt.date(2026, 12, 1), False)])
def test_new_applications_only_within_the_window(db, today, accepted):
    profile = _profile()
    user = _applicant(db, profile["credit_code"])
    if accepted:
        with db.transaction() as s:
            app = service.create(s, s.merge(user), profile, "m07.compute_voucher", "c1", today=today)
            service.submit(s, s.merge(user), app.id, dt.date(2024, 7, 1), today=today)
            assert app.status == "submitted"
        return
    with pytest.raises(service.Refused) as e:
        with db.transaction() as s:
            service.create(s, s.merge(user), profile, "m07.compute_voucher", "c1", today=today)
    assert "申报期" in str(e.value) and "2024年3月28日至2024年12月31日" in str(e.value)
    with db.transaction() as s:  # nothing stored
        from sqlalchemy import func, select

        from huiqi.storage.models import Application

        assert s.execute(select(func.count()).select_from(Application)).scalar_one() == 0


def test_a_draft_is_not_lodged_after_the_window_but_a_returned_application_continues(db):
    profile = _profile()
    user = _applicant(db, profile["credit_code"])
    with db.transaction() as s:
        reviewer = accounts.create_user(s, "rev", "a-long-password-1", "reviewer", department="市工业和信息化局")
        draft = service.create(s, s.merge(user), profile, "m07.compute_voucher", "c1", today=END)
        profile2 = {**profile, "compute_claims": [{"id": "c2", "date": "2024-08-01", "category": "compute_rental",
                                                   "spend": 50000}]}
        lodged = service.create(s, s.merge(user), profile2, "m07.compute_voucher", "c2", today=END)
        service.submit(s, s.merge(user), lodged.id, END, today=END)
        service.start_review(s, s.merge(reviewer), lodged.id)
        service.return_for_more(s, s.merge(reviewer), lodged.id, "请补充算力租赁合同")
    later = END + DAY
    with pytest.raises(service.Refused, match="申报期"):
        with db.transaction() as s:
            service.submit(s, s.merge(user), draft.id, END, today=later)
    with db.transaction() as s:  # already made: it continues after the window
        again = service.submit(s, s.merge(user), lodged.id, END, today=later)
        assert again.status == "submitted"


def test_cli_without_a_date_in_2026_says_the_policy_has_expired(tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps(_profile(), ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "HUIQI_TODAY": "2026-12-01"}
    env.pop("HUIQI_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-m", "huiqi.cli", "evaluate", str(profile)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    head = out.stdout.splitlines()[:3]
    assert "已失效" in head[0] and "本政策已于2024年12月31日到期；以下为按到期日计算的结果" in "\n".join(head)
    assert "计算日期 2024-12-31" in out.stdout
    js = subprocess.run([sys.executable, "-m", "huiqi.cli", "evaluate", str(profile), "--format", "json"], env=env,
                        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    status = json.loads(js.stdout)["policy_status"]
    assert status["code"] == "expired" and status["computed_for"] == "2024-12-31"


def test_api_and_calculator_page_state_the_status(db, monkeypatch):
    from fastapi.testclient import TestClient
    from starlette.requests import Request

    from huiqi.api.app import create_app
    from huiqi.web.pages_calculator import encode

    monkeypatch.setenv("HUIQI_TODAY", "2026-12-01")
    app = create_app(db)
    with TestClient(app) as client:
        answer = client.post("/api/v1/evaluate", json={"profile": _profile()}).json()
        assert answer["as_of"] == "2024-12-31"
        assert answer["policy_status"]["code"] == "expired"
        assert answer["policy_status"]["note_zh"] == "本政策已于2024年12月31日到期；以下为按到期日计算的结果"
        assert client.get("/api/v1/policy").json()["status"]["label_zh"] == "已失效"
        token = encode(Request({"type": "http", "app": app, "headers": [], "path": "/"}), _profile())
        page = client.get(f"/calculator/result?p={token}&as_of=2024-12-31").text
        assert "政策状态：已失效" in page and "本政策已于2024年12月31日到期" in page
        assert 'data-test="apply"' not in page and 'data-test="window-closed"' in page  # no button after the window
        for address in ("/", "/measures/m07"):  # the catalogue and every measure say so too
            assert "政策状态：已失效" in client.get(address).text and "已不受理新的申请" in client.get(address).text
        monkeypatch.setenv("HUIQI_TODAY", "2024-12-31")
        page = client.get(f"/calculator/result?p={token}&as_of=2024-12-31").text
        assert "政策状态：施行中" in page and 'data-test="apply"' in page
