"""SME size classes (STANDARDS.md §4): the row map, every row at its exact boundaries, and monotonicity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.standards.industries import AmbiguousIndustryCode, UnknownIndustryCode
from huiqi.standards.sme_size import MissingFigure, SizeClass, classify, is_listed, size_row, table_version

L, M, S, MI = SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL, SizeClass.MICRO
WAN = Decimal(10000)


def wan(x) -> Decimal:
    return Decimal(str(x)) * WAN


# The table of STANDARDS.md §4, written out independently of the data file:
# key → (a code in scope, {class: {figure: bound}}) with money in 万元.
EXPECTED = {
    "agriculture": ("0111", {L: {"Y": 20000}, M: {"Y": 500}, S: {"Y": 50}}),
    "industry": ("3011", {L: {"X": 1000, "Y": 40000}, M: {"X": 300, "Y": 2000}, S: {"X": 20, "Y": 300}}),
    "construction": ("4710", {L: {"Y": 80000, "Z": 80000}, M: {"Y": 6000, "Z": 5000}, S: {"Y": 300, "Z": 300}}),
    "wholesale": ("5193", {L: {"X": 200, "Y": 40000}, M: {"X": 20, "Y": 5000}, S: {"X": 5, "Y": 1000}}),
    "retail": ("5211", {L: {"X": 300, "Y": 20000}, M: {"X": 50, "Y": 500}, S: {"X": 10, "Y": 100}}),
    "transport": ("5431", {L: {"X": 1000, "Y": 30000}, M: {"X": 300, "Y": 3000}, S: {"X": 20, "Y": 200}}),
    "warehousing": ("5920", {L: {"X": 200, "Y": 30000}, M: {"X": 100, "Y": 1000}, S: {"X": 20, "Y": 100}}),
    "postal": ("6020", {L: {"X": 1000, "Y": 30000}, M: {"X": 300, "Y": 2000}, S: {"X": 20, "Y": 100}}),
    "accommodation": ("6110", {L: {"X": 300, "Y": 10000}, M: {"X": 100, "Y": 2000}, S: {"X": 10, "Y": 100}}),
    "catering": ("6210", {L: {"X": 300, "Y": 10000}, M: {"X": 100, "Y": 2000}, S: {"X": 10, "Y": 100}}),
    "information_transmission": (
        "6311",
        {L: {"X": 2000, "Y": 100000}, M: {"X": 100, "Y": 1000}, S: {"X": 10, "Y": 100}},
    ),
    "software_it": ("6513", {L: {"X": 300, "Y": 10000}, M: {"X": 100, "Y": 1000}, S: {"X": 10, "Y": 50}}),
    "real_estate_development": (
        "7010",
        {L: {"Y": 200000, "Z": 10000}, M: {"Y": 1000, "Z": 5000}, S: {"Y": 100, "Z": 2000}},
    ),
    "property_management": ("7020", {L: {"X": 1000, "Y": 5000}, M: {"X": 300, "Y": 1000}, S: {"X": 100, "Y": 500}}),
    "leasing_business_services": (
        "7212",
        {L: {"X": 300, "Z": 120000}, M: {"X": 100, "Z": 8000}, S: {"X": 10, "Z": 100}},
    ),
    "other": ("7310", {L: {"X": 300}, M: {"X": 100}, S: {"X": 10}}),
}
ARG = {"X": "employees", "Y": "revenue_yuan", "Z": "assets_yuan"}
BELOW = {L: M, M: S, S: MI}


def figures(bounds: dict[str, int]) -> dict[str, object]:
    """classify kwargs exactly at the given bounds (money converted from 万元)."""
    out: dict[str, object] = {"employees": None, "revenue_yuan": None, "assets_yuan": None}
    for k, v in bounds.items():
        out[ARG[k]] = v if k == "X" else wan(v)
    return out


def just_below(value):
    return value - 1 if isinstance(value, int) else value - Decimal("0.01")


def test_version():
    assert table_version() == "2017"


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_data_file_matches_the_reference_table(key):
    code, table = EXPECTED[key]
    row = size_row(code)
    assert row.key == key
    for cls, bounds in table.items():
        assert dict(row.bounds[cls]) == {ARG[k]: (v if k == "X" else wan(v)) for k, v in bounds.items()}


@pytest.mark.parametrize("key", sorted(EXPECTED))
@pytest.mark.parametrize("cls", [L, M, S])
def test_exactly_at_the_lower_bounds(key, cls):
    code, table = EXPECTED[key]
    assert classify(code, **figures(table[cls])) is cls


@pytest.mark.parametrize("key", sorted(EXPECTED))
@pytest.mark.parametrize("cls", [L, M, S])
def test_one_unit_below_any_bound_drops_one_class(key, cls):
    code, table = EXPECTED[key]
    for k in table[cls]:
        # the reference table is strictly increasing, so one unit below a bound still meets the class below
        if cls is not S:
            assert table[BELOW[cls]][k] < table[cls][k]
        kwargs = figures(table[cls])
        kwargs[ARG[k]] = just_below(kwargs[ARG[k]])
        assert classify(code, **kwargs) is BELOW[cls], (key, cls, k)


def test_brief_examples_industry():
    c = "3011"
    assert classify(c, employees=300, revenue_yuan=wan(2000), assets_yuan=None) is M
    assert classify(c, employees=299, revenue_yuan=wan(2000), assets_yuan=None) is S
    assert classify(c, employees=1000, revenue_yuan=wan(40000), assets_yuan=None) is L
    assert classify(c, employees=1000, revenue_yuan=wan("39999.99"), assets_yuan=None) is M
    assert classify(c, employees=19, revenue_yuan=wan(40000), assets_yuan=None) is MI


def test_all_bounds_needed():
    # Plenty of staff but little revenue: meets no class fully.
    assert classify("3011", employees=5000, revenue_yuan=wan(299), assets_yuan=None) is MI
    # Large on headcount, medium on revenue → medium.
    assert classify("5211", employees=400, revenue_yuan=wan(600), assets_yuan=None) is M
    # Construction: large revenue, small assets → small.
    assert classify("4710", employees=None, revenue_yuan=wan(90000), assets_yuan=wan(300)) is S


def test_examples_other_rows():
    assert classify("0111", employees=None, revenue_yuan=wan("49.99"), assets_yuan=None) is MI
    assert classify("6513", employees=10, revenue_yuan=wan(50), assets_yuan=None) is S
    assert classify("6513", employees=9, revenue_yuan=wan(50), assets_yuan=None) is MI
    assert classify("7310", employees=299, revenue_yuan=None, assets_yuan=None) is M
    assert classify("7010", employees=None, revenue_yuan=wan(200000), assets_yuan=wan("9999.99")) is M
    assert classify("7212", employees=300, revenue_yuan=None, assets_yuan=wan(120000)) is L


@pytest.mark.parametrize(
    "code,key",
    [
        ("0111", "agriculture"),
        ("0511", "agriculture"),
        ("0610", "industry"),
        ("1120", "industry"),
        ("4310", "industry"),
        ("4620", "industry"),
        ("B", "industry"),
        ("C", "industry"),
        ("E", "construction"),
        ("5030", "construction"),
        ("51", "wholesale"),
        ("52", "retail"),
        ("5411", "transport"),
        ("5511", "transport"),
        ("5612", "transport"),
        ("5720", "transport"),
        ("5821", "transport"),
        ("59", "warehousing"),
        ("6010", "postal"),
        ("6110", "accommodation"),
        ("6291", "catering"),
        ("6311", "information_transmission"),
        ("64", "information_transmission"),
        ("6432", "information_transmission"),
        ("65", "software_it"),
        ("7010", "real_estate_development"),
        ("702", "property_management"),
        ("L", "leasing_business_services"),
        ("7111", "leasing_business_services"),
        ("7030", "other"),
        ("7090", "other"),
        ("M", "other"),
        ("N", "other"),
        ("O", "other"),
        ("85", "other"),
        ("R", "other"),
        # not listed anywhere → 其他未列明 by reference
        ("5311", "other"),
        ("53", "other"),
        ("7040", "other"),
        ("6621", "other"),
        ("J", "other"),
        ("8310", "other"),
        ("8411", "other"),
        ("9221", "other"),
    ],
)
def test_row_mapping(code, key):
    assert size_row(code).key == key


@pytest.mark.parametrize("code,listed", [("5311", False), ("6621", False), ("7040", False), ("8411", False),
                                         ("7310", True), ("8521", True), ("7030", True), ("3011", True)])
def test_is_listed(code, listed):
    assert is_listed(code) is listed


@pytest.mark.parametrize("code", ["G", "70", "K", "F", "H", "I"])
def test_coarse_codes_spanning_rows_are_ambiguous(code):
    with pytest.raises(AmbiguousIndustryCode):
        classify(code, employees=10, revenue_yuan=wan(1), assets_yuan=wan(1))


def test_coarse_code_within_one_row_is_fine():
    # Q = 84 (falls to 其他未列明) + 85 (listed under 其他未列明): one row either way
    assert size_row("Q").key == "other" and not is_listed("Q")
    assert classify("Q", employees=100, revenue_yuan=None, assets_yuan=None) is M


def test_ambiguous_names_the_rows():
    with pytest.raises(AmbiguousIndustryCode) as ei:
        size_row("G")
    assert set(ei.value.answers) == {"other", "postal", "transport", "warehousing"}
    assert "'G'" in str(ei.value)


def test_unknown_code():
    with pytest.raises(UnknownIndustryCode, match="'9999'"):
        classify("9999", employees=1, revenue_yuan=None, assets_yuan=None)


@pytest.mark.parametrize(
    "code,kwargs,field",
    [
        ("3011", {"employees": 10, "revenue_yuan": None, "assets_yuan": None}, "revenue_yuan"),
        ("3011", {"employees": None, "revenue_yuan": wan(1), "assets_yuan": None}, "employees"),
        ("4710", {"employees": 10, "revenue_yuan": wan(1), "assets_yuan": None}, "assets_yuan"),
        ("7212", {"employees": 10, "revenue_yuan": wan(1), "assets_yuan": None}, "assets_yuan"),
        ("7310", {"employees": None, "revenue_yuan": wan(1), "assets_yuan": wan(1)}, "employees"),
        ("0111", {"employees": 10, "revenue_yuan": None, "assets_yuan": None}, "revenue_yuan"),
    ],
)
def test_missing_figure_is_named(code, kwargs, field):
    with pytest.raises(MissingFigure) as ei:
        classify(code, **kwargs)
    assert ei.value.field == field and field in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_figures_a_row_does_not_use_may_be_missing():
    assert classify("0111", employees=None, revenue_yuan=wan(500), assets_yuan=None) is M
    assert classify("7310", employees=10, revenue_yuan=None, assets_yuan=None) is S


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"employees": 10, "revenue_yuan": 2.5e7, "assets_yuan": None}, "revenue_yuan"),
        ({"employees": 10.0, "revenue_yuan": wan(1), "assets_yuan": None}, "employees"),
        ({"employees": True, "revenue_yuan": wan(1), "assets_yuan": None}, "employees"),
        ({"employees": -1, "revenue_yuan": wan(1), "assets_yuan": None}, "employees"),
        ({"employees": 10, "revenue_yuan": Decimal("NaN"), "assets_yuan": None}, "revenue_yuan"),
        ({"employees": 10, "revenue_yuan": wan(1), "assets_yuan": "100"}, "assets_yuan"),
    ],
)
def test_bad_figures_are_refused(kwargs, field):
    with pytest.raises(ValueError, match=field):
        classify("3011", **kwargs)


def test_int_yuan_is_accepted():
    assert classify("3011", employees=300, revenue_yuan=20_000_000, assets_yuan=None) is M


def test_size_class_order_and_names():
    assert MI < S < M < L and L >= M and not (S > M)
    assert sorted([L, MI, M, S]) == [MI, S, M, L]
    assert [c.name_zh for c in (L, M, S, MI)] == ["大型", "中型", "小型", "微型"]


# --- monotonicity -----------------------------------------------------------------------------------

CODES = [code for code, _ in EXPECTED.values()] + ["5311", "6621", "8411"]
money = st.integers(min_value=0, max_value=3_000_000 * 10**6).map(lambda fen: Decimal(fen) / 100)  # up to 30 亿
headcount = st.integers(min_value=0, max_value=5000)


@given(
    st.sampled_from(CODES),
    headcount,
    money,
    money,
    headcount,
    money,
    money,
)
def test_more_never_gives_a_smaller_class(code, x, y, z, dx, dy, dz):
    base = classify(code, employees=x, revenue_yuan=y, assets_yuan=z)
    assert classify(code, employees=x + dx, revenue_yuan=y, assets_yuan=z) >= base
    assert classify(code, employees=x, revenue_yuan=y + dy, assets_yuan=z) >= base
    assert classify(code, employees=x, revenue_yuan=y, assets_yuan=z + dz) >= base
    assert classify(code, employees=x + dx, revenue_yuan=y + dy, assets_yuan=z + dz) >= base
