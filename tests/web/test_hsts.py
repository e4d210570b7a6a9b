"""Strict-Transport-Security (issue 13): sent when the request came over HTTPS — TLS, or a trusted proxy's
X-Forwarded-Proto through uvicorn's ``--proxy-headers`` — or on every answer under ``HUIQI_HTTPS=1``; never on a
plain-HTTP answer otherwise, and never because an untrusted client claims HTTPS."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from huiqi.api.app import create_app
from huiqi.api.security_headers import HSTS
from huiqi.storage.db import Database

NAME = "strict-transport-security"


def _app(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'h.db'}")
    database.create_all()
    return create_app(database)


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.delenv("HUIQI_HTTPS", raising=False)
    return _app(tmp_path)


def _max_age(value: str) -> int:
    return int(dict(p.strip().split("=", 1) for p in value.split(";") if "=" in p)["max-age"])


def test_plain_http_gets_no_hsts(app):
    r = TestClient(app).get("/api/v1/policy")
    assert r.status_code == 200 and NAME not in r.headers
    assert r.headers["x-frame-options"] == "DENY"  # the other headers are still there


def test_https_gets_hsts_for_a_year_on_every_answer(app):
    @app.get("/api/v1/boom-for-the-test")
    def boom():
        raise RuntimeError("a bug")

    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    for path, status in (("/api/v1/policy", 200), ("/", 200), ("/api/v1/measures/m99", 404),
                         ("/static/huiqi.css", 200), ("/api/v1/boom-for-the-test", 500)):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == status, path
        assert r.headers.get(NAME) == HSTS and _max_age(r.headers[NAME]) >= 180 * 86400, path


@pytest.mark.parametrize(("value", "sent"), [("1", True), ("true", True), ("on", True), ("0", False), ("", False)])
def test_huiqi_https_sends_it_whatever_scheme_reaches_us(tmp_path, monkeypatch, value, sent):
    monkeypatch.setenv("HUIQI_HTTPS", value)
    r = TestClient(_app(tmp_path)).get("/api/v1/policy")
    assert (r.headers.get(NAME) == HSTS) is sent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("trusted", "sent"), [("127.0.0.1", True), ("10.9.8.7", False)])
def test_forwarded_proto_counts_only_from_a_trusted_proxy(app, trusted, sent):
    """A real uvicorn with --proxy-headers: X-Forwarded-Proto: https from the proxy it trusts makes the request HTTPS;
    the same header from anyone else is ignored."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, proxy_headers=True,
                                           forwarded_allow_ips=trusted, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/api/v1/policy"
        claimed = httpx.get(url, headers={"X-Forwarded-Proto": "https"})
        plain = httpx.get(url)
        assert claimed.status_code == plain.status_code == 200
        assert (claimed.headers.get(NAME) == HSTS) is sent
        assert NAME not in plain.headers
    finally:
        server.should_exit = True
        thread.join(10)
