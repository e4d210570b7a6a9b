"""The delivery services over the JSON API, on SQLite and PostgreSQL: the project registry, joint zone cases,
published lists, the commitments ledger and enterprise voice — the same services and the same permissions as
the pages, refusals named by the form's label, and what one door stores the other shows."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from huiqi import clock, policies
from huiqi.api.app import create_app
from huiqi.delivery import commitments, lists, projects, zones
from huiqi.storage.models_delivery import Project
from huiqi.workflow import accounts

PW = "password-123"


@pytest.fixture
def api(db):
    zone_committees = zones.zone_departments()
    first_zone, committee = next(iter(zone_committees.items()))
    other_zone = [z for z in zone_committees if z != first_zone][0]
    with db.transaction() as s:
        accounts.create_user(s, "touzi", PW, "reviewer", department="市投资促进局")
        accounts.create_user(s, "gx", PW, "reviewer", department="市工业和信息化局")
        accounts.create_user(s, "fgw", PW, "reviewer", department="市发展改革委")
        accounts.create_user(s, "zone", PW, "reviewer", department=committee)
        accounts.create_user(s, "ent", PW, "applicant", credit_code="91530100MA6K3YXF8W")
        accounts.create_user(s, "adm", PW, "admin")
    client = TestClient(create_app(db), base_url="https://testserver")
    tokens = {}
    for name in ("touzi", "gx", "fgw", "zone", "ent", "adm"):
        r = client.post("/api/v1/auth/login", json={"username": name, "password": PW})
        t = client.post("/api/v1/auth/tokens", json={"name": "t"}, headers={"X-CSRF-Token": r.json()["csrf_token"]})
        tokens[name] = {"Authorization": f"Bearer {t.json()['token']}"}
    client.cookies.clear()
    return client, tokens, (first_zone, other_zone)


PROJECT = {"code": "API-001", "name": "新能源电池材料项目", "investor": "示例投资有限公司", "credit_code": "91530100MA6K3YXF8W",
           "investor_origin": "省外", "stage": "开工", "total_investment": "150000000.00", "introduced_on": "2024-05-01",
           "measures": ["m17"]}


def _error(r, status):
    assert r.status_code == status, r.text
    return r.json()["error"]


def test_the_registry_over_the_api(api, db):
    c, t, _ = api
    r = c.post("/api/v1/projects", json=PROJECT, headers=t["touzi"])
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["department"] == "市投资促进局" and made["stage"] == "started" and made["investor_origin"] == "out_of_province"
    assert made["total_investment_fen"] == 15_000_000_000 and made["total_investment"] == "150000000.00"
    with db.transaction() as s:  # stored by the service the page uses, in the default policy's registry
        p = s.get(Project, made["id"])
        assert p.code == "API-001" and p.policy_id == policies.load().header.id
    # refusals name the field by the form's label; nothing stored
    e = _error(c.post("/api/v1/projects", json={**PROJECT, "code": "API-002", "total_investment": "1e3"},
                      headers=t["touzi"]), 422)
    assert e["field"] == "body.total_investment" and e["message_zh"].startswith("总投资（元）：")
    e = _error(c.post("/api/v1/projects", json=PROJECT, headers=t["touzi"]), 422)
    assert e["field"] == "body.code" and "项目编号" in e["message_zh"]
    e = _error(c.post("/api/v1/projects", json={**PROJECT, "code": "API-003", "stage": "完工"}, headers=t["touzi"]), 422)
    assert e["field"] == "body.stage"
    listed = c.get("/api/v1/projects", headers=t["gx"]).json()
    assert [p["code"] for p in listed] == ["API-001"]
    # the page's filters
    assert c.get("/api/v1/projects?stage=reserve", headers=t["gx"]).json() == []
    assert [p["code"] for p in c.get("/api/v1/projects?stage=started&measure=m17", headers=t["gx"]).json()] == ["API-001"]
    assert _error(c.get("/api/v1/projects?stage=done", headers=t["gx"]), 422)["field"] == "query.stage"
    # the same permissions as the pages: another department reads but may not change; enterprises see nothing
    detail = c.get(f"/api/v1/projects/{made['id']}?as_of=2024-10-01", headers=t["gx"]).json()
    assert detail["editable"] is False and detail["as_of"] == "2024-10-01"
    with db.transaction() as s:  # the engine's judgement the page shows, for the same day
        expected = projects.evaluate_project(s.get(Project, made["id"]), dt.date(2024, 10, 1))
    assert expected and [(r["provision_id"], r["status"], r["amount_fen"]) for r in detail["evaluation"]] == [
        (r.provision_id, r.status, r.amount_fen) for r in expected]
    assert _error(c.patch(f"/api/v1/projects/{made['id']}", json={"stage": "投产"}, headers=t["gx"]), 403)["code"] == "forbidden"
    assert _error(c.get("/api/v1/projects", headers=t["ent"]), 403)["code"] == "forbidden"
    assert _error(c.get("/api/v1/projects"), 401)["code"] == "unauthenticated"
    assert _error(c.get("/api/v1/projects/987654", headers=t["gx"]), 404)["field"] == "project_id"
    r = c.patch(f"/api/v1/projects/{made['id']}", json={"stage": "投产"}, headers=t["touzi"])
    assert r.status_code == 200 and r.json()["stage"] == "operating" and r.json()["code"] == "API-001"
    assert c.post(f"/api/v1/projects/{made['id']}/milestones", json={"title": "竣工验收", "due": "2024-12-20"},
                  headers=t["touzi"]).status_code == 201
    assert c.post(f"/api/v1/projects/{made['id']}/plan", json={"step": "办理施工许可", "status": "doing"},
                  headers=t["adm"]).status_code == 201
    assert c.post(f"/api/v1/projects/{made['id']}/plan", json={"step": "x"}, headers=t["gx"]).status_code == 403
    detail = c.get(f"/api/v1/projects/{made['id']}", headers=t["touzi"]).json()
    assert detail["editable"] is True and [m["title"] for m in detail["milestones"]] == ["竣工验收"]
    assert [(x["seq"], x["step"], x["status"]) for x in detail["plan"]] == [(1, "办理施工许可", "doing")]


def test_joint_zone_cases_over_the_api(api):
    c, t, (zone, other_zone) = api
    project = c.post("/api/v1/projects", json={**PROJECT, "zone": zone}, headers=t["touzi"]).json()
    assert _error(c.post(f"/api/v1/projects/{project['id']}/cases", json={"zone": zone, "matter": "用地预审"},
                         headers=t["gx"]), 403)  # neither keeper nor a zone committee
    assert _error(c.post(f"/api/v1/projects/{project['id']}/cases", json={"zone": "火星", "matter": "用地预审"},
                         headers=t["touzi"]), 422)["field"] == "body.zone"
    r = c.post(f"/api/v1/projects/{project['id']}/cases", json={"zone": zone, "matter": "用地预审"}, headers=t["zone"])
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    cases = c.get("/api/v1/zone-cases", headers=t["gx"]).json()
    assert [x["id"] for x in cases] == [case_id]
    assert {z["zone"] for z in cases[0]["zones"]} == set(zones.zone_departments())
    assert {z["status"] for z in cases[0]["zones"]} == {"received"} and cases[0]["overall"] == "received"
    r = c.post(f"/api/v1/zone-cases/{case_id}/status", json={"zone": zone, "status": "processing", "note": "已受理"},
               headers=t["zone"])
    assert r.status_code == 200 and r.json() == {"case_id": case_id, "zone": zone, "status": "processing", "note": "已受理"}
    assert _error(c.post(f"/api/v1/zone-cases/{case_id}/status", json={"zone": other_zone, "status": "done"},
                         headers=t["zone"]), 403)  # another zone's status is that zone's
    assert _error(c.post(f"/api/v1/zone-cases/{case_id}/status", json={"zone": zone, "status": "finished"},
                         headers=t["zone"]), 422)["field"] == "body.status"
    assert _error(c.post("/api/v1/zone-cases/999999/status", json={"zone": zone, "status": "done"},
                         headers=t["adm"]), 404)["field"] == "case_id"
    assert c.get("/api/v1/zone-cases", headers=t["gx"]).json()[0]["overall"] == "processing"


def test_published_lists_over_the_api(api, db):
    c, t, _ = api
    today = clock.today().isoformat()
    kind = next(iter(lists.kinds()))
    r = c.post("/api/v1/lists", json={"kind": kind, "name": "停车场特许经营", "investment": "80000000.00",
                                      "published_on": today}, headers=t["fgw"])
    assert r.status_code == 201 and r.json()["status"] == "published" and r.json()["department"] == "市发展改革委", r.text
    draft = c.post("/api/v1/lists", json={"kind": kind, "name": "产业园区项目"}, headers=t["fgw"]).json()
    assert draft["status"] == "draft"
    public = c.get("/api/v1/lists").json()  # no sign-in: the public list
    assert [e["name"] for e in public] == ["停车场特许经营"] and public[0]["investment_fen"] == 8_000_000_000
    assert [e["name"] for e in c.get("/api/v1/lists?q=停车").json()] == ["停车场特许经营"]
    assert c.get("/api/v1/lists?q=不存在").json() == []
    assert _error(c.get("/api/v1/lists?kind=nonsense"), 422)["field"] == "query.kind"
    assert {e["name"] for e in c.get("/api/v1/lists/manage", headers=t["fgw"]).json()} == {"停车场特许经营", "产业园区项目"}
    assert c.get("/api/v1/lists/manage", headers=t["gx"]).json() == []  # another department's entries are not its own
    assert _error(c.post(f"/api/v1/lists/{draft['id']}/publish", headers=t["gx"]), 403)
    assert _error(c.post("/api/v1/lists", json={"kind": "nonsense", "name": "x"}, headers=t["fgw"]), 422)["field"] == "body.kind"
    assert _error(c.post("/api/v1/lists", json={"kind": kind, "name": "x"}, headers=t["ent"]), 403)
    assert c.post(f"/api/v1/lists/{draft['id']}/publish", headers=t["fgw"]).json()["status"] == "published"
    assert {e["name"] for e in c.get("/api/v1/lists").json()} == {"停车场特许经营", "产业园区项目"}
    assert c.post(f"/api/v1/lists/{draft['id']}/withdraw", headers=t["adm"]).json()["status"] == "withdrawn"
    assert [e["name"] for e in c.get("/api/v1/lists").json()] == ["停车场特许经营"]
    assert _error(c.post("/api/v1/lists/999999/publish", headers=t["adm"]), 404)["field"] == "entry_id"


def test_the_commitments_ledger_over_the_api(api, db):
    c, t, _ = api
    mine = c.get("/api/v1/commitments?department=市工业和信息化局", headers=t["gx"]).json()
    assert mine and all("市工业和信息化局" in x["departments"] for x in mine)
    everything = c.get("/api/v1/commitments?limit=500", headers=t["gx"])
    with db.transaction() as s:  # the ledger the page seeds from the policy, every sentence of every measure
        assert int(everything.headers["X-Total-Count"]) == len(commitments.listing(s, clock.today()))
    cid = next(x["id"] for x in mine if "市发展改革委" not in x["departments"])
    r = c.post(f"/api/v1/commitments/{cid}/report", json={"status": "done", "note": "已完成兑现"}, headers=t["gx"])
    assert r.status_code == 201, r.text
    detail = c.get(f"/api/v1/commitments/{cid}", headers=t["fgw"]).json()
    assert detail["status"] == "done" and detail["latest"] == "已完成兑现" and detail["editable"] is False
    assert [h["note"] for h in detail["history"]] == ["已完成兑现"]
    assert cid in [x["id"] for x in c.get("/api/v1/commitments?status=done", headers=t["gx"]).json()]
    not_mine = next(x["id"] for x in everything.json() if "市工业和信息化局" not in x["departments"])
    assert _error(c.post(f"/api/v1/commitments/{not_mine}/report", json={"status": "done", "note": "x"},
                         headers=t["gx"]), 403)
    assert _error(c.post(f"/api/v1/commitments/{cid}/report", json={"status": "finished", "note": "x"},
                         headers=t["gx"]), 422)["field"] == "body.status"
    assert _error(c.get("/api/v1/commitments/m99.c01", headers=t["gx"]), 404)["field"] == "commitment_id"
    assert _error(c.get("/api/v1/commitments", headers=t["ent"]), 403)


def test_enterprise_voice_over_the_api(api):
    c, t, _ = api
    problem = {"subject": "算力券兑付进度", "content": "请问何时拨付？", "measure_id": "m07"}
    assert _error(c.post("/api/v1/voice", json=problem, headers=t["gx"]), 403)  # enterprises raise problems
    e = _error(c.post("/api/v1/voice", json={"subject": "x", "content": "y"}, headers=t["ent"]), 422)
    assert e["field"] == "body.measure_id" and "措施" in e["message_zh"]
    r = c.post("/api/v1/voice", json=problem, headers=t["ent"])
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["department"] == "市工业和信息化局" and ticket["status"] == "open" and ticket["due_on"] > ticket["raised_on"]
    assert [x["id"] for x in c.get("/api/v1/voice/mine", headers=t["ent"]).json()] == [ticket["id"]]
    assert [x["id"] for x in c.get("/api/v1/voice/inbox", headers=t["gx"]).json()] == [ticket["id"]]
    assert c.get("/api/v1/voice/inbox", headers=t["fgw"]).json() == []
    assert _error(c.post(f"/api/v1/voice/{ticket['id']}/rate", json={"rating": 5}, headers=t["ent"]), 409)  # not answered
    assert _error(c.post(f"/api/v1/voice/{ticket['id']}/answer", json={"answer": "不归我们"}, headers=t["fgw"]), 403)
    r = c.post(f"/api/v1/voice/{ticket['id']}/answer", json={"answer": "已安排拨付"}, headers=t["gx"])
    assert r.status_code == 200 and r.json()["status"] == "answered"
    assert _error(c.post(f"/api/v1/voice/{ticket['id']}/answer", json={"answer": "again"}, headers=t["gx"]), 409)
    assert _error(c.post(f"/api/v1/voice/{ticket['id']}/rate", json={"rating": 6}, headers=t["ent"]), 422)["field"] == "body.rating"
    assert c.post(f"/api/v1/voice/{ticket['id']}/rate", json={"rating": 5}, headers=t["ent"]).json()["status"] == "closed"
    stats = c.get("/api/v1/voice/stats").json()
    assert stats["raised"] == stats["answered"] == stats["rated"] == 1 and stats["mean_rating"] == 5
    assert _error(c.get("/api/v1/voice/stats?policy=nope"), 404)["field"] == "policy"
