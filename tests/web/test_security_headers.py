"""Security headers on every answer (issue 13, item 2), and pages that work under the Content-Security-Policy.

Every browser test fails on a console error, and Chromium reports each CSP violation there, so the other
browser tests check that the pages need no inline script; here: the headers themselves on a page, an API
answer, a static file, a 404 (page and API) and a 500, and that an injected inline script does not run.
"""

from __future__ import annotations

import pytest

from huiqi.api.security_headers import HEADERS

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _check(headers: dict[str, str], where: str) -> None:
    headers = {k.lower(): v for k, v in headers.items()}
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (where, name, headers.get(name))
    csp = headers.get("content-security-policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("frame-ancestors") == "'none'", (where, csp)
    assert directives.get("script-src") == "'self'", (where, csp)  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives.get("object-src") == "'none'", (where, csp)


@pytest.mark.parametrize(("path", "status"), [
    ("/", 200), ("/notices", 200), ("/login", 200), ("/docs", 200), ("/redoc", 200),
    ("/api/v1/policy", 200), ("/api/v1/measures/m99", 404), ("/static/huiqi.css", 200),
    ("/static/vendor/echarts.min.js", 200), ("/no-such-page", 404), ("/static/no-such-file.js", 404),
    ("/review", 303),
])
def test_every_kind_of_answer_carries_the_headers(server, page, path, status):
    r = page.request.get(server + path, max_redirects=0)
    assert r.status == status, (path, r.status)
    _check(r.headers, path)


def test_a_crash_answers_500_with_the_headers(tmp_path):
    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app
    from huiqi.storage.db import Database

    app = create_app(Database(f"sqlite:///{tmp_path / 'h.db'}"))

    @app.get("/api/v1/boom-for-the-test")
    def boom():
        raise RuntimeError("a bug")

    r = TestClient(app, raise_server_exceptions=False).get("/api/v1/boom-for-the-test")
    assert r.status_code == 500
    _check(dict(r.headers), "500")


def test_an_evidence_download_keeps_its_own_headers_and_gains_the_rest():
    assert HEADERS["X-Content-Type-Options"] == "nosniff"  # files.evidence sets the same; it is not doubled
    from huiqi.api.security_headers import SecurityHeaders

    sent = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"x-frame-options", b"SAMEORIGIN")]})
        await send({"type": "http.response.body", "body": b""})

    async def record(message):
        sent.append(message)

    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        pool.submit(asyncio.run, SecurityHeaders(app)({"type": "http"}, None, record)).result()
    names = [k for k, _ in sent[0]["headers"]]
    assert names.count(b"x-frame-options") == 1 and (b"x-frame-options", b"SAMEORIGIN") in sent[0]["headers"]
    assert b"content-security-policy" in names


def test_an_injected_inline_script_does_not_run(server, browser):
    context = browser.new_context()
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(server + "/")
    ran = page.evaluate("""() => new Promise(done => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true';
        document.body.append(s);
        setTimeout(() => done(window.__injected === true), 100);
    })""")
    context.close()
    assert ran is False
    assert violations, "Chromium reports the refused inline script"


@pytest.mark.parametrize("path", ["/", "/calculator", "/dashboard", "/notices", "/lists", "/search?q=算力券"])
def test_the_pages_with_scripts_run_under_the_policy(server, page, path):
    """The page fixture fails on any console error — a CSP refusal is one."""
    r = page.goto(server + path)
    assert r.status == 200
    page.wait_for_load_state("networkidle")
    _check(r.headers, path)
