"""Benefit kinds (issue 12, item 2): every benefit is worded as what it is, and totals never mix kinds.

资金 money paid (fixed_award, capped_award, share_with_cap) · 减免 a tax or fee not levied (tax_relief) ·
额度 a loan limit (loan_limit) · 资格/便利 a right (determination) · 咨询 a referral. Checked in the engine's
answer, the API's JSON, the CLI's text and the calculator's page, in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from huiqi import policies
from huiqi.api.app import create_app
from huiqi.cli import app as cli_app
from huiqi.engine.evaluate import evaluate
from huiqi.profile.model import Profile

AS_OF = "2024-10-01"
CODE = "91530100MA6K3YXF8W"

NEV = {"kind": "individual", "name": "张三", "vehicles": [
    {"id": "car1", "date": "2024-06-01", "price_incl_vat": "226000.00", "vat_rate": "0.13", "new_energy": True,
     "passenger_car": True, "in_exemption_catalogue": True}]}
HOME = {"kind": "individual", "name": "李四", "home_purchases": [
    {"id": "h1", "date": "2024-06-01", "first_home": True, "self_occupied": True, "provident_fund_depositor": True,
     "children": 3, "base_max_loan": "600000.00"}]}
TENDER = {"kind": "enterprise", "name": "昆明示例建设有限公司", "credit_code": CODE, "has_dishonesty_record": False,
          "tenders": [{"id": "t1", "date": "2024-06-01", "government_invested": True, "must_tender": True,
                       "bid_value": "5000000.00"},
                      {"id": "t2", "date": "2024-06-02", "government_invested": True, "must_tender": True,
                       "bid_value": "20000000.00"}]}
PROCURE = {"kind": "procuring_entity", "name": "昆明市某局", "credit_code": CODE, "procurements": [
    {"id": "p1", "date": "2024-06-01", "category": "goods", "value": "1500000.00", "above_procurement_threshold": True,
     "suitable_for_sme": True}]}
with open("examples/industrial-small-to-scale.json", encoding="utf-8") as f:
    MONEY = json.load(f)
# every kind at once: money (the example's awards), tax relief (a car, VAT months), a loan limit
MIXED = {**MONEY, "small_scale_vat_taxpayer": True,
         "vehicles": NEV["vehicles"],
         "vat_periods": [{"id": "v1", "date": "2024-05-31", "sales": "90000.00"},
                         {"id": "v2", "date": "2024-06-30", "sales": "150000.00"}],
         "tenders": TENDER["tenders"]}

POLICY = policies.load()
runner = CliRunner()


def _eval(data):
    return evaluate(POLICY, Profile.model_validate(data), dt.date.fromisoformat(AS_OF))


def _one(ev, pid, event=None):
    [r] = [r for r in ev.results if r.provision_id == pid and (event is None or r.event_id == event)]
    return r


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from huiqi.storage.db import Database

    db = Database(f"sqlite:///{tmp_path_factory.mktemp('bk')}/huiqi.db")
    db.create_all()
    with TestClient(create_app(db)) as c:
        yield c, c.app
    db.engine.dispose()


def _api(client, data):
    c, _ = client
    r = c.post("/api/v1/evaluate?detail=full", json={"profile": data, "as_of": AS_OF})  # both languages
    assert r.status_code == 200, r.text
    return r.json()


def _cli(tmp_path, data, name="p.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    res = runner.invoke(cli_app, ["evaluate", str(path), "--as-of", AS_OF], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    return res.output


def _page(client, data, lang="zh"):
    from starlette.requests import Request

    from huiqi.web.pages_calculator import encode

    c, app = client
    token = encode(Request({"type": "http", "app": app, "headers": [], "path": "/"}), data)
    page = c.get(f"/calculator/result?p={token}&as_of={AS_OF}&lang={lang}")
    assert page.status_code == 200
    return page.text


def _card(html, pid, event=""):
    m = re.search(rf'data-provision="{re.escape(pid)}" data-event="{event}" data-status="eligible"(.*?)</article>',
                  html, flags=re.S)
    assert m, pid
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1)))


def _totals_block(html):
    m = re.search(r'<div class="totals" data-test="totals">(.*?)<h2', html, flags=re.S)
    assert m
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1)))


# -- the kind of each provision ----------------------------------------------------------------------


def test_every_provision_has_a_benefit_kind_from_its_kind():
    expected = {"fixed_award": "money", "capped_award": "money", "share_with_cap": "money", "tax_relief": "relief",
                "loan_limit": "loan_limit", "determination": "right", "referral": "referral"}
    for p in POLICY.provisions():
        assert p.benefit == expected[p.kind.value], p.id


def test_every_tax_relief_and_determination_states_its_effect():
    for p in POLICY.provisions():
        if p.kind.value == "tax_relief":
            assert p.effect_zh and "{amount}" in p.effect_zh and "{amount}" in p.effect_en, p.id
        if p.kind.value == "determination":
            assert p.effect_zh and p.effect_en and "{amount}" not in p.effect_zh, p.id


def test_each_result_carries_its_benefit_in_words(client):
    ans = _api(client, MIXED)
    words = {r["provision_id"]: r["benefit"] for r in ans["results"]}
    assert words["m12.nev_purchase_tax_exemption"] == {"code": "relief", "zh": "减免", "en": "tax or fee not levied",
                                                       "total_zh": "可减免税费", "total_en": "Tax and fees not levied"}
    assert words["m07.compute_voucher"]["zh"] == "资金"
    assert words["m24.bid_bond_waiver"] == {"code": "right", "zh": "资格/便利", "en": "a right or facilitation"}
    assert words["m28.startup_loan_small_micro"]["zh"] == "额度"
    assert words["m24.market_access_and_relocation"]["zh"] == "咨询"
    for r in ans["results"]:  # additive: the old keys are all there
        assert {"kind", "status", "amount_fen", "is_cap", "amount_display", "explanation_zh", "explanation_key"} <= set(r)


# -- 减免: a tax not levied is never money received ---------------------------------------------------


def test_tax_relief_is_worded_as_tax_not_levied(client, tmp_path):
    r = _one(_eval(NEV), "m12.nev_purchase_tax_exemption")
    assert r.status == "eligible" and r.amount_fen == 2_000_000
    assert "可免征车辆购置税¥20,000.00" in r.explanation_zh and "可获" not in r.explanation_zh
    assert "vehicle purchase tax of ¥20,000.00 is not levied" in r.explanation_en

    totals = _api(client, NEV)["totals"]
    assert totals["overall"]["paid_fen"] == 0 and totals["overall"]["relief_fen"] == 2_000_000
    by = {b["code"]: b for b in totals["by_benefit"]}
    assert by["money"]["fen"] == 0 and by["relief"]["display"] == "¥20,000.00" and by["relief"]["zh"] == "减免"

    out = _cli(tmp_path, NEV)
    assert "可免征车辆购置税¥20,000.00" in out and "可减免 ¥20,000.00" in out
    assert "可获资金 ¥0.00" in out and "可减免税费 ¥20,000.00" in out

    html = _page(client, NEV)
    assert "可减免 ¥20,000.00" in _card(html, "m12.nev_purchase_tax_exemption", "car1")
    block = _totals_block(html)
    assert "可获资金合计 ¥0.00" in block and "可减免税费合计 ¥20,000.00" in block
    block_en = _totals_block(_page(client, NEV, "en"))
    assert "Money paid in total ¥0.00" in block_en and "Tax and fees not levied in total ¥20,000.00" in block_en


def test_vat_relief_says_vat_not_levied(client):
    data = {"kind": "enterprise", "name": "小店", "credit_code": CODE, "small_scale_vat_taxpayer": True,
            "vat_periods": [{"id": "v1", "date": "2024-05-31", "sales": "90000.00"},
                            {"id": "v2", "date": "2024-06-30", "sales": "150000.00"}]}
    ev = _eval(data)
    exempt = _one(ev, "m25.small_scale_vat_exemption", "v1")
    reduced = _one(ev, "m25.small_scale_vat_reduced_rate", "v2")
    assert "可免征增值税¥2,700.00" in exempt.explanation_zh and "可获" not in exempt.explanation_zh
    assert "可减征增值税¥3,000.00" in reduced.explanation_zh and "减按1%征收率" in reduced.explanation_zh
    assert "VAT of ¥2,700.00 is not levied" in exempt.explanation_en
    t = ev.totals()["overall"]
    assert (t["paid_fen"], t["relief_fen"]) == (0, 570_000)


# -- 额度: a loan limit is what may be borrowed ----------------------------------------------------------


def test_loan_limit_is_worded_as_a_loan_limit(client, tmp_path):
    r = _one(_eval(HOME), "m13.provident_fund_loan_uplift")
    assert r.status == "eligible" and r.amount_fen == 78_000_000
    assert "可申请贷款额度最高¥780,000.00" in r.explanation_zh and "可获" not in r.explanation_zh
    assert "loan of up to ¥780,000.00 (a loan limit, not money paid" in r.explanation_en

    totals = _api(client, HOME)["totals"]["overall"]
    assert (totals["paid_fen"], totals["relief_fen"], totals["loan_limit_fen"]) == (0, 0, 78_000_000)
    assert totals["up_to_fen"] == 0  # a loan limit's ceiling is not money's ceiling

    out = _cli(tmp_path, HOME)
    assert "贷款额度最高 ¥780,000.00" in out and "可申请贷款额度 ¥780,000.00" in out and "可获资金 ¥0.00" in out

    html = _page(client, HOME)
    assert "可申请贷款额度最高 ¥780,000.00" in _card(html, "m13.provident_fund_loan_uplift", "h1")
    block = _totals_block(html)
    assert "可获资金合计 ¥0.00" in block and "可申请贷款额度合计 ¥780,000.00" in block
    assert "Loan limits you may apply for ¥780,000.00" in _totals_block(_page(client, HOME, "en"))


# -- 资格/便利: a determination states what it grants ------------------------------------------------------


def test_determinations_state_their_effect(client, tmp_path):
    ev = _eval(TENDER)
    waiver = _one(ev, "m24.bid_bond_waiver", "t1")
    guarantee = _one(ev, "m24.bid_bond_by_guarantee", "t2")
    assert waiver.status == guarantee.status == "eligible"
    assert "免于收取投标保证金" in waiver.explanation_zh and "no bid bond is collected" in waiver.explanation_en
    assert "以保函（保险）替代现金缴纳投标保证金" in guarantee.explanation_zh
    assert "guarantee letter (or insurance) may be given in place of a cash bid bond" in guarantee.explanation_en
    sme = _one(_eval(PROCURE), "m24.sme_reserved_procurement", "p1")
    assert sme.status == "eligible" and "专门向中小企业采购" in sme.explanation_zh
    assert "reserved for small and medium-sized enterprises" in sme.explanation_en
    assert ev.totals()["overall"] == dict.fromkeys(("money_fen", "paid_fen", "relief_fen", "up_to_fen", "loan_limit_fen"), 0)

    ans = _api(client, TENDER)
    [row] = [r for r in ans["results"] if r["provision_id"] == "m24.bid_bond_waiver" and r["event_id"] == "t1"]
    assert row["benefit"]["code"] == "right" and "免于收取投标保证金" in row["explanation_zh"]

    out = _cli(tmp_path, TENDER)
    assert "符合条件：免于收取投标保证金" in out and "符合条件：可以保函（保险）替代现金缴纳投标保证金" in out

    html = _page(client, TENDER)
    card = _card(html, "m24.bid_bond_waiver", "t1")
    assert "资格/便利" in card and "免于收取投标保证金" in card
    assert "no bid bond is collected" in _card(_page(client, TENDER, "en"), "m24.bid_bond_waiver", "t1")


# -- 资金: money stays worded as money ------------------------------------------------------------------


def test_money_is_still_worded_as_money(client, tmp_path):
    ev = _eval(MONEY)
    r = _one(ev, "m07.compute_voucher", "c1")
    assert r.status == "eligible" and "可获" in r.explanation_zh
    t = ev.totals()["overall"]
    assert t["paid_fen"] == t["money_fen"] > 0 and t["relief_fen"] == 0
    out = _cli(tmp_path, MONEY)
    from huiqi.money import format_fen

    assert f"可获资金 {format_fen(t['paid_fen'])}" in out
    assert f"可获资金合计 {format_fen(t['paid_fen'])}" in _totals_block(_page(client, MONEY))


# -- totals never mix kinds --------------------------------------------------------------------------


def test_totals_keep_every_kind_apart(client, tmp_path):
    ev = _eval(MIXED)
    eligible = [r for r in ev.results if r.status == "eligible" and r.amount_fen]
    by_kind = {k: sum(r.amount_fen for r in eligible if r.benefit == k) for k in ("money", "relief", "loan_limit", "right")}
    t = ev.totals()["overall"]
    assert by_kind["money"] > 0 and by_kind["relief"] > 0 and by_kind["right"] == 0
    assert t["paid_fen"] == by_kind["money"]
    assert t["relief_fen"] == by_kind["relief"] == 2_000_000 + 270_000 + 300_000
    assert t["loan_limit_fen"] == by_kind["loan_limit"]
    assert t["money_fen"] == t["paid_fen"] + t["relief_fen"]  # the old key, kept for its readers
    assert t["up_to_fen"] == sum(r.amount_fen for r in eligible if r.benefit == "money" and r.is_cap)
    for m, mt in ev.totals()["by_measure"].items():
        assert mt["money_fen"] == mt["paid_fen"] + mt["relief_fen"], m
        if m in ("m12", "m25"):
            assert mt["paid_fen"] == 0, m

    from huiqi.money import format_fen

    totals = _api(client, MIXED)["totals"]
    assert [(b["code"], b["fen"]) for b in totals["by_benefit"]] == [
        ("money", t["paid_fen"]), ("relief", t["relief_fen"]), ("loan_limit", t["loan_limit_fen"])]
    assert [b["total_zh"] for b in totals["by_benefit"]] == ["可获资金", "可减免税费", "可申请贷款额度"]

    out = _cli(tmp_path, MIXED)
    assert f"可获资金 {format_fen(t['paid_fen'])}" in out and f"可减免税费 {format_fen(t['relief_fen'])}" in out
    block = _totals_block(_page(client, MIXED))
    assert f"可获资金合计 {format_fen(t['paid_fen'])}" in block
    assert f"可减免税费合计 {format_fen(t['relief_fen'])}" in block
    assert format_fen(t["money_fen"]) not in block  # money and relief are never shown added up
