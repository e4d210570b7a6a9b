"""Search finds measures as users type them, in Chinese and English, best first."""

from __future__ import annotations

import pytest

from huiqi.catalogue.search import QueryError, SearchIndex

FIRST = [
    ("算力券", "m07"),
    ("小巨人", "m23"),
    ("公积金", "m13"),
    ("保证金", "m24"),
    ("以旧换新", "m12"),
    ("小升规", "m03"),
    ("新三板", "m26"),
    ("跨境电商", "m19"),
    ("磨憨", "m22"),
    ("市住房公积金中心", "m13"),
    ("市委金融办", "m26"),
    ("市退役军人局", "m28"),
    ("创业担保贷款", "m28"),
    ("增值税", "m25"),
    ("车辆购置税", "m12"),
    ("compute voucher", "m07"),
    ("Compute Vouchers", "m07"),
    ("little giant", "m23"),
    ("bid bond", "m24"),
    ("purchase tax new energy vehicle", "m12"),
    ("housing provident fund", "m13"),
    ("VAT small-scale taxpayer", "m25"),
    ("ＡＩ　算力券", "m07"),  # full-width letters and space, as typed with a Chinese IME
]


@pytest.fixture(scope="module")
def index(policy):
    return SearchIndex.for_policy(policy)


@pytest.mark.parametrize("query,expected", FIRST)
def test_expected_measure_ranks_first(index, query, expected):
    hits = index.search(query)
    assert hits, f"no result for {query}"
    assert hits[0].measure_id == expected, [(h.measure_id, round(h.score, 2)) for h in hits[:5]]


def test_department_finds_all_its_measures(index, policy):
    expected = {m.id for m in policy.measures if "市商务局" in m.lead_departments_text}
    got = {h.measure_id for h in index.search("市商务局", limit=30)}
    assert expected <= got


def test_scores_descend(index):
    hits = index.search("奖补", limit=30)
    assert len(hits) > 5
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_any_phrase_of_the_text_finds_its_measure(index, policy):
    """A phrase cut from anywhere in a measure's text finds that measure among the results."""
    for m in policy.measures:
        phrase = m.text[len(m.text) // 2 : len(m.text) // 2 + 6]
        if any(ch in phrase for ch in "，。、；：（）“”"):
            continue
        assert m.id in [h.measure_id for h in index.search(phrase, limit=30)], (m.id, phrase)


def test_near_miss_falls_back_to_bigrams(index):
    assert index.search("小升规企业")[0].measure_id == "m03"


def test_matched_provisions_are_named(index):
    hit = index.search("算力券")[0]
    assert "m07.compute_voucher" in hit.matched_provisions
    assert "算力券" in hit.snippet


def test_nonsense_finds_nothing(index):
    assert index.search("zzzxqy") == []


@pytest.mark.parametrize("bad", ["", "   ", "算" * 201])
def test_empty_or_overlong_query_is_an_error(index, bad):
    with pytest.raises(QueryError):
        index.search(bad)


# -- words people type that the text does not use (synonyms.yaml) -------------------------------------

SYNONYM_FIRST = [
    ("算力补贴", "m07"),
    ("买车补贴", "m12"),
    ("购车补贴", "m12"),
    ("社保降费", "m28"),
    ("稳岗", "m28"),
    ("公积金贷款", "m13"),
    ("小升规奖励", "m03"),
    ("专精特新奖励", "m23"),
    ("上市奖励", "m26"),
    ("人社局", "m28"),
    ("工信局", "m07"),  # the measure it leads alone
    ("首台套", "m02"),
    ("保障房", "m29"),
    ("创业贷款", "m28"),
    ("市工信局 算力补贴", "m07"),
    ("工信局算力补贴", "m07"),  # no space: both words found inside one term
]


@pytest.mark.parametrize("query,expected", SYNONYM_FIRST)
def test_words_people_type_rank_the_right_measure_first(index, query, expected):
    hits = index.search(query)
    assert hits, f"no result for {query}"
    assert hits[0].measure_id == expected, [(h.measure_id, round(h.score, 2)) for h in hits[:5]]


@pytest.mark.parametrize("abbreviation,department", [
    ("工信局", "市工业和信息化局"), ("发改委", "市发展改革委"), ("人社局", "市人力资源社会保障局"),
    ("住建局", "市住房城乡建设局"), ("投促局", "市投资促进局"), ("文旅局", "市文化和旅游局"),
])
def test_department_abbreviation_finds_all_its_measures(index, policy, abbreviation, department):
    expected = {m.id for m in policy.measures if department in m.lead_departments_text}
    hits = index.search(abbreviation, limit=30)
    assert expected and expected <= {h.measure_id for h in hits}
    assert department in policy.measure(hits[0].measure_id).lead_departments_text


def test_an_exact_word_counts_more_than_its_synonym(policy):
    index = SearchIndex(policy.measures, {"小巨人": ["算力券"]})  # deliberately wrong: the typed word must win
    assert index.search("小巨人")[0].measure_id == "m23"


def test_a_synonym_hit_shows_the_words_of_the_text(index):
    hit = index.search("算力补贴")[0]
    assert "算力券" in hit.snippet and "m07.compute_voucher" in hit.matched_provisions


def test_every_synonym_target_is_in_the_text(policy):
    assert len(policy.synonyms) >= 30
    for word, targets in policy.synonyms.items():
        assert targets, word
        for t in targets:
            assert t in policy.source_text, (word, t)
            assert any(t in m.text for m in policy.measures), (word, t)  # and in a measure, so it finds one


def test_every_synonym_finds_a_measure(index, policy):
    for word in policy.synonyms:
        assert index.search(word), word


def test_a_policy_without_synonyms_still_searches():
    from pathlib import Path

    from huiqi.rules.loader import load_policy

    other = load_policy(Path(__file__).parent / "fixtures" / "policies" / "shili_2025")
    assert other.synonyms == {}
    assert SearchIndex.for_policy(other).search("算力")[0].measure_id == "m01"


# -- did you mean ------------------------------------------------------------------------------------

@pytest.mark.parametrize("query,suggested", [
    ("工信", "工信局"),
    ("发改", "市发展改革委"),
    ("compte vouchr", "compute voucher"),
])
def test_a_miss_suggests_words_that_find_measures(index, query, suggested):
    hits = index.search(query)
    assert hits == [] and suggested in hits.suggestions
    assert all(index.search(s) for s in hits.suggestions)


def test_a_hit_has_no_suggestions_and_nonsense_none(index):
    assert index.search("算力券").suggestions == ()
    assert index.search("zzzxqy").suggestions == ()
