"""统一社会信用代码: every test vector of STANDARDS.md §1, the error messages, and two properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.standards.uscc import (
    CHARSET,
    InvalidCreditCode,
    entity_type,
    is_valid_uscc,
    make_uscc,
    org_check_char,
    org_code_check_ok,
    registration_division,
    validate_uscc,
)

# Valid, and (per STANDARDS.md) passing the embedded org-code check as well.
VALID_BOTH_CHECKS = [
    "91110000600037341L",  # python-stdnum docstring and tests
    "121200004013590816",  # 事业单位, tests/test_cn_uscc.doctest
    "91310115MA1K3BTP2B",
    "9144030071526726XG",
    "92340602MA2PBMEM24",
]
# Valid; owners unverified.
VALID_OTHER = ["91530100MA6K3YXF8W", "91530100678728169X", "915300007194052520"]


@pytest.mark.parametrize("code", VALID_BOTH_CHECKS + VALID_OTHER)
def test_valid_vectors_pass(code):
    assert validate_uscc(code) == code
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", VALID_BOTH_CHECKS)
def test_vectors_pass_the_org_code_check(code):
    assert org_code_check_ok(code) is True


def test_normalises_case_and_whitespace():
    assert validate_uscc("  91310115ma1k3btp2b\n") == "91310115MA1K3BTP2B"


def test_bad_check_character_says_expected_and_got():
    with pytest.raises(InvalidCreditCode) as ei:
        validate_uscc("91110000600037341N")
    e = ei.value
    assert (e.reason, e.position, e.expected, e.got) == ("check", 18, "L", "N")
    assert "expected 'L' got 'N'" in str(e)
    assert "校验码" in str(e) and "第18位应为 'L'" in str(e)


def test_fake_from_a_code_corpus_is_rejected():
    with pytest.raises(InvalidCreditCode) as ei:
        validate_uscc("91530100678904567E")
    assert ei.value.reason == "check"
    assert ei.value.got == "E" and ei.value.expected != "E"


def test_forbidden_letters_name_the_position():
    with pytest.raises(InvalidCreditCode) as ei:
        validate_uscc("9111000060003IOZSV")
    e = ei.value
    assert (e.reason, e.position, e.got) == ("character", 14, "I")
    assert "position 14" in str(e) and "第14位" in str(e)
    assert "I, O, S, V and Z are never used" in str(e)


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_each_never_used_letter_is_forbidden(letter):
    code = "91110000600037341L"
    bad = code[:10] + letter + code[11:]
    with pytest.raises(InvalidCreditCode) as ei:
        validate_uscc(bad)
    assert ei.value.reason == "character" and ei.value.position == 11


def test_other_characters_are_forbidden_too():
    with pytest.raises(InvalidCreditCode) as ei:
        validate_uscc("91110000-00037341L")
    assert ei.value.reason == "character" and ei.value.position == 9


@pytest.mark.parametrize("code,length", [("91110000600037341", 17), ("91110000600037341LL", 19), ("", 0)])
def test_wrong_length(code, length):
    with pytest.raises(InvalidCreditCode) as ei:
        validate_uscc(code)
    assert ei.value.reason == "length"
    assert f"got {length}" in str(ei.value) and f"实际为{length}位" in str(ei.value)


def test_positions_3_to_8_must_be_digits():
    with pytest.raises(InvalidCreditCode) as ei:
        validate_uscc("9111A000600037341L")
    assert (ei.value.reason, ei.value.position) == ("region", 5)
    assert "positions 3–8" in str(ei.value) and "第3–8位" in str(ei.value)


def test_non_string_is_refused():
    with pytest.raises(InvalidCreditCode) as ei:
        validate_uscc(91110000600037341)  # type: ignore[arg-type]
    assert ei.value.reason == "type"
    assert not is_valid_uscc(None)


@pytest.mark.parametrize("prefix17", ["A1530100MA6K3YXF8", "N3530112MA6K3YXF8", "Y1530100MA6K3YXF8"])
def test_letter_prefixed_codes_are_accepted(prefix17):
    # python-stdnum would reject these: it wants positions 1-8 to be digits.
    code = make_uscc(prefix17)
    assert validate_uscc(code) == code


def test_failed_org_code_check_is_reported_not_rejected():
    good = "91110000600037341L"
    # position 17 changed from '1' to '2', position 18 recomputed
    code = make_uscc(good[:16] + "2")
    assert validate_uscc(code) == code
    assert org_code_check_ok(code) is False


def test_org_code_check_needs_a_valid_code():
    with pytest.raises(InvalidCreditCode):
        org_code_check_ok("91110000600037341N")


def test_org_check_char_maps_10_to_x_and_11_to_0():
    assert org_check_char("71526726") == "X"  # from 9144030071526726XG
    assert org_check_char("40135908") == "1"  # from 121200004013590816
    seen = {org_check_char(f"{n:08d}") for n in range(0, 400)}
    assert "X" in seen and "0" in seen


def test_make_uscc_known_vector():
    assert make_uscc("91110000600037341") == "91110000600037341L"
    assert make_uscc(" 9144030071526726x") == "9144030071526726XG"


def test_make_uscc_refuses_bad_prefixes():
    with pytest.raises(InvalidCreditCode) as ei:
        make_uscc("9111000060003734")
    assert ei.value.reason == "length" and "17" in str(ei.value)
    with pytest.raises(InvalidCreditCode):
        make_uscc("9111000060003734I")


@pytest.mark.parametrize(
    "code,zh,flag",
    [
        ("91110000600037341L", "企业", "is_enterprise"),
        ("92340602MA2PBMEM24", "个体工商户", "is_individual_business"),
        (make_uscc("93530100MA6K3YXF8"), "农民专业合作社", "is_farmers_cooperative"),
    ],
)
def test_entity_type_market_entities(code, zh, flag):
    et = entity_type(code)
    assert et.authority_zh == "工商" and et.type_zh == zh and et.listed
    assert et.is_market_entity and getattr(et, flag)


def test_entity_type_other_authorities():
    et = entity_type("121200004013590816")
    assert (et.authority, et.type, et.authority_zh, et.type_zh) == ("1", "2", "机构编制", "事业单位")
    assert not et.is_market_entity and not et.is_enterprise
    n = entity_type(make_uscc("N3530112MA6K3YXF8"))
    assert n.authority_zh == "农业" and n.type_zh == "乡镇级集体经济组织"


def test_entity_type_unlisted_pair_is_not_an_error():
    et = entity_type(make_uscc("95530100MA6K3YXF8"))
    assert et.authority_zh == "工商" and et.type_zh is None and not et.listed


def test_registration_division():
    assert registration_division("91530100MA6K3YXF8W") == "530100"


# --- properties -----------------------------------------------------------------------------------

_chars = st.sampled_from(CHARSET)
_digits = st.sampled_from("0123456789")
prefixes = st.tuples(
    st.text(_chars, min_size=2, max_size=2),
    st.text(_digits, min_size=6, max_size=6),
    st.text(_chars, min_size=9, max_size=9),
).map("".join)


@given(prefixes)
def test_make_uscc_always_validates(prefix):
    code = make_uscc(prefix)
    assert len(code) == 18 and code.startswith(prefix)
    assert validate_uscc(code) == code


@given(prefixes, st.integers(0, 17), _chars)
def test_any_single_substitution_is_detected(prefix, pos, ch):
    code = make_uscc(prefix)
    if code[pos] == ch:
        ch = CHARSET[(CHARSET.index(ch) + 1) % len(CHARSET)]
    altered = code[:pos] + ch + code[pos + 1 :]
    assert altered != code
    with pytest.raises(InvalidCreditCode) as ei:
        validate_uscc(altered)
    assert ei.value.reason in {"check", "region"}


@given(
    st.text(_chars, min_size=2, max_size=2),
    st.text(_digits, min_size=6, max_size=6),
    st.text(_chars, min_size=8, max_size=8),
)
def test_codes_built_with_org_check_char_pass_both_checks(head, region, body):
    code = make_uscc(head + region + body + org_check_char(body))
    assert org_code_check_ok(code)
