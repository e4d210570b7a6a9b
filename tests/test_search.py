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
