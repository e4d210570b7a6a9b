"""amount_fen over HTTP (issue 13, item 5): a JSON integer of fen only; every other shape is a 422 naming the field in
Chinese and English, and nothing is approved. On SQLite and PostgreSQL."""

from __future__ import annotations

from tests.workflow.test_http import _new, api  # noqa: F401  (the fixture)


BODIES = ['{"amount_fen": true}', '{"amount_fen": 1e3}', '{"amount_fen": 1000.0}',
                                  '{"amount_fen": "1000"}', '{"amount_fen": "1_000"}', '{"amount_fen": " 100 "}',
                                  '{"amount_fen": 0}', '{"amount_fen": -1}', '{"amount_fen": 1e999999}',
                                  '{"amount_fen": 99999999999999999999999999999999999999}', '{"amount_fen": null}']


def test_amount_fen_refuses_every_shape_but_an_integer(api):  # noqa: F811
    c, t = api
    app_id = _new(c, t["entA"])
    assert c.post(f"/api/v1/applications/{app_id}/submit", json={"as_of": "2024-06-01"}, headers=t["entA"]).status_code == 200
    assert c.post(f"/api/v1/applications/{app_id}/review", headers=t["rev"]).status_code == 200
    for body in BODIES:
        r = c.post(f"/api/v1/applications/{app_id}/approve", content=body,
                   headers={**t["rev"], "Content-Type": "application/json"})
        assert r.status_code == 422, (body, r.text)
        assert "amount_fen" in r.text and "核定金额" in r.text, (body, r.text)
    assert c.get(f"/api/v1/applications/{app_id}", headers=t["rev"]).json()["status"] == "under_review"
    ok = c.post(f"/api/v1/applications/{app_id}/approve", json={"amount_fen": 30_000_000}, headers=t["rev"])
    assert ok.status_code == 200 and ok.json()["approved_fen"] == 30_000_000
