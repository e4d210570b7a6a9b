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

import pytest

CHROMIUM = os.environ.get("HUIQI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("HUIQI_SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "build" / "screenshots"))
PASSWORD = "huiqi-demo-2024"
PHONE = {"width": 375, "height": 740}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _huiqi(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "huiqi.cli", *args], env=env, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    """Base URL of a fresh server with the demo data (as ``make run`` seeds it). A module may set ``SERVER_TODAY``
    to run its server on another day (HUIQI_TODAY), e.g. inside the demo's public notice."""
    folder = tmp_path_factory.mktemp("web")
    env = {**os.environ, "HUIQI_DATABASE_URL": f"sqlite:///{folder / 'huiqi.db'}",
           "HUIQI_EVIDENCE_DIR": str(folder / "evidence"), "HUIQI_DEMO_PASSWORD": PASSWORD}
    if getattr(request.module, "SERVER_TODAY", None):
        env["HUIQI_TODAY"] = request.module.SERVER_TODAY
    _huiqi("db", "upgrade", env=env)
    _huiqi("demo", env=env)
    port = _free_port()
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "huiqi.cli", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/api/v1/policy", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((folder / "server.log").read_text())
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("the server did not answer within 15 s")
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
    """Every form field has a label (label[for], a wrapping label, or aria-label)."""
    bad = page.evaluate(UNLABELLED_JS)
    assert not bad, f"fields without a label on {page.url}: {bad}"


def assert_fits(page) -> None:
    """Nothing sticks out sideways: the page is usable without horizontal scrolling."""
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner + 1, f"{page.url} is {width}px wide in a {inner}px window"
