"""The engine words an explanation only when it is read (issue 16, one applicant): a result carries its
explanation key and the parameters of its words; the text, when asked for, is the one the full answer gives.

Why it matters: an answer has some 120 rows and a page or a compact API answer reads the words of a few."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from huiqi.catalogue import get_policy
from huiqi.engine import explain
from huiqi.engine.evaluate import evaluate
from huiqi.engine.plan import prepare
from huiqi.profile.model import Profile

EXAMPLE = Path(__file__).parents[1] / "examples" / "industrial-small-to-scale.json"
AS_OF = dt.date(2024, 10, 1)


@pytest.fixture(scope="module")
def evaluation():
    return evaluate(get_policy(), Profile.model_validate(json.loads(EXAMPLE.read_text(encoding="utf-8"))), AS_OF)


def test_every_result_carries_its_key_with_the_words(evaluation):
    statuses = {r.status for r in evaluation.results}
    assert {"eligible", "not_eligible", "referral"} <= statuses  # the example exercises every kind of words
    for r in evaluation.results:
        assert isinstance(r.explanation, explain.Explanation)
        assert r.explanation.key == r.explanation_key, r.provision_id
        assert r.explanation_text("zh") == r.explanation_zh == r.explanation.zh and r.explanation_zh
        assert r.explanation_text("en") == r.explanation_en == r.explanation.en and r.explanation_en


def test_a_fresh_result_is_worded_only_when_read():
    profile = Profile.model_validate(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    results = evaluate(get_policy(), profile, AS_OF).results
    own = [r for r in results if r.event_id is not None]  # judged on this applicant's events: never shared
    assert own and all(r.explanation._text is None for r in own)
    words = own[0].explanation_zh
    assert own[0].explanation._text is not None and words == own[0].explanation.text("zh")
    assert all(r.explanation._text is None for r in own[1:])


def test_the_answer_without_words_is_the_full_answer_less_the_words(evaluation):
    for r in evaluation.results:
        keys_only = r.as_dict(text=False)
        full = r.as_dict()
        assert "explanation_zh" not in keys_only and "explanation_en" not in keys_only
        assert keys_only["explanation_key"] == r.explanation_key
        assert {k: v for k, v in full.items() if k not in ("explanation_zh", "explanation_en")} == keys_only


def test_a_step_that_lowers_an_amount_words_the_reason(evaluation):
    capped = [r for r in evaluation.results if r.explanation_key == "eligible:annual_cap"]
    assert capped, "the example's second compute claim is held by the yearly cap"
    assert "受年度上限限制" in capped[0].explanation_zh and "yearly cap" in capped[0].explanation_en


def test_prepare_freezes_the_loaded_policy_and_can_be_called_again():
    import gc

    policy = get_policy()
    plans = prepare(policy)
    assert plans and gc.get_freeze_count() > 0
    assert prepare(policy) is plans
    gc.unfreeze()  # leave the test process as it was
