"""The one strict money parser (issue 13, item 5): what it accepts, what it refuses and why, and that no input
makes it raise anything but its own refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.parse.money import MAX_FEN, MoneyError, fen_value, yuan_to_fen
from huiqi.web.pages_review import _Invalid, _parse_amount


@pytest.mark.parametrize("text, fen", [
    ("1000", 100000), ("1000.5", 100050), ("1000.50", 100050), ("1,234,567.89", 123456789), ("¥1,000", 100000),
    ("￥ 1000", 100000), (" 100 ", 10000), ("１２３４．５０", 123450), ("１，０００", 100000), (".5", 50), ("0", 0),
    (Decimal("12.30"), 1230), (7, 700), ("999999999999.99", 99999999999999),
])
def test_accepted(text, fen):
    assert yuan_to_fen(text, "amount") == fen


@pytest.mark.parametrize("value, code", [
    ("1e3", "money.exponent"), ("1E3", "money.exponent"), ("1e999999", "money.exponent"), ("1e30", "money.exponent"),
    ("1_000", "money.underscore"), ("1,00", "money.separator"), ("12,3456", "money.separator"),
    ("0.001", "money.decimals"), ("0.30000000000000004", "money.decimals"), ("-1", "money.negative"),
    ("9" * 20, "money.too_large"), ("9" * 40, "money.too_large"), ("1000000000000.01", "money.too_large"),
    (True, "money.bool"), (1000.0, "money.format"), ("inf", "money.format"), ("NaN", "money.format"),
    ("abc", "money.format"), ("", "money.empty"), ("  ", "money.empty"), (Decimal("NaN"), "money.format"),
    ("1.2.3", "money.format"), ("十万", "money.format"), (None, "money.format"),
])
def test_refused_with_its_reason_naming_the_field(value, code):
    with pytest.raises(MoneyError) as e:
        yuan_to_fen(value, "total_investment")
    assert e.value.code == code and e.value.field == "total_investment" and e.value.status == 422
    assert e.value.message("zh") != code and e.value.message("en") != code  # worded in the catalogue


def test_spreadsheet_floats_are_read_by_their_shortest_text():
    assert yuan_to_fen(1500.5, "x", cell=True) == 150050 and yuan_to_fen(0.1, "x", cell=True) == 10
    for bad in (0.30000000000000004, 1e30, float("nan"), float("inf")):
        with pytest.raises(MoneyError):
            yuan_to_fen(bad, "x", cell=True)


@pytest.mark.parametrize("value, code", [(True, "money.bool"), (False, "money.bool"), (1000.0, "money.float_fen"),
                                         (1e3, "money.float_fen"), ("1000", "money.text_fen"), (" 100 ", "money.text_fen"),
                                         (0, "money.zero"), (-5, "money.negative"), (MAX_FEN + 1, "money.too_large"),
                                         (10**40, "money.too_large")])
def test_fen_is_a_json_integer_and_nothing_else(value, code):
    with pytest.raises(MoneyError) as e:
        fen_value(value, "amount_fen")
    assert e.value.code == code
    assert fen_value(1, "amount_fen") == 1 and fen_value(MAX_FEN, "amount_fen") == MAX_FEN


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.text(alphabet="0123456789,._eE+-¥￥ １２３．，", max_size=30),
                 st.integers(), st.floats(allow_nan=True), st.decimals(allow_nan=True), st.booleans(), st.none()))
def test_never_anything_but_a_refusal(value):
    try:
        fen = yuan_to_fen(value, "amount", cell=True)
    except MoneyError as e:
        assert e.field == "amount" and e.message("zh") and e.message("en")
        return
    assert isinstance(fen, int) and 0 <= fen <= MAX_FEN


@given(st.integers(0, MAX_FEN))
def test_formatted_amounts_read_back_exactly(fen):
    from huiqi.money import format_fen

    assert yuan_to_fen(format_fen(fen), "amount") == fen
    assert yuan_to_fen(f"{fen // 100}.{fen % 100:02d}", "amount") == fen


@pytest.mark.parametrize("raw, ok", [("90000.00", 9000000), ("90,000", 9000000), ("９００００", 9000000), ("1e3", None),
                                     ("9" * 40, None), ("1e999999", None), ("0", None), ("-5", None), ("0.001", None), ("", None),
                                     ("1_000", None)])
def test_the_review_pages_amount_goes_through_the_same_parser(raw, ok):
    if ok is not None:
        assert _parse_amount(raw, "zh") == ok
        return
    with pytest.raises(_Invalid) as e:
        _parse_amount(raw, "zh")
    assert e.value.message.startswith("批准金额（元）：") and len(e.value.message) > len("批准金额（元）：")
    if raw in ("0", "-5"):
        assert "须大于零" in e.value.message


@pytest.mark.parametrize("spend, ok", [("1000.50", Decimal("1000.50")), ("1,000.50", Decimal("1000.50")),
                                       ("１０００", Decimal("1000")), (1000, Decimal("1000")), ("1e3", None),
                                       ("1_000", None), (1000.5, None), (True, None), ("1,00", None)])
def test_profile_money_takes_the_same_forms(spend, ok):
    import pydantic

    from huiqi.errors import field_problems
    from huiqi.profile.model import Profile

    body = {"kind": "individual", "name": "x", "compute_claims": [{"date": "2024-05-01", "category": "model_service",
                                                                   "spend": spend}]}
    if ok is not None:
        assert Profile.model_validate(body).compute_claims[0].spend == ok
        return
    with pytest.raises(pydantic.ValidationError) as e:
        Profile.model_validate(body)
    [problem] = field_problems(e.value.errors())
    assert problem.message("zh").startswith("算力支出") and "spend" not in problem.message("zh")


@pytest.mark.parametrize("value", ["1e30", "9" * 20, "0.30000000000000004", "1_000", True, 1e30])
def test_project_and_list_amounts_are_refused_naming_the_field(value):
    from huiqi.delivery import DeliveryError
    from huiqi.delivery.fields import money_fen

    with pytest.raises(DeliveryError) as e:
        money_fen("total_investment", value)
    assert e.value.field == "total_investment" and " / " in e.value.message


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_format_fen_is_the_decimal_wording(fen):
    """format_fen words fen in integer arithmetic: the same text as the Decimal yuan it stands for."""
    from huiqi.money import fen_to_yuan, format_fen, format_yuan

    assert format_fen(fen) == format_yuan(fen_to_yuan(fen))


def test_format_fen_edges():
    from huiqi.money import format_fen

    assert [format_fen(f) for f in (0, 1, -1, 99, 100, -100, 123456789)] == [
        "¥0.00", "¥0.01", "¥-0.01", "¥0.99", "¥1.00", "¥-1.00", "¥1,234,567.89"]
