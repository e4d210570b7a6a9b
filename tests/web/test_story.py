"""The whole story in one browser session, as the issue tells it: an enterprise computes its benefits
and applies with evidence; a reviewer of another department is refused; the reviewer of the right
department approves; finance publishes it and it appears in the public notice (公示); the dashboard
shows the pool drawn down by exactly the approved amount.

It runs twice (issue 15): on the demo's accounts alone, and on a replayed policy year (``huiqi demo --size
small``), where the queues, the 公示 and the pools already hold the year's work — there the pool's figures are
the replayed ones plus exactly this approval, and nothing else moves."""

from __future__ import annotations

import re
from decimal import Decimal

from huiqi.standards.uscc import make_uscc
from tests.web.conftest import PASSWORD, login, shot

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CODE = make_uscc("91530100MA6K4T8R2")
NAME = "昆明故事智算科技有限公司"
POOL = "kunming_2024/m07.compute_voucher_pool"  # the ledger key: <policy>/<pool>
AWARD_FEN = 24_000_000  # 30 % of ¥800,000.00
DEMO_SIZES = ("accounts", "small")  # the demo's accounts alone, and a replayed policy year (tests/web/conftest.py)
COLUMNS = ("total", "reserved", "settled", "committed", "available")


def _pool_fen(page, server) -> dict[str, int]:
    """The 算力券 row of the dashboard's pools table, in fen, as the page states it."""
    page.goto(server + "/dashboard")
    row = page.locator(f'[data-test=pools-table] tr[data-pool="{POOL}"]')
    fen = {c: int(row.locator(f"[data-test={c}]").get_attribute("data-fen")) for c in COLUMNS}
    assert fen["committed"] == fen["reserved"] + fen["settled"]
    assert fen["available"] == fen["total"] - fen["committed"]
    return fen


def _new_enterprise(page, server) -> None:
    """The administrator opens an account for the enterprise (as the platform's operator would)."""
    r = page.request.post(server + "/api/v1/auth/login", data={"username": "admin", "password": PASSWORD})
    csrf = r.json()["csrf_token"]
    r = page.request.post(server + "/api/v1/users", headers={"X-CSRF-Token": csrf}, data={
        "username": "ent-story", "password": "story-password-1", "role": "applicant", "display_name": NAME,
        "credit_code": CODE})
    assert r.status == 201, r.text()
    page.context.clear_cookies()


def test_compute_apply_review_notice_dashboard(server, new_page, tmp_path, request):
    size = request.node.callspec.params["server"]
    public = new_page()
    before = _pool_fen(public, server)
    # the small replayed year leaves the ¥30,000,000 pool room for this award (the full year runs it out; there
    # the approval would be refused): if a replay ever empties it, this says so instead of a confusing failure
    assert before["available"] >= AWARD_FEN, f"the 算力券 pool has only {before['available']} fen left"
    if size != "accounts":  # the year's figures: vouchers paid and some still reserved
        assert before["settled"] > 0 and before["reserved"] > 0, before
    _new_enterprise(public, server)

    # 1. the enterprise works out its benefits in the calculator (no account needed)
    ent = new_page()
    ent.goto(server + "/calculator")
    ent.get_by_label("名称（企业名称或姓名）").fill(NAME)
    ent.get_by_label("统一社会信用代码").fill(CODE)
    ent.get_by_label("所在县（市、区）").select_option("530112")
    ent.get_by_label("国民经济行业代码").fill("6513")
    ent.get_by_role("button", name="下一步").click()
    ent.get_by_label("算力支出（算力券）").check()
    ent.locator("#f-compute_claims-0-date").fill("2024-06-18")
    ent.locator("#f-compute_claims-0-category").select_option("model_service")
    ent.locator("#f-compute_claims-0-spend").fill("800000.00")
    ent.locator("#f-compute_claims-0-id").fill("s1")
    ent.locator("[data-test=calculate]").click()
    ent.locator("[data-test=confirm]").click()  # 核对信息, then the results
    ent.wait_for_url(re.compile(r"/calculator/result\?"))
    card = ent.locator('[data-test=eligible] [data-provision="m07.compute_voucher"][data-event="s1"]')
    assert "¥240,000.00" in card.locator("[data-test=amount]").inner_text()  # 30% of ¥800,000.00
    assert "按实际支出费用给予30%补助，每年最高50万元" in card.inner_text()
    shot(ent, f"story-1-calculator-{size}")

    # 2. one click applies: sign in on the way, back to the answer, apply, upload evidence, submit
    card.locator("[data-test=apply]").click()
    ent.wait_for_url(re.compile(r"/login\?next="))
    ent.get_by_label("用户名").fill("ent-story")
    ent.get_by_label("密码").fill("story-password-1")
    ent.get_by_role("button", name="登录").click()
    ent.wait_for_url(re.compile(r"/calculator/result\?"))
    ent.locator('.benefit.highlight[data-provision="m07.compute_voucher"] [data-test=declaration]').check()  # 信用承诺
    ent.locator('.benefit.highlight[data-provision="m07.compute_voucher"] [data-test=apply]').click()
    ent.wait_for_url(re.compile(r"/portal/applications/\d+"))
    app_id = int(re.search(r"/portal/applications/(\d+)", ent.url).group(1))
    invoice = tmp_path / "算力服务发票.pdf"
    invoice.write_bytes(PDF)
    ent.get_by_label("选择文件（PDF、PNG、JPEG，不超过 10 MB）").set_input_files(str(invoice))
    ent.locator("[data-test=upload]").click()
    ent.wait_for_url(re.compile(r"\?done=uploaded"))
    ent.locator("[data-test=submit]").click()
    ent.wait_for_url(re.compile(r"\?done=submitted"))
    assert ent.locator("[data-test=status]").inner_text() == "已提交"
    shot(ent, f"story-2-submitted-{size}")

    # 3. a reviewer of another department (市商务局) is refused: not in its queue, 403 on the page
    other = new_page()
    login(other, server, "rev-shangwu")
    other.goto(server + "/review")
    assert other.locator(f"[data-app='{app_id}']").count() == 0
    assert other.request.get(f"{server}/review/{app_id}").status == 403
    assert other.request.post(f"{server}/review/{app_id}/approve",
                              form={"csrf_token": other.locator("input[name=csrf_token]").first.get_attribute("value"),
                                    "amount": "240000.00"}).status == 403

    # 4. the lead department (市工业和信息化局) reviews it beside the computation and the evidence, and approves
    rev = new_page()
    login(rev, server, "rev-gongxin")
    rev.goto(server + "/review")
    rev.locator(f"[data-test=waiting] [data-app='{app_id}'] a").click()
    assert "¥240,000.00" in rev.locator("[data-test=entitlement]").inner_text()
    assert "算力服务发票.pdf" in rev.locator("[data-test=evidence]").inner_text()
    with rev.expect_navigation():
        rev.get_by_role("button", name="开始审核", exact=True).click()
    assert rev.get_by_label("批准金额（元）").input_value() == "240000.00"
    with rev.expect_navigation():
        rev.get_by_role("button", name="批准", exact=True).click()
    assert rev.locator("[data-test=status]").inner_text() == "已批准"
    shot(rev, f"story-3-approved-{size}")

    # 5. finance publishes it; the public notice lists it with the exact amount
    fin = new_page()
    login(fin, server, "fin-demo")
    fin.goto(server + "/review")
    with fin.expect_navigation():
        fin.locator(f"[data-test=to-publish] [data-app='{app_id}']").get_by_role("button", name="公示").click()
    public.goto(server + "/notices")
    row = public.locator(f"[data-test=current] [data-app='{app_id}']")
    assert NAME in row.inner_text() and "¥240,000.00" in row.inner_text()
    assert row.locator("[data-test=amount]").get_attribute("data-fen") == "24000000"
    shot(public, f"story-4-notice-{size}")

    # 6. the dashboard shows the pool drawn down by exactly the approved amount, and nothing else moved
    after = _pool_fen(public, server)
    assert after == {**before, "reserved": before["reserved"] + AWARD_FEN,
                     "committed": before["committed"] + AWARD_FEN, "available": before["available"] - AWARD_FEN}
    cell = public.locator(f'[data-test=pools-table] tr[data-pool="{POOL}"] [data-test=committed]').inner_text()
    assert cell == f"¥{Decimal(after['committed']) / 100:,.2f}"
    shot(public, f"story-5-dashboard-{size}")

    # and the enterprise follows it to 公示中 in its portal
    ent.goto(f"{server}/portal/applications/{app_id}")
    assert ent.locator("[data-test=status]").inner_text() == "公示中"
    assert "公示中" in ent.locator("[data-test=timeline]").inner_text()
