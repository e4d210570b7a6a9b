"""办事指南 in the policy data: the loader refuses a guide that quotes words not in the text, names a condition the
provision does not have, carries a malformed phone or says nothing; a measure's guide serves its provisions that
have none; and the calculator's claim numbering and words for claims (pure functions, no storage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi import policies
from huiqi.rules.loader import PolicyDataError, load_policy, read_yaml
from huiqi.web import calculator_claims as claims
from tests.test_loader_errors import _edit

AWARD = 0  # m07's first provision: the first-scale award, which carries a configured list


def _error(folder: Path) -> str:
    with pytest.raises(PolicyDataError) as e:
        load_policy(folder)
    return str(e.value)


def _guide(**extra):
    return {"source": "configured", "materials": [{"id": "proof", "zh": "证明", "en": "proof"}], **extra}


@pytest.mark.parametrize("guide, words", [
    (_guide(source="text"), "source: text needs the citation"),
    (_guide(citation=["对首次升规纳入核算的互联网、软件及相关服务业企业给予每户10万元奖补。"]), "a citation is for source: text"),
    ({"source": "text", "citation": ["凭营业执照办理"], "time_limit_working_days": 10}, "not verbatim in the text"),
    (_guide(phone="咨询电话待定"), "service.phone"),
    (_guide(phone="0871-1"), "7 to 20 digits"),
    (_guide(time_limit_working_days=0), "service.time_limit_working_days"),
    ({"source": "configured"}, "states at least one of"),
    (_guide(materials=[{"id": "a", "zh": "甲", "en": "a"}, {"id": "a", "zh": "乙", "en": "b"}]), "ids must be unique"),
    (_guide(materials=[{"id": "a", "zh": "甲", "en": "a", "proves": ["no_such_condition"]}]), "no_such_condition"),
    (_guide(materials=[{"id": "a" * 41, "zh": "甲", "en": "a"}]), "at most 40 characters"),
    (_guide(materials=[{"id": "Bad Id", "zh": "甲", "en": "a"}]), "service.materials[0].id"),
])
def test_a_bad_guide_is_refused_naming_file_and_field(policy_copy, guide, words):
    _edit(policy_copy, "m07", lambda d: d["provisions"][AWARD].update(service=guide))
    msg = _error(policy_copy)
    assert "measures/m07.yaml" in msg and words in msg, msg


def test_a_measure_guide_serves_its_provisions_without_their_own(policy_copy):
    guide = {"source": "text", "citation": ["设立总额3000万元的“算力券”"], "time_limit_working_days": 15,
             "phone": "0871-12345678", "window": "市政务服务中心"}
    _edit(policy_copy, "m07", lambda d: d.update(service=guide))
    m = load_policy(policy_copy).measure("m07")
    assert m.service_for("m07.compute_voucher").time_limit_working_days == 15
    assert m.service_for("m07.internet_software_first_scale_award").source == "configured"  # its own wins


def test_a_measure_material_must_prove_a_condition_of_the_measure(policy_copy):
    _edit(policy_copy, "m07", lambda d: d.update(service=_guide(materials=[
        {"id": "a", "zh": "甲", "en": "a", "proves": ["invented"]}])))
    assert "service.materials.a.proves" in _error(policy_copy)


def test_the_shipped_guides_invent_no_contact_and_say_where_they_come_from():
    policy = policies.load()
    guides = [(p.id, m.service_for(p.id)) for m in policy.measures for p in m.provisions if m.service_for(p.id)]
    assert {pid for pid, _ in guides} >= {"m03.small_to_scale_award", "m07.internet_software_first_scale_award",
                                           "m08.commerce_first_scale_award"}
    for pid, g in guides:
        assert g.phone is None and g.window is None, pid  # the text gives none: never a guessed number
        assert g.source == "configured" or g.citation, pid
        assert any(m.required for m in g.materials), pid


def test_the_guide_is_in_the_docs():
    text = (Path(__file__).resolve().parents[1] / "docs" / "policy-data.md").read_text(encoding="utf-8")
    for word in ("service:", "materials", "time_limit_working_days", "phone", "window", "source: configured",
                 "以主管部门通知为准"):
        assert word in text, word


# -- numbering and naming claims (the calculator beside earlier applications) ----------------------------------


def _earlier(event_id, event, family="compute_claims", provision="m07.compute_voucher"):
    return {"id": 1, "provision_id": provision, "event_id": event_id, "status": "approved", "approved_fen": 1,
            "entitlement_fen": 1, "cap_year": 2024, "family": family, "event": event}


OLD = {"id": "c1", "date": "2024-04-10", "category": "compute_rental", "spend": "1200000.00"}
NEW = {"id": "c1", "date": "2024-11-10", "category": "compute_rental", "spend": "40000.00"}


def test_a_new_claim_is_numbered_apart_from_an_earlier_application():
    data, changed = claims.renumber_claims({"compute_claims": [NEW]}, [_earlier("c1", OLD)], {"compute_claims": "c"})
    assert changed and data["compute_claims"][0]["id"] == "c2"
    assert data["compute_claims"][0]["spend"] == "40000.00"


def test_the_same_claim_keeps_its_number():
    same = {**OLD, "spend": "1200000"}  # the same figure written another way
    data, changed = claims.renumber_claims({"compute_claims": [same]}, [_earlier("c1", OLD)], {"compute_claims": "c"})
    assert not changed and data["compute_claims"][0]["id"] == "c1"


def test_the_next_number_is_free_in_the_profile_and_the_applications():
    rows = [NEW, {**OLD, "id": "c2", "spend": "5.00"}]
    earlier = [_earlier("c1", OLD), _earlier("c3", {**OLD, "id": "c3"})]
    data, changed = claims.renumber_claims({"compute_claims": rows}, earlier, {"compute_claims": "c"})
    assert changed and [r["id"] for r in data["compute_claims"]] == ["c4", "c2"]


def test_another_kind_of_event_is_not_renumbered():
    data, changed = claims.renumber_claims({"scale_entries": [{"id": "c1", "date": "2024-04-10"}]},
                                           [_earlier("c1", OLD)], {"compute_claims": "c", "scale_entries": "s"})
    assert not changed and data["scale_entries"][0]["id"] == "c1"


def test_claims_are_named_in_words_not_ids():
    from huiqi.web.pages_calculator import family_map

    families = family_map()
    labels = claims.event_labels({"compute_claims": [OLD, {**NEW, "id": "c2"}]}, families, "zh")
    assert labels["compute_claims|c2"].endswith("第2笔（2024-11-10，¥40,000.00）")
    assert "c2" not in labels["compute_claims|c2"]
    en = claims.event_labels({"compute_claims": [OLD]}, families, "en")
    assert en["compute_claims|c1"].endswith("claim 1 (2024-04-10, ¥1,200,000.00)")


def test_an_applications_claim_is_named_from_its_stored_profile():
    profile = {"kind": "enterprise", "compute_claims": [OLD, {**NEW, "id": "c2"}]}
    assert claims.label_in(profile, "c2", None, "zh").endswith("第2笔（2024-11-10，¥40,000.00）")
    assert claims.label_in(profile, "c9", None, "zh") == "c9"  # not in the profile: its id, never an invented claim
