"""Two policies served side by side keep their delivery records apart (issue 11, part 3): a commitment, project,
list entry or voice ticket of one policy neither appears in nor counts toward the other's figures — in the
services, the pages (``?policy=``) and the progress endpoint — on SQLite and PostgreSQL.

The second policy is the tests' fictional notice (tests/fixtures/policies/shili_2025), copied with one measure
declaring the registry, a published list and the voice channel, and one registry-computed target — as data
only, the way a notice declares its services."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from huiqi import policies
from huiqi.catalogue import DEFAULT_POLICY_DIR
from huiqi.delivery import DeliveryError, commitments, lists, projects, targets, voice
from huiqi.workflow import accounts

FIXTURE = Path(__file__).parents[1] / "fixtures" / "policies" / "shili_2025"
PW = "a-long-password-1"
DAY = dt.date(2024, 9, 2)
SERVICES = """
features:
  - name: project_registry
  - name: published_lists
    provision: m02.first_entry_award
    lists:
      - {key: first_entries, name_zh: 首次升规纳入统计的工业企业, name_en: Enterprises entering the statistics above scale}
  - name: voice_channel
    provision: m02.first_entry_award
targets:
  - id: m02.registered_projects
    label_zh: 首次升规纳入统计的工业企业项目
    label_en: Projects of enterprises entering the statistics above scale
    comparison: ">="
    value: 10
    unit: 个
    due: 2025-12-31
    citation: [对首次升规纳入统计的工业企业]
    computed_from:
      registry: project_registry
      count: projects
"""
# a project that Kunming's m17 targets count (省外, 1亿元以上, introduced in the target's year)
COUNTED = {"name": "示例新材料项目", "investor": "示例新材料有限公司", "investor_origin": "省外",
           "total_investment": "200000000", "stage": "开工", "introduced_on": "2024-05-10"}


@pytest.fixture
def two_policies(tmp_path, monkeypatch):
    copy = tmp_path / "shili_2025"
    shutil.copytree(FIXTURE, copy)
    m02 = copy / "measures" / "m02.yaml"
    m02.write_text(m02.read_text(encoding="utf-8").rstrip("\n") + "\n" + SERVICES, encoding="utf-8")
    index = tmp_path / "index.yaml"
    index.write_text(yaml.safe_dump({"policies": [str(DEFAULT_POLICY_DIR), str(copy)]}), encoding="utf-8")
    monkeypatch.setenv("HUIQI_CATALOGUE", str(index))
    policies.forget_recent()
    assert policies.ids() == ["kunming_2024", "shili_2025"]
    yield policies.load(), policies.load("shili_2025")
    policies.forget_recent()


def _people(db):
    with db.transaction() as s:
        return {
            "adm": accounts.create_user(s, "adm", PW, "admin"),
            "gx": accounts.create_user(s, "gx", PW, "reviewer", department="市工业和信息化局"),
            "qk": accounts.create_user(s, "qk", PW, "reviewer", department="区科技和工业信息化局"),
            "ent": accounts.create_user(s, "ent", PW, "applicant", credit_code="91530100MA6K3YXF8W"),
        }


def _figure(s, policy, target_id):
    return next(f.actual for f in targets.computed(s, policy) if f.target_id == target_id)


def test_records_of_one_policy_stay_out_of_the_other(db, two_policies):
    kunming, shili = two_policies
    who = _people(db)
    m17 = "m17.out_of_province_projects_100m"
    with db.transaction() as s:
        # commitments: both notices have m01.c01; a report on one leaves the other as it was
        assert commitments.seed(s, kunming) == len(commitments.extract(kunming))
        assert commitments.seed(s, shili) == len(commitments.extract(shili))
        commitments.report(s, who["qk"], "m01.c01", "in_progress", "已部署", policy=shili)
        assert commitments.find(s, shili, "m01.c01").status == "in_progress"
        assert commitments.find(s, kunming, "m01.c01").status == "not_started"
        assert [r.note for r in commitments.history(s, "m01.c01", shili)] == ["已部署"]
        assert commitments.history(s, "m01.c01", kunming) == []
        mine = commitments.listing(s, DAY, policy=kunming)
        assert len(mine) == len(commitments.extract(kunming)) and {c.policy_id for c in mine} == {"kunming_2024"}
        assert commitments.summary(mine, DAY)["in_progress"] == 0
        assert commitments.summary(commitments.listing(s, DAY, policy=shili), DAY)["in_progress"] == 1

        # projects: one the Kunming targets would count, registered under the other notice, counts only there
        before = _figure(s, kunming, m17)
        projects.create(s, who["adm"], {**COUNTED, "code": "SL-1", "department": "区科技和工业信息化局"}, shili)
        assert _figure(s, kunming, m17) == before
        assert _figure(s, shili, "m02.registered_projects") == 1
        projects.create(s, who["adm"], {**COUNTED, "code": "KM-1", "department": "市投资促进局"}, kunming)
        assert _figure(s, kunming, m17) == before + 1  # the same facts under its own notice do count
        assert _figure(s, shili, "m02.registered_projects") == 1
        with pytest.raises(DeliveryError, match="另一政策") as refused:  # one numbering across notices
            projects.create(s, who["adm"], {**COUNTED, "code": "SL-1", "department": "市投资促进局"}, kunming)
        assert refused.value.field == "code"
        with pytest.raises(DeliveryError) as refused:  # a notice's own measures and lists only
            projects.create(s, who["adm"], {**COUNTED, "code": "SL-2", "department": "区科技和工业信息化局",
                                            "measures": "m16"}, shili)
        assert refused.value.field == "measures"

        # published lists: the entry is public under its notice only
        lists.add(s, who["adm"], {"kind": "首次升规纳入统计的工业企业", "name": "示例链主项目", "published_on": "2024-06-01"}, shili)
        with pytest.raises(DeliveryError) as refused:
            lists.add(s, who["adm"], {"kind": "首次升规纳入统计的工业企业", "name": "x"}, kunming)  # not one of Kunming's list names
        assert refused.value.field == "kind"
        assert [e.name for e in lists.public(s, DAY, policy=shili)] == ["示例链主项目"]
        assert lists.public(s, DAY, policy=kunming) == []

        # voice: routed by the notice's own measure, counted in its own figures
        t = voice.raise_ticket(s, who["ent"], "升规奖励何时兑现", "请告知办理进度", DAY, measure_id="m02", policy=shili)
        assert (t.policy_id, t.department) == ("shili_2025", "区科技和工业信息化局")
        assert voice.stats(s, DAY, shili)["raised"] == 1
        assert voice.stats(s, DAY, kunming)["raised"] == 0


def _signed_in(db, name):
    from huiqi.api.app import create_app

    client = TestClient(create_app(db), base_url="https://testserver")
    r = client.post("/login", data={"username": name, "password": PW, "next": "/"}, follow_redirects=True)
    assert r.status_code == 200
    return client


def test_pages_and_the_progress_endpoint_choose_the_policy(db, two_policies):
    kunming, shili = two_policies
    who = _people(db)
    with db.transaction() as s:
        projects.create(s, who["adm"], {**COUNTED, "code": "SL-1", "department": "区科技和工业信息化局"}, shili)
        projects.create(s, who["adm"], {**COUNTED, "code": "KM-1", "department": "市投资促进局"}, kunming)
        lists.add(s, who["adm"], {"kind": "首次升规纳入统计的工业企业", "name": "示例链主项目", "published_on": "2024-06-01"}, shili)
        commitments.seed(s, shili)
        commitments.report(s, who["qk"], "m01.c01", "done", "已完成部署", policy=shili)
    client = _signed_in(db, "adm")

    registry = client.get("/projects").text
    assert 'data-project="KM-1"' in registry and 'data-project="SL-1"' not in registry
    other = client.get("/projects?policy=shili_2025").text
    assert 'data-project="SL-1"' in other and 'data-project="KM-1"' not in other
    assert 'href="/projects?policy=shili_2025"' not in other  # the page names its policy …
    assert 'href="/projects"' in other  # … and links to the same page of the other notice

    assert "示例链主项目" in client.get("/lists?policy=shili_2025").text
    assert "示例链主项目" not in client.get("/lists").text

    ledger = client.get("/commitments?policy=shili_2025&measure=m01").text
    assert re.search(r'data-commitment="m01\.c01"[^>]*data-status="done"', ledger)
    assert 'href="/commitments/m01.c01?policy=shili_2025"' in ledger
    assert re.search(r'data-commitment="m01\.c01"[^>]*data-status="not_started"', client.get("/commitments?measure=m01").text)
    detail = client.get("/commitments/m01.c01?policy=shili_2025").text
    assert "已完成部署" in detail and "已完成部署" not in client.get("/commitments/m01.c01").text
    assert client.get("/commitments?policy=nope").status_code == 404

    # the progress endpoint asks the chosen policy which targets are computed from its registry
    client.cookies.clear()
    r = client.post("/api/v1/auth/login", json={"username": "adm", "password": PW})
    token = client.post("/api/v1/auth/tokens", json={"name": "t"}, headers={"X-CSRF-Token": r.json()["csrf_token"]})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    client.cookies.clear()
    body = {"value": "3"}
    url = "/api/v1/targets/{}/progress"
    assert client.post(url.format("m02.registered_projects") + "?policy=shili_2025", json=body,
                       headers=headers).status_code == 409  # computed from shili's registry
    assert client.post(url.format("m02.registered_projects"), json=body, headers=headers).status_code == 404
    assert client.post(url.format("m17.out_of_province_projects_100m"), json=body, headers=headers).status_code == 409
    assert client.post(url.format("m17.out_of_province_projects_100m") + "?policy=shili_2025", json=body,
                       headers=headers).status_code == 404  # not a target of that notice
    refused = client.post(url.format("m07.pilot_segments_digital_level") + "?policy=nope", json=body, headers=headers)
    assert refused.status_code == 404 and "nope" in refused.text
