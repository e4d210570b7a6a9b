"""One schema of the event kinds (huiqi/profile/questions.py): every event list of the profile is asked about,
every question is a field of its model, and every fact a rule may read has words for people — so an
explanation never prints ``first_time=True`` or ``in_statistics_db``."""

from __future__ import annotations

import typing

from huiqi.engine.explain import failed, missing
from huiqi.profile.facts import fact_names
from huiqi.profile.model import EVENT_LISTS, Profile
from huiqi.profile.questions import ENTITY_FACTS, EVENT_LABELS, FAMILY, fact_label, fact_value


def test_every_event_list_has_its_questions_and_every_question_its_field():
    assert set(FAMILY) == set(EVENT_LISTS)
    for name, family in FAMILY.items():
        (model,) = typing.get_args(Profile.model_fields[name].annotation)
        assert {q.name for q in family.questions} <= set(model.model_fields), name
        assert {q.name for q in family.entity} <= set(Profile.model_fields), name


def test_every_fact_a_rule_may_read_has_words():
    entity, _ = fact_names("entity")
    assert entity <= set(ENTITY_FACTS), sorted(entity - set(ENTITY_FACTS))
    for subject in EVENT_LISTS:
        _, event = fact_names(subject)
        assert event <= set(EVENT_LABELS), (subject, sorted(event - set(EVENT_LABELS)))


def test_explanations_use_the_words():
    class Cond:
        zh, en = "首次升规纳统", "first entry"
        facts = {"event.first_time": False, "event.path": "small_to_scale"}

    zh, en = failed([Cond()])
    assert "首次纳入统计：否" in zh and "方式：小升规" in zh and "first_time" not in zh and "small_to_scale" not in zh
    assert "First time: no" in en

    class Unknown:
        zh, en = "在库", "in the database"
        facts = {"entity.in_statistics_db": None}

    zh, en = missing([Unknown()])
    assert "缺少：在库（纳入统计联网直报）" in zh and "in_statistics_db" not in zh
    assert fact_label("entity.is_industrial") == "工业企业" and fact_value("compute_rental") == "租赁算力"
