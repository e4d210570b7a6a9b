"""Browser tests: a real ``huiqi serve`` process on its own SQLite file, driven by Debian's Chromium
through Playwright (no browser download). Each test module gets its own server and database.

Every page fixture fails the test on any console error or uncaught page error. Screenshots go to
``build/screenshots/`` (or HUIQI_SCREENSHOT_DIR). Without /usr/bin/chromium the tests are skipped,
except where HUIQI_REQUIRE_BROWSER=1 (CI installs Chromium and sets it): there they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import axe_playwright_python  # only for the axe-core build it ships (axe.min.js, MPL-2.0)
import pytest

CHROMIUM = os.environ.get("HUIQI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("HUIQI_SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "build" / "screenshots"))
PASSWORD = "huiqi-demo-2024"
PHONE = {"width": 375, "height": 740}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _huiqi(*args: str, env: dict, timeout: int = 120) -> None:
    subprocess.run([sys.executable, "-m", "huiqi.cli", *args], env=env, check=True, capture_output=True, timeout=timeout)


def pytest_generate_tests(metafunc):
    """A module that sets ``DEMO_SIZES`` (e.g. ``("accounts", "small")``) runs each of its tests once on a server
    started from each size: one server per size for the whole module."""
    sizes = getattr(metafunc.module, "DEMO_SIZES", None)
    if sizes and "server" in metafunc.fixturenames:
        metafunc.parametrize("server", sizes, indirect=True, scope="module")


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """A replayed year made once per session and size (``huiqi demo --size small`` takes ~20 s): each module's
    server starts from its own copy of the database, evidence and audit checkpoints, so no module sees
    another's changes and the replay is not repeated for every module that reads a replayed year."""
    made: dict[tuple[str, str | None], Path] = {}

    def make(size: str, today: str | None) -> Path:
        today = today or os.environ.get("HUIQI_TODAY")  # the suite's day unless the module names its own
        if (size, today) not in made:
            folder = tmp_path_factory.mktemp(f"demo-{size}")
            env = {**_server_env(folder, today), "HUIQI_AUDIT_CHECKPOINTS": str(folder / "checkpoints")}
            _huiqi("db", "upgrade", env=env)
            _huiqi("demo", "--size", size, env=env, timeout=900)
            made[size, today] = folder
        return made[size, today]

    return make


def _server_env(folder: Path, today: str | None) -> dict:
    env = {**os.environ, "HUIQI_DATABASE_URL": f"sqlite:///{folder / 'huiqi.db'}",
           "HUIQI_EVIDENCE_DIR": str(folder / "evidence"), "HUIQI_DEMO_PASSWORD": PASSWORD}
    if today:
        env["HUIQI_TODAY"] = today
    return env


@pytest.fixture(scope="module")
def server(request, tmp_path_factory, demo_database):
    """Base URL of a fresh server with the demo's accounts and applications. A module may set ``SERVER_TODAY``
    to run its server on another day (HUIQI_TODAY), e.g. inside the demo's public notice, and ``DEMO_SIZE`` to
    start from a replayed policy year instead (``small``: what ``make run`` shows, on a smaller city), or
    ``DEMO_SIZES`` to run every test on each (see :func:`pytest_generate_tests`)."""
    folder = tmp_path_factory.mktemp("web")
    today = getattr(request.module, "SERVER_TODAY", None)
    size = getattr(request, "param", None) or getattr(request.module, "DEMO_SIZE", "accounts")
    env = _server_env(folder, today)
    if size == "accounts":
        _huiqi("db", "upgrade", env=env)
        _huiqi("demo", "--size", size, env=env)
    else:  # a copy of the session's replayed year, with its own audit checkpoints (the copies' chains part)
        template = demo_database(size, today)
        shutil.copytree(template, folder, dirs_exist_ok=True)
        env["HUIQI_AUDIT_CHECKPOINTS"] = str(folder / "checkpoints")
    port = _free_port()
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "huiqi.cli", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):  # a loaded 2-core machine may take a while to import and start
        try:
            urllib.request.urlopen(base + "/api/v1/policy", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((folder / "server.log").read_text())
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("the server did not answer within 60 s")
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("HUIQI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update"])
        yield b
        b.close()


class Problems(list):
    """Console errors and uncaught exceptions seen by one page."""


def _new_page(browser, viewport=None):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="zh-CN",
                                  accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = Problems()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return context, page, problems


@pytest.fixture
def page(browser):
    """A desktop-sized page; the test fails on any console error."""
    context, p, problems = _new_page(browser)
    yield p
    context.close()
    assert not problems, problems


@pytest.fixture
def phone(browser):
    """A phone-sized page (375 × 740); the test fails on any console error."""
    context, p, problems = _new_page(browser, PHONE)
    yield p
    context.close()
    assert not problems, problems


@pytest.fixture
def new_page(browser):
    """A factory for more pages (another user at the same time); each is checked for console errors."""
    made = []

    def make(viewport=None):
        context, p, problems = _new_page(browser, viewport)
        made.append((context, problems))
        return p

    yield make
    for context, problems in made:
        context.close()
        assert not problems, problems


def login(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"{username} could not sign in"


def shot(page, name: str) -> Path:
    """A full-page screenshot, kept for people to look at (build/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


UNLABELLED_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
    const labelled = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el.closest('label')
      || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) bad.push(el.outerHTML.slice(0, 120));
  }
  return bad;
}"""


def assert_labelled(page) -> None:
    """Every form field has a label (label[for], a wrapping label, or aria-label), and axe finds nothing serious."""
    bad = page.evaluate(UNLABELLED_JS)
    assert not bad, f"fields without a label on {page.url}: {bad}"
    assert_accessible(page)


def assert_fits(page) -> None:
    """Nothing sticks out sideways: the page is usable without horizontal scrolling, no table hides a column
    behind a scroll bar, and axe finds nothing serious (see :func:`assert_accessible`)."""
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner + 1, f"{page.url} is {width}px wide in a {inner}px window"
    hidden = page.evaluate(HIDDEN_COLUMNS_JS)
    assert not hidden, f"tables on {page.url} hide columns off-screen (at {inner}px): {hidden}"
    assert_accessible(page)


HIDDEN_COLUMNS_JS = """() => {
  const out = [];
  for (const table of document.querySelectorAll('table')) {
    const box = table.parentElement.getBoundingClientRect();
    const cut = [];
    for (const cell of table.querySelectorAll('th, td')) {
      const head = cell.closest('thead');
      if (head && getComputedStyle(head).position === 'absolute') continue;  // a phone card's visually hidden head
      const r = cell.getBoundingClientRect();
      if (r.width > 1 && r.right > box.right + 1) cut.push(cell.innerText.trim().slice(0, 20));
    }
    if (cut.length) out.push({table: table.dataset.test || table.className || '(table)', cut: cut.slice(0, 6)});
  }
  return out;
}"""

AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
AXE_SKIP = ("/docs", "/redoc")  # Swagger UI and ReDoc as their projects ship them: developer tools, not our pages
AXE_BLOCKING = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA and best practice).

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern,
    so the strict CSP stays on while it runs; it comes from the pinned axe-playwright-python wheel (no network)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in AXE_BLOCKING]


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the page; lists rule, impact, targets and help."""
    path = urlparse(page.url).path
    if path in AXE_SKIP:
        return
    key = (page.url, page.evaluate("() => document.documentElement.outerHTML.length"),
           page.viewport_size["width"] if page.viewport_size else 0)
    if getattr(page, "_huiqi_axe_ok", None) == key:
        return
    bad = axe_violations(page)
    assert not bad, f"axe on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — " + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in bad)
    page._huiqi_axe_ok = key
