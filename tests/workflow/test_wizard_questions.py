"""The calculator asks what the rules need (issue 12 item 4), on SQLite and PostgreSQL.

For every policy served (the 2024 notice and the fictional one of tests/fixtures) and every kind of applicant,
the facts each provision that can apply to that kind reads are worked out here from the compiled rules, and
the wizard's real pages are read for the questions they show: every fact read is asked (or follows from an
asked one), and a resident is asked nothing that only enterprises' provisions read. Then 核对信息 shows every
answer in words with a 修改 link back to its question, and applying needs the 信用承诺, checked by the server.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from huiqi import policies
from huiqi.engine.evaluate import CLAIMANT_KINDS
from huiqi.engine.plan import plan_for
from huiqi.profile.facts import INDUSTRY_FACTS, district_facts, size_facts
from huiqi.profile.model import ApplicantKind, kinds_of

CATALOGUE = Path(__file__).parents[1] / "fixtures" / "policies" / "index.yaml"
CODE = "91530100MA6K3YXF8W"
PW = "huiqi-test-pw-2024"
# The facts the profile derives from one answer (huiqi.profile.facts), so asking that answer asks them too.
FROM_ANSWER = {"industry": {"industry", *INDUSTRY_FACTS}, "district": {"district", *(k for k, _ in district_facts(None))},
               "size_class": {"size_class", *(k for k, _ in size_facts(None))}}


@pytest.fixture(autouse=True)
def _both_policies(monkeypatch):
    monkeypatch.setenv("HUIQI_CATALOGUE", str(CATALOGUE))


class _Fields(HTMLParser):
    """The names of the form fields a person sees: not type=hidden, not inside an element marked hidden."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "option"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: hidden?
        self.names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        hidden = "hidden" in a or (self.stack and self.stack[-1])
        if tag in ("input", "select", "textarea") and not hidden and a.get("type") != "hidden" and a.get("name"):
            if a.get("type") == "checkbox":
                self.names.add(f"{a['name']}={a.get('value')}")
            else:
                self.names.add(a["name"])
        if tag not in self.VOID:
            self.stack.append(bool(hidden))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()


def shown_fields(html: str) -> set[str]:
    parser = _Fields()
    parser.feed(html)
    return parser.names


def reads(policy, kind: ApplicantKind) -> set[tuple[str, str]]:
    """(list name or 'entity', fact) read by a test, amount or figure of any provision ``kind`` may claim."""
    out = set()
    for plan in plan_for(policy):
        if kind in CLAIMANT_KINDS[plan.provision.claimant]:
            out.update((plan.provision.subject if ns == "event" else "entity", name) for ns, name in plan.columns)
    return out


def wizard_fields(client, policy_id: str, kind: str) -> tuple[set[str], str]:
    """The questions of both steps for ``kind``, every kind of event ticked (the first step shown as the kind's own).
    An event's fields the schema requires are asked whatever reads them: the profile needs them to be valid."""
    base = {"kind": kind, "asked_kind": kind, "name": "测试", "policy": policy_id}
    step1 = client.post("/calculator", data={**base, "action": "back"})
    assert step1.status_code == 200
    everything = [f.name for f in kinds_of(policies.load(policy_id)).kinds]
    step2 = client.post("/calculator", data={**base, "families": everything, "action": "families"})
    assert step2.status_code == 200 and 'aria-current="step"' in step2.text
    return shown_fields(step1.text) | shown_fields(step2.text), step2.text


def _covered(fact: tuple[str, str], fields: set[str], kind: ApplicantKind, policy) -> bool:
    subject, name = fact
    if subject == "entity":
        return name in fields or any(a in fields and name in gives for a, gives in FROM_ANSWER.items())
    if f"families={subject}" not in fields:
        return False
    if name in ("id", "date"):
        return f"{subject}-0-date" in fields
    spec = kinds_of(policy)[subject]
    if name in spec.spec.derived:  # computed from the list's asked fields (单户担保金额)
        return True
    if f"{subject}-0-{name}" in fields:
        return True
    # a person is not asked what the schema presumes (乘用车, 税率 0.13): the default stands, never unknown
    return kind is ApplicantKind.individual and spec.fields[name].default is not None


@pytest.mark.parametrize("policy_id", ["kunming_2024", "shili_2025"])
def test_every_fact_a_provision_reads_is_asked(db, policy_id):
    policy = policies.load(policy_id)
    with TestClient(__import__("huiqi.api.app", fromlist=["create_app"]).create_app(db)) as client:
        for kind in ApplicantKind:
            fields, _ = wizard_fields(client, policy_id, kind.value)
            missing = sorted(f for f in reads(policy, kind) if not _covered(f, fields, kind, policy))
            assert not missing, f"{policy_id}, {kind.value}: read but never asked: {missing}"


@pytest.mark.parametrize("policy_id", ["kunming_2024", "shili_2025"])
def test_a_resident_is_asked_only_what_a_residents_provisions_read(db, policy_id):
    from huiqi.api.app import create_app

    policy = policies.load(policy_id)
    needed = reads(policy, ApplicantKind.individual)
    with TestClient(create_app(db)) as client:
        fields, html = wizard_fields(client, policy_id, "individual")
        enterprise_fields, _ = wizard_fields(client, policy_id, "enterprise")
    families = {f.split("=", 1)[1] for f in fields if f.startswith("families=")}
    assert families == {s for s, _ in needed if s != "entity"}  # the kinds of event a resident's provisions judge
    for name in fields - {"kind", "name", "as_of"} - {f"families={f}" for f in families}:
        family, _, rest = name.partition("-")
        if rest:  # an event's question: its date and id, or a field a resident's provision reads
            field = rest.split("-", 1)[1]
            required = kinds_of(policy)[family].fields[field].required if field not in ("date", "id") else True
            assert required or (family, field) in needed, f"asked of a resident, read by no provision for one: {name}"
        else:
            assert ("entity", name) in needed, f"asked of a resident, read by no provision for one: {name}"
    assert {"credit_code", "industry", "size_class"} <= enterprise_fields  # asked of an enterprise, not of a person
    assert not {"credit_code", "industry", "size_class", "in_statistics_db", "has_dishonesty_record"} & fields
    shown = re.sub(r"<[^>]+>", " ", re.sub(r'<div class="field"[^>]*hidden.*?</div>', "", html, flags=re.S))
    assert "增值税税率" not in shown and "统一社会信用代码" not in shown


def _enterprise_form(**extra) -> dict:
    return {"kind": "enterprise", "asked_kind": "enterprise", "name": "昆明示例机械制造有限公司", "credit_code": CODE,
            "district": "530111", "industry": "3311", "size_class": "small", "families": ["scale_entries", "compute_claims"],
            "scale_entries-n": "1", "scale_entries-0-date": "2023-06-15", "scale_entries-0-path": "small_to_scale",
            "scale_entries-0-first_time": "yes", "compute_claims-n": "1", "compute_claims-0-date": "2024-05-10",
            "compute_claims-0-category": "compute_rental", "compute_claims-0-spend": "1234567.8",
            "as_of": "2024-12-31", **extra}


def test_in_statistics_db_is_asked_with_the_scale_entry_and_decides_the_award(db):
    """The issue's case: an industrial SME that just entered 规上 is asked 在库 (only once it says so), and the
    award is decided on the answer instead of coming out 「信息不足」."""
    from huiqi.api.app import create_app

    with TestClient(create_app(db)) as client:
        plain = client.post("/calculator", data={**_enterprise_form(), "families": [], "action": "families"}).text
        assert "in_statistics_db" not in shown_fields(plain)  # not chosen: not asked
        chosen = client.post("/calculator", data={**_enterprise_form(), "action": "families"}).text
        assert "in_statistics_db" in shown_fields(chosen)
        fam = re.search(r'<fieldset class="family" id="fam-scale_entries".*?</fieldset>', chosen, re.S).group(0)
        assert 'name="in_statistics_db"' in fam  # asked with the scale entry itself
        for answer, status in (("yes", "eligible"), ("no", "not_eligible")):
            r = client.post("/calculator", data={**_enterprise_form(in_statistics_db=answer), "action": "calc"},
                            follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/calculator/check?")
            check = client.get(r.headers["location"]).text
            result = client.get(re.search(r'href="([^"]+)" data-test="confirm"', check).group(1).replace("&amp;", "&")).text
            card = re.search(r'data-provision="m03.small_to_scale_award"[^>]*data-status="(\w+)"', result)
            assert card and card.group(1) == status, answer
            assert "信息不足" not in result.split('data-provision="m03.small_to_scale_award"')[1][:3000]


def test_check_your_answers_shows_every_answer_in_words_with_a_change_link(db):
    from huiqi.api.app import create_app

    with TestClient(create_app(db)) as client:
        r = client.post("/calculator", data={**_enterprise_form(in_statistics_db="yes"), "action": "calc"}, follow_redirects=False)
        page = client.get(r.headers["location"])
        assert page.status_code == 200
        rows = dict((m.group(1), (re.sub(r"\s+", " ", m.group(2)).strip(), m.group(3).replace("&amp;", "&")))
                    for m in re.finditer(r'data-field="([^"]+)">\s*<dt>.*?</dt>\s*<dd data-test="answer">(.*?)</dd>\s*'
                                         r'<dd class="change"><a href="([^"]+)"', page.text, re.S))
        assert rows["kind"][0] == "企业（含个体工商户）" and rows["district"][0] == "官渡区（530111）"
        assert rows["industry"][0].startswith("3311 ") and rows["size_class"][0] == "小型"
        assert rows["in_statistics_db"][0] == "是" and rows["compute_claims-0-spend"][0] == "¥1,234,567.80"
        assert rows["compute_claims-0-category"][0] == "租赁算力" and rows["scale_entries-0-path"][0] == "小升规"
        assert rows["scale_entries-0-date"][0] == "2023年6月15日" and rows["as_of"][0] == "2024年12月31日"
        assert rows["scale_entries-0-first_time"][0] == "是"
        shown = re.sub(r"<[^>]+>", " ", page.text)
        assert "small_to_scale" not in shown and "compute_rental" not in shown and "in_statistics_db" not in shown
        # 修改 goes back to the question's step with every answer kept
        href = rows["compute_claims-0-spend"][1]
        assert href.split("#")[1] == "f-compute_claims-0-spend" and parse_qs(urlsplit(href).query)["step"] == ["2"]
        again = client.get(href.split("#")[0]).text
        assert re.search(r'id="f-compute_claims-0-spend"[^>]*value="1234567\.80?"', again)
        assert re.search(r'<option value="yes" selected>是</option>', again.split('id="f-in_statistics_db"')[1])
        first = client.get(rows["name"][1].split("#")[0]).text
        assert 'aria-current="step" class="current"><span class="n">1' in first and "昆明示例机械制造有限公司" in first
        english = client.get(r.headers["location"] + "&lang=en").text
        assert "Check your answers" in english and "Change" in english and "2023-06-15" in english


def test_applying_needs_the_declaration(db):
    """Without the 信用承诺 the application is refused naming it and nothing is stored; with it, created."""
    from sqlalchemy import func, select

    from huiqi.api.app import create_app
    from huiqi.storage.models import Application
    from huiqi.workflow import accounts

    with db.transaction() as s:
        accounts.create_user(s, "ent", PW, "applicant", credit_code=CODE)
    with TestClient(create_app(db), base_url="https://testserver") as client, \
            pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUIQI_TODAY", "2024-10-08")  # inside the 申报期
        assert client.post("/api/v1/auth/login", json={"username": "ent", "password": PW}).status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/calculator").text).group(1)
        form = {**_enterprise_form(in_statistics_db="yes", as_of="2024-10-08"), "action": "calc", "csrf_token": csrf}
        check = client.get(client.post("/calculator", data=form, follow_redirects=False).headers["location"]).text
        result = client.get(re.search(r'href="([^"]+)" data-test="confirm"', check).group(1).replace("&amp;", "&")).text
        card = result.split('data-provision="m07.compute_voucher"')[1].split("</article>")[0]
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', card))
        assert 'name="declaration" value="yes"' in card and "信用承诺" in card
        import html as html_mod

        fields = {k: html_mod.unescape(v) for k, v in fields.items()}
        refused = client.post("/calculator/apply", data=fields, follow_redirects=False)
        assert refused.status_code == 200  # the pages' way: the form comes back with the message (docs/web.md)
        alert = re.search(r'data-test="apply-error">(.*?)</p>', refused.text, re.S).group(1)
        assert "信用承诺" in alert and "未创建申请" in alert
        with db.transaction() as s:
            assert s.execute(select(func.count()).select_from(Application)).scalar() == 0
        made = client.post("/calculator/apply", data={**fields, "declaration": "yes"}, follow_redirects=False)
        assert made.status_code == 303 and "/portal/applications/" in made.headers["location"]
        with db.transaction() as s:
            assert s.execute(select(func.count()).select_from(Application)).scalar() == 1


def test_a_measures_link_starts_as_the_applicant_its_events_are_for(db):
    """From a measure's page the wizard ticks its kinds of event; a home purchase (m13) is a person's, so the
    wizard starts as 个人或家庭 and step 2 offers it; the compute voucher (m07) starts as an enterprise."""
    from huiqi.api.app import create_app

    with TestClient(create_app(db)) as client:
        home = client.get("/calculator?measure=m13").text
        assert re.search(r'<option value="individual" selected>', home)
        assert 'name="families" value="home_purchases"' in home
        step2 = client.get("/calculator?measure=m13&step=2").text
        assert 'value="home_purchases" data-toggle="fam-home_purchases" checked' in step2
        compute = client.get("/calculator?measure=m07").text
        assert re.search(r'<option value="enterprise" selected>', compute)
