"""The API documentation works on an intranet (issue 12, item 9): Swagger UI and ReDoc render in a real browser
from the platform's own files — no request leaves the server — and static files are compressed and cached."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.web.conftest import shot


def _only_local(page, server: str) -> list[str]:
    outside: list[str] = []
    host = urlparse(server).hostname
    page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).hostname not in (host, None) and
            not r.url.startswith(("data:", "blob:")) else None)
    return outside


def test_swagger_ui_renders_from_local_files(server, page):
    outside = _only_local(page, server)
    page.goto(server + "/docs")
    page.locator(".opblock").first.wait_for(timeout=20000)  # the operations are listed: the bundle ran
    assert page.locator(".opblock").count() > 20
    assert outside == []
    shot(page, "api-docs-swagger")


def test_redoc_renders_from_local_files(server, page):
    outside = _only_local(page, server)
    page.goto(server + "/redoc")
    page.get_by_text("/api/v1/evaluate").first.wait_for(timeout=30000)
    assert outside == []


@pytest.mark.parametrize(("path", "max_age"), [("/static/vendor/echarts.min.js", 604800),
                                                ("/static/huiqi.css", 3600)])
def test_static_files_are_compressed_and_cached(server, page, path, max_age):
    r = page.request.get(server + path, headers={"Accept-Encoding": "gzip"})
    assert r.status == 200
    assert r.headers.get("content-encoding") == "gzip"
    assert r.headers.get("cache-control") == f"public, max-age={max_age}"
