"""The OpenAPI document is a complete and truthful contract (issue 14 item 3).

Complete: every JSON operation has a summary and a description in Chinese and English, a schema for its success
answer, and documents every error status it can give — derived here from what the operation declares (signing
in → 401, a change under a cookie session → 403 for the CSRF token, a path id → 404, a body → 413/415/422,
any request → 422 (a NUL character), ``Idempotency-Key`` → 409), all with the one error schema; every list is paged with a
documented maximum. Truthful: real answers — successes of every readable route on the demo data and errors of
every kind — validate against the document's own schemas, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from huiqi.api.app import create_app
from huiqi.api.schemas import MAX_LIMIT
from huiqi.storage.db import Database
from huiqi.workflow.demo import DEFAULT_PASSWORD, seed
from tests.workflow.conftest import db  # noqa: F401  (SQLite and PostgreSQL)

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3}")


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('contract')}/c.db")
    database.create_all()
    return TestClient(create_app(database)).get("/openapi.json").json()


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if path.startswith("/api/"):
                yield path, method.upper(), op


def _validator(doc, schema):
    return jsonschema_rs.validator_for({**schema, "components": doc["components"]})


def _schema_of(doc, path, method, status):
    op = doc["paths"][path][method.lower()]
    return op["responses"][str(status)]["content"]["application/json"]["schema"]


def _expected_errors(method: str, op: dict) -> set[int]:
    """The error statuses an operation can give, from what it declares."""
    params = op.get("parameters", [])
    out: set[int] = {422}  # any request: a NUL character in any parameter is refused (huiqi.api.limits)
    if op.get("security"):
        out.add(401)
        if method != "GET":
            out.add(403)  # a cookie session's change without its CSRF token
    if any(p["in"] == "path" for p in params):
        out |= {404, 422}
    if method != "GET":
        out |= {413, 415, 422}  # every API body passes the size, depth and media-type checks
    if any(p["in"] == "query" for p in params):
        out.add(422)
    if any(p["in"] == "header" and p["name"].lower() == "idempotency-key" for p in params):
        out.add(409)
    return out


def test_the_document_covers_every_operation(doc):
    ops = list(_operations(doc))
    assert len(ops) >= 50  # the catalogue, the engine, the workflow and the delivery services
    problems = []
    for path, method, op in ops:
        where = f"{method} {path}"
        for key in ("summary", "description"):
            text = op.get(key) or ""
            if not (CJK.search(text) and LATIN.search(text)):
                problems.append(f"{where}: {key} is not in Chinese and English: {text!r}")
        ok = [s for s in op["responses"] if s.startswith("2")]
        if len(ok) != 1:
            problems.append(f"{where}: success answers {ok}")
            continue
        schema = op["responses"][ok[0]].get("content", {}).get("application/json", {}).get("schema")
        if not schema or schema == {}:
            problems.append(f"{where}: no schema for {ok[0]}")
        documented = {int(s) for s in op["responses"] if s[0] in "45"}
        missing = _expected_errors(method, op) - documented
        if missing:
            problems.append(f"{where}: errors not documented: {sorted(missing)}")
        for status in documented:
            ref = op["responses"][str(status)]["content"]["application/json"]["schema"].get("$ref", "")
            if not ref.endswith("/ErrorBody"):
                problems.append(f"{where}: {status} is not the error schema ({ref})")
    assert not problems, "\n".join(problems)
    assert "HTTPValidationError" not in doc["components"]["schemas"]  # FastAPI's default 422 shape is nowhere


def test_security_schemes_are_declared_where_sign_in_is_needed(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie" and schemes["sessionCookie"]["name"] == "huiqi_session"
    secured = {(m, p) for p, m, op in _operations(doc) if op.get("security")}
    assert ("GET", "/api/v1/me") in secured and ("POST", "/api/v1/applications/{app_id}/approve") in secured
    assert ("GET", "/api/v1/projects") in secured and ("POST", "/api/v1/voice") in secured
    for public in (("GET", "/api/v1/measures"), ("GET", "/api/v1/notices"), ("GET", "/api/v1/lists"),
                   ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/applications/{app_id}/objections")):
        assert public not in secured, public


def test_every_list_is_paged_with_a_documented_maximum(doc):
    lists = []
    for path, method, op in _operations(doc):
        if method != "GET":
            continue
        ok = op["responses"]["200"]
        schema = ok["content"]["application/json"]["schema"]
        if schema.get("type") != "array" and path != "/api/v1/notices":
            continue
        lists.append(path)
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        assert params["limit"]["schema"]["maximum"] == MAX_LIMIT and params["limit"]["schema"]["minimum"] == 1, path
        assert params["offset"]["schema"]["minimum"] == 0, path
        assert {"X-Total-Count", "Link"} <= set(ok.get("headers", {})), path
    assert {"/api/v1/applications", "/api/v1/notices", "/api/v1/projects", "/api/v1/commitments", "/api/v1/lists",
            "/api/v1/voice/inbox", "/api/v1/zone-cases"} <= set(lists)


# -- real answers against the document --------------------------------------------------------------


@pytest.fixture
def demo(db):  # noqa: F811
    import datetime as dt

    from huiqi import policies
    from huiqi.storage.models import Offer, User

    seed(db)
    with db.transaction() as s:  # an offer as a screen stores it (huiqi.workflow.offers), for the demo enterprise
        code = s.query(User).filter_by(username="ent-demo").one().credit_code
        s.add(Offer(policy_id=policies.load().header.id, credit_code=code, provision_id="m07.compute_voucher", event_id="c9",
                    amount_fen=1_000_000, as_of=dt.date(2024, 10, 1), profile_json="{}"))
    client = TestClient(create_app(db), base_url="https://testserver")
    tokens = {}
    for name in ("ent-demo", "rev-gongxin", "rev-touzi", "rev-jingkai", "fin-demo", "admin"):
        r = client.post("/api/v1/auth/login", json={"username": name, "password": DEFAULT_PASSWORD})
        assert r.status_code == 200, r.text
        t = client.post("/api/v1/auth/tokens", json={"name": "contract"}, headers={"X-CSRF-Token": r.json()["csrf_token"]})
        tokens[name] = {"Authorization": f"Bearer {t.json()['token']}"}
    client.cookies.clear()
    return client, tokens, client.get("/openapi.json").json()


def _check(doc, path, method, response):
    schema = _schema_of(doc, path, method, response.status_code)
    errors = [e.message for e in _validator(doc, schema).iter_errors(response.json())]
    assert not errors, f"{method} {path} → {response.status_code}: {errors[:3]}"


def test_real_answers_validate_against_the_document(demo):
    c, t, doc = demo
    ent, rev, touzi, fin, adm = t["ent-demo"], t["rev-gongxin"], t["rev-touzi"], t["fin-demo"], t["admin"]
    app_id = c.get("/api/v1/applications", headers=adm).json()[0]["id"]
    project = c.get("/api/v1/projects", headers=touzi).json()[0]
    commitment = c.get("/api/v1/commitments", headers=rev).json()[0]["id"]
    calls = {
        ("GET", "/api/v1/policies"): ("/api/v1/policies", None),
        ("GET", "/api/v1/policy"): ("/api/v1/policy", None),
        ("GET", "/api/v1/measures"): ("/api/v1/measures", None),
        ("GET", "/api/v1/measures/{measure_id}"): ("/api/v1/measures/m07", None),
        ("GET", "/api/v1/search"): ("/api/v1/search?q=算力券", None),
        ("GET", "/api/v1/schema/profile"): ("/api/v1/schema/profile", None),
        ("GET", "/api/v1/me"): ("/api/v1/me", ent),
        ("GET", "/api/v1/applications"): ("/api/v1/applications", adm),
        ("GET", "/api/v1/applications/{app_id}"): (f"/api/v1/applications/{app_id}", adm),
        ("GET", "/api/v1/targets"): ("/api/v1/targets", None),
        ("GET", "/api/v1/offers"): ("/api/v1/offers", ent),
        ("GET", "/api/v1/pools"): ("/api/v1/pools", fin),
        ("GET", "/api/v1/notices"): ("/api/v1/notices", None),
        ("GET", "/api/v1/audit/head"): ("/api/v1/audit/head", None),
        ("GET", "/api/v1/audit/verify"): ("/api/v1/audit/verify", adm),
        ("GET", "/api/v1/projects"): ("/api/v1/projects", touzi),
        ("GET", "/api/v1/projects/{project_id}"): (f"/api/v1/projects/{project['id']}", touzi),
        ("GET", "/api/v1/zone-cases"): ("/api/v1/zone-cases", t["rev-jingkai"]),
        ("GET", "/api/v1/lists"): ("/api/v1/lists", None),
        ("GET", "/api/v1/lists/manage"): ("/api/v1/lists/manage", adm),
        ("GET", "/api/v1/commitments"): ("/api/v1/commitments", rev),
        ("GET", "/api/v1/commitments/{commitment_id}"): (f"/api/v1/commitments/{commitment}", rev),
        ("GET", "/api/v1/voice/stats"): ("/api/v1/voice/stats", None),
        ("GET", "/api/v1/voice/mine"): ("/api/v1/voice/mine", ent),
        ("GET", "/api/v1/voice/inbox"): ("/api/v1/voice/inbox", adm),
    }
    every_get = {(m, p) for p, m, _ in _operations(doc) if m == "GET"}
    assert every_get == set(calls), every_get ^ set(calls)  # a new GET route must be added here
    for (method, path), (url, headers) in calls.items():
        r = c.get(url, headers=headers)
        assert r.status_code == 200, (url, r.text[:300])
        body = r.json()
        assert body not in ([], {}), url  # the demo has something to show on every route: the check means something
        _check(doc, path, method, r)
    # the changes: one of each kind, their answers against the document too
    r = c.post(f"/api/v1/applications/{app_id}/objections", json={"contact": "138", "content": "异议"})
    assert r.status_code in (201, 409)
    _check(doc, "/api/v1/applications/{app_id}/objections", "POST", r)
    for query in ("", "?lang=en", "?detail=full"):  # both shapes of the answer, the compact one in each language
        r = c.post("/api/v1/evaluate" + query, json={"profile": {"kind": "enterprise", "name": "示例",
                                                                 "credit_code": "91530100MA6K3YXF8W"}})
        assert r.json()["detail"] == ("full" if "full" in query else "compact"), query
        _check(doc, "/api/v1/evaluate", "POST", r)
    r = c.post("/api/v1/projects/%d/milestones" % project["id"], json={"title": "竣工验收", "due": "2024-12-01"}, headers=touzi)
    assert r.status_code == 201, r.text
    _check(doc, "/api/v1/projects/{project_id}/milestones", "POST", r)
    r = c.patch(f"/api/v1/projects/{project['id']}", json={"stage": "operating"}, headers=touzi)
    assert r.status_code == 200 and r.json()["stage"] == "operating", r.text
    _check(doc, "/api/v1/projects/{project_id}", "PATCH", r)


def test_real_errors_validate_against_the_error_schema(demo):
    c, t, doc = demo
    error = _validator(doc, {"$ref": "#/components/schemas/ErrorBody"})
    seen: dict[int, dict] = {}

    def expect(status, response, field=None):
        assert response.status_code == status, (response.request.url, response.text[:300])
        body = response.json()
        problems = [e.message for e in error.iter_errors(body)]
        assert not problems, (status, body, problems)
        assert CJK.search(body["error"]["message_zh"]) and body["error"]["message_en"]
        if field is not None:
            assert body["error"]["field"] == field, body
        seen[status] = body

    expect(401, c.get("/api/v1/me"))
    expect(401, c.get("/api/v1/projects", headers={"Authorization": "Bearer nonsense"}))
    expect(403, c.get("/api/v1/pools", headers=t["ent-demo"]))
    expect(403, c.get("/api/v1/projects", headers=t["ent-demo"]))
    login = c.post("/api/v1/auth/login", json={"username": "ent-demo", "password": DEFAULT_PASSWORD})
    problem = {"subject": "算力券兑现", "content": "何时拨付？", "measure_id": "m07"}
    expect(403, c.post("/api/v1/voice", json=problem))  # the cookie, without X-CSRF-Token
    assert c.post("/api/v1/voice", json=problem, headers={"X-CSRF-Token": login.json()["csrf_token"]}).status_code == 201
    c.cookies.clear()
    expect(404, c.get("/api/v1/measures/m99"), "measure_id")
    expect(404, c.get("/api/v1/projects/999999", headers=t["admin"]))
    expect(404, c.get("/api/v1/lists?policy=nope"), "policy")
    ticket = c.get("/api/v1/voice/inbox", headers=t["admin"]).json()[0]
    if ticket["status"] == "open":
        c.post(f"/api/v1/voice/{ticket['id']}/answer", json={"answer": "已答复"}, headers=t["admin"])
    expect(409, c.post(f"/api/v1/voice/{ticket['id']}/answer", json={"answer": "再答复"}, headers=t["admin"]))
    expect(413, c.post("/api/v1/evaluate", content=b'{"profile": "' + b"x" * 1_000_001 + b'"}',
                       headers={"content-type": "application/json"}), "body")
    expect(415, c.post("/api/v1/auth/login", content=b"username=a&password=b",
                       headers={"content-type": "application/x-www-form-urlencoded"}), "body")
    expect(422, c.get(f"/api/v1/applications?limit={MAX_LIMIT + 1}", headers=t["admin"]), "query.limit")
    expect(422, c.get("/api/v1/notices?offset=-1"), "query.offset")
    expect(422, c.get("/api/v1/audit/head?note=%00"))  # a route without parameters refuses a NUL character too
    expect(422, c.post("/api/v1/projects", json={"name": "无编号项目", "investor": "某公司"}, headers=t["rev-touzi"]))
    assert "项目编号" in seen[422]["error"]["message_zh"]  # named by the form's label, not the variable
    expect(422, c.post("/api/v1/auth/login", json={"username": ""}))
    assert seen[422]["error"]["details"], seen[422]
    assert set(seen) == {401, 403, 404, 409, 413, 415, 422}


def test_pages_follow_limit_and_offset(demo):
    c, t, _ = demo
    everything = c.get("/api/v1/commitments", headers=t["admin"], params={"limit": MAX_LIMIT})
    total = int(everything.headers["X-Total-Count"])
    assert total == len(everything.json()) > 3 and "Link" not in everything.headers
    first = c.get("/api/v1/commitments", headers=t["admin"], params={"limit": 2})
    assert first.headers["X-Total-Count"] == str(total) and len(first.json()) == 2
    nxt = re.fullmatch(r'<([^>]+)>; rel="next"', first.headers["Link"]).group(1)
    second = c.get(nxt, headers=t["admin"])
    assert second.json() == everything.json()[2:4]
    last = c.get("/api/v1/commitments", headers=t["admin"], params={"limit": 2, "offset": total - 1})
    assert last.json() == everything.json()[-1:] and "Link" not in last.headers
    beyond = c.get("/api/v1/commitments", headers=t["admin"], params={"offset": total + 5})
    assert beyond.status_code == 200 and beyond.json() == [] and beyond.headers["X-Total-Count"] == str(total)
