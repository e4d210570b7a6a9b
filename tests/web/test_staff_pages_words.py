"""The staff and public pages say what they mean in words (issue 12, items 1–4): every page of the review
workspace, the finance queue, the dashboard, 公示, administration, 推介清单, the project registry, 政企沟通, 督办台账,
the sign-in and error pages — as the role that uses it, in Chinese and in English — shows no key of the data:
no snake_case name, no dotted id (``m07.compute_voucher``, ``entity.is_internet_software``), no raw fen, no coded
value standing for words (``enterprise``, ``small``, ``model_service``). English pages name departments and
districts in English and answer yes/no, not 是/否. /docs and /redoc declare their language.

The checks are those the explanations are held to (:mod:`tests.test_explanations`); hashes, signatures and the
policy version (``class="hash"``), credit codes, what people typed (names, ``data-typed``), the policy's own
sentences and terms (quoted in Chinese on purpose, ``lang="zh-CN"``) and the sign-in page's demo-account hint (shown
only where the demo data is served) are what they are and are left out.
"""

from __future__ import annotations

import re

import pytest

from huiqi import policies
from huiqi.profile.model import ApplicantKind, SizeClass
from huiqi.profile.questions import CHOICE_LABELS
from huiqi.standards.divisions import districts
from tests.test_explanations import IDENTIFIER, RAW_FEN
from tests.web.conftest import PASSWORD

# account (None: a visitor) → the pages it uses; "+" marks a page whose first link matching the pattern is opened too
PAGES: dict[str | None, list[str]] = {
    None: ["/notices", "/notices/audit", "/dashboard", "/lists", "/voice", "/login", "/no-such-page"],
    "rev-gongxin": ["/review", "/review/1", "/review/2", "/lists/manage", "/voice/inbox", "/commitments",
                    "/commitments/m07.c02", "/zones", "/projects+/projects/\\d+$"],
    "fin-demo": ["/review", "/review/1"],
    "admin": ["/admin", "/admin/parameters", "/admin/parameters?key=m07.compute_voucher:cap", "/commitments"],
    "rev-shangwu": ["/review/2"],  # another department's application: the 403 page
}

USCC = re.compile(r"\b[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}\b")  # 统一社会信用代码, shown as it is
# Words a Chinese page may carry in Latin letters: the language switch, file formats, demo account names
ZH_LATIN_OK = {"English", "Excel", "xlsx", "JSON", "SHA", "PDF", "PNG", "JPEG", "REITs", "huiqi", "demo", "admin", "KB", "MB"}
USERNAME = re.compile(r"\b[a-z]+-[a-z]+\b")  # ent-demo, rev-gongxin: accounts, as typed at sign-in
# coded values that stand for words (a status reads as English words once its underscore goes: 'draft', 'under review')
CODES = {k.value for k in ApplicantKind} | {s.value for s in SizeClass} | set(CHOICE_LABELS)

# The page's visible text without what is shown as it is on purpose (hashes; the policy's Chinese sentences),
# and the text of every table cell and definition on its own (a coded value alone in a cell).
VISIBLE_JS = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('.hash, [lang="zh-CN"], [data-typed], [data-test=demo-hint], script, style').forEach(el => el.remove());
  document.body.appendChild(copy); copy.style.position = 'absolute'; copy.style.left = '-99999px';
  const text = copy.innerText;
  const cells = [...copy.querySelectorAll('td, th, dd, dt, li, option')].map(c => c.innerText.trim());
  copy.remove();
  return {text, cells};
}"""


def problems(text: str, cells: list[str], lang: str) -> list[str]:
    """What a person should not have to read on a page in ``lang`` (empty when it reads as words)."""
    text = USCC.sub("", text)
    found = [f"identifier {m.group()!r}" for m in IDENTIFIER.finditer(text)]
    found += [f"bare number {m.group()!r}" for m in RAW_FEN.finditer(text)]
    found += [f"coded value {c!r} in a cell" for c in cells if c in CODES]
    if lang == "zh":
        latin = re.findall(r"[A-Za-z]{3,}", USERNAME.sub("", text))
        found += [f"Latin word {w!r} on a Chinese page" for w in latin if w not in ZH_LATIN_OK]
    else:
        found += [f"是/否 in a cell {c!r}" for c in cells if c in ("是", "否")]
        chinese_names = _department_names() | {d.name_zh for d in districts()}
        found += [f"Chinese name {c!r} in a cell" for c in cells if c in chinese_names]
        found += [f"Chinese name {n!r} on an English page" for n in _department_names()
                  if re.search(rf"(?<![\u4e00-\u9fff]){re.escape(n)}(?![\u4e00-\u9fff])", text)]
    return found


def _department_names() -> set[str]:
    return {name for p in policies.catalogue() for name in p.header.departments_en}


EXPECTED_STATUS = ("/no-such-page", "/review/2")  # a 404 and (for another department) a 403 page: their status is logged


def _page(browser):
    """A desktop page that records uncaught errors, and console errors except the expected 403/404 status lines."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(f"{page.url}: {e}"))
    page.on("console", lambda m: page.problems.append(f"{page.url}: {m.text}") if m.type == "error" and not (
        "status of 40" in m.text and page.url.split("?")[0].endswith(EXPECTED_STATUS)) else None)
    return context, page


@pytest.mark.parametrize("account", list(PAGES), ids=lambda a: a or "visitor")
def test_each_page_reads_as_words_in_both_languages(server, browser, account):
    context, page = _page(browser)
    try:
        _read_every_page(server, page, account)
    finally:
        context.close()
    assert not page.problems, page.problems


def _read_every_page(server, page, account):
    if account:
        page.goto(server + "/login")
        page.get_by_label("用户名").fill(account)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
    paths: list[str] = []
    for entry in PAGES[account]:
        path, _, follow = entry.partition("+")
        paths.append(path)
        if follow:
            page.goto(server + path)
            hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(a => a.getAttribute('href'))")
            linked = [h.split("?")[0] for h in hrefs if re.search(follow, h.split("?")[0])]
            assert linked, f"no link matching {follow} on {path}"
            paths.append(linked[0])
    bad: list[str] = []
    for path in paths:
        for lang in ("zh", "en"):
            page.goto(f"{server}{path}{'&' if '?' in path else '?'}lang={lang}")
            seen = page.evaluate(VISIBLE_JS)
            assert len(seen["text"]) > 40, f"{path} ({lang}) shows almost nothing"
            bad += [f"{path} ({lang}): {p}" for p in problems(seen["text"], seen["cells"], lang)]
    assert not bad, f"{len(bad)} thing(s) a person should not read:\n" + "\n".join(bad[:40])


def test_the_reviewer_sees_the_application_in_words(server, new_page):
    """The review page's own story: the applicant's kind, size, district and industry, the claim and the provision,
    in each language (these were enterprise, small, 530111, m07.compute_voucher · c2 and event.spend)."""
    page = new_page()
    page.goto(server + "/login")
    page.get_by_label("用户名").fill("rev-gongxin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    page.goto(server + "/review/2?lang=zh")
    shown = page.locator("[data-test=profile]").inner_text()
    for words in ("申请人类型\t企业（含个体工商户）", "企业规模\t小型", "所在县（市、区）\t官渡区", "6513 应用软件开发",
                  "政策条款\t第7条 算力券", "算力支出"):
        assert words in shown, (words, shown)
    assert "使用大模型技术与服务" in page.locator("[data-test=event]").inner_text()
    assert "实际支出\t¥300,000.00" in page.locator("[data-test=facts]").inner_text()
    page.goto(server + "/review/2?lang=en")
    shown = page.locator("[data-test=profile]").inner_text()
    for words in ("Enterprise (incl. sole traders)", "Size class\tSmall", "Guandu District", "Measure 7: Compute voucher"):
        assert words in shown, (words, shown)
    page.goto(server + "/review?lang=en")
    assert "Municipal Bureau of Industry and Information Technology" in page.locator("[data-test=department]").inner_text()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_documentation_declares_its_language(server, new_page, path):
    got = new_page().request.get(server + path)
    assert got.status == 200 and '<html lang="zh-CN">' in got.text()


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("政策条款\tm07.compute_voucher · c2", "zh", "identifier"),
    ("互联网、软件\tentity.is_internet_software", "zh", "identifier"),
    ("实际支出\t300000", "zh", "bare number"),
    ("企业规模\tsmall", "zh", "Latin word"),
    ("Size class\tsmall", "en", "coded value"),
    ("In the main urban districts\t是", "en", "是/否"),
    ("Department: 市工业和信息化局", "en", "Chinese name"),
])
def test_the_check_catches_what_it_should(text, lang, expected):
    cells = [part for line in text.splitlines() for part in line.split("\t")]
    assert any(expected in p for p in problems(text, cells, lang)), problems(text, cells, lang)


def test_the_check_passes_words():
    text = "统一社会信用代码\t91530100MA6K3YXF8W\n测算金额\t¥90,000.00\n提交日期\t2024-06-20\n账户\trev-gongxin\n下载 Excel 表格"
    assert problems(text, text.replace("\n", "\t").split("\t"), "zh") == []
