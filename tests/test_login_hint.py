"""The login page's demo hint comes from the demo data of the policies served (each folder's demo.yaml), not from
a template: every demo account of every served policy is named once, and a password set through
HUIQI_DEMO_PASSWORD is never shown."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from huiqi import policies
from huiqi.api.app import create_app
from huiqi.storage.db import Database
from huiqi.workflow.demo import DEFAULT_PASSWORD, account_rows, demo_data

CATALOGUE = Path(__file__).parent / "fixtures" / "policies" / "index.yaml"


def _login_page(tmp_path, lang="zh") -> str:
    db = Database(f"sqlite:///{tmp_path}/h.db")
    db.create_all()
    with TestClient(create_app(db), base_url="https://testserver") as client:
        return client.get(f"/login?lang={lang}").text


def test_the_hint_names_the_demo_accounts_of_every_served_policy(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_CATALOGUE", str(CATALOGUE))
    monkeypatch.delenv("HUIQI_DEMO_PASSWORD", raising=False)
    names = {row[0] for p in policies.catalogue() for row in account_rows(demo_data(p))}
    assert len(policies.ids()) == 2 and "ent-demo" in names
    page = _login_page(tmp_path)
    hint = page[page.index('data-test="demo-hint"'):].split("</p>", 1)[0]
    assert all(name in hint for name in names) and DEFAULT_PASSWORD in hint
    assert all(hint.count(f"{name}（") == 1 for name in names)


def test_a_password_of_ones_own_is_not_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_DEMO_PASSWORD", "secret-of-the-site-1")
    page = _login_page(tmp_path, "en")
    assert "secret-of-the-site-1" not in page and DEFAULT_PASSWORD not in page and "HUIQI_DEMO_PASSWORD" in page


def test_the_english_hint_names_departments_in_english_and_lists_the_department_accounts(tmp_path, monkeypatch):
    monkeypatch.delenv("HUIQI_DEMO_PASSWORD", raising=False)
    page = _login_page(tmp_path, "en")
    hint = page[page.index('data-test="demo-hint"'):].split("</p>", 1)[0]
    assert "rev-gongxin (reviewer, Municipal Bureau of Industry and Information Technology)" in hint
    assert "rev-fagai (reviewer, Municipal Development and Reform Commission)" in hint  # 项目库 and 推介清单's accounts
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in hint), hint
