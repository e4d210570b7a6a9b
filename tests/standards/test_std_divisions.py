"""Kunming divisions (STANDARDS.md §5): the 15 codes, historical aliases, zones, and 主城四区."""

from __future__ import annotations

import datetime as dt

import pytest

from huiqi.standards.divisions import (
    UnknownDistrictCode,
    county_of,
    current_district,
    districts,
    in_kunming_jurisdiction,
    is_main_urban,
    lookup_district,
    special_zone,
    special_zones_for,
    validate_district,
)

TABLE = {
    "530100": ("昆明市", "地级市"),
    "530102": ("五华区", "区"),
    "530103": ("盘龙区", "区"),
    "530111": ("官渡区", "区"),
    "530112": ("西山区", "区"),
    "530113": ("东川区", "区"),
    "530114": ("呈贡区", "区"),
    "530115": ("晋宁区", "区"),
    "530124": ("富民县", "县"),
    "530125": ("宜良县", "县"),
    "530126": ("石林彝族自治县", "自治县"),
    "530127": ("嵩明县", "县"),
    "530128": ("禄劝彝族苗族自治县", "自治县"),
    "530129": ("寻甸回族彝族自治县", "自治县"),
    "530181": ("安宁市", "县级市"),
}
MAIN_FOUR = {"530102", "530103", "530111", "530112"}


@pytest.mark.parametrize("code", sorted(TABLE))
def test_the_fifteen_codes(code):
    d = validate_district(code)
    assert (d.name_zh, d.kind) == TABLE[code]
    assert not d.historical
    assert d.main_urban == (code in MAIN_FOUR)
    if code != "530100":
        assert d.level == "county" and d.parent == "530100"


def test_layout_is_7_districts_1_city_6_counties():
    counties = [d for d in districts() if d.level == "county"]
    kinds = [d.kind for d in counties]
    assert len(counties) == 14
    assert kinds.count("区") == 7 and kinds.count("县级市") == 1
    assert kinds.count("县") + kinds.count("自治县") == 6
    assert {d.code for d in districts()} == set(TABLE)


def test_main_urban_is_exactly_the_four():
    assert {c for c in TABLE if is_main_urban(c)} == MAIN_FOUR
    assert not is_main_urban("530100")  # the city as a whole
    assert not is_main_urban("530114")  # 呈贡: 五城区, not 主城四区


@pytest.mark.parametrize(
    "code,name,parent,main_urban",
    [
        ("530102401", "昆明国家高新技术产业开发区", "530102", True),
        ("530111402", "昆明经济技术开发区", "530111", True),
        ("530127401", "嵩明杨林经济技术开发区", "530127", False),
        ("530127403", "云南省花卉示范园区", "530127", False),
        ("530128401", "禄劝工业园区", "530128", False),
        ("530129405", "昆明倘甸产业园区轿子山旅游开发区", "530129", False),
    ],
)
def test_township_level_zones(code, name, parent, main_urban):
    d = validate_district(code)
    assert (d.name_zh, d.parent, d.level) == (name, parent, "township")
    assert is_main_urban(code) is main_urban
    assert county_of(code).code == parent


def test_zone_short_names():
    assert validate_district("530102401").short_zh == "高新区"
    assert validate_district("530111402").short_zh == "经开区"


def test_mohan_is_kunming_without_a_5301_code():
    d = validate_district("532823105")
    assert not d.code.startswith("5301")
    assert d.parent == "532823" and "勐腊县" in d.parent_name_zh
    assert d.trusteeship_from == dt.date(2022, 4, 28)
    assert in_kunming_jurisdiction("532823105")
    assert not is_main_urban("532823105")
    assert county_of("532823105") is None
    with pytest.raises(UnknownDistrictCode):
        validate_district("532823")  # 勐腊县 itself is not Kunming's


@pytest.mark.parametrize("old,new,new_name", [("530122", "530115", "晋宁区"), ("530121", "530114", "呈贡区")])
def test_historical_aliases(old, new, new_name):
    d = validate_district(old)
    assert d.historical and d.successor == new and d.kind == "县"
    assert current_district(old).code == new and current_district(old).name_zh == new_name
    assert county_of(old).code == new
    assert not is_main_urban(old)
    assert old not in {x.code for x in districts()}
    assert old in {x.code for x in districts(include_historical=True)}


@pytest.mark.parametrize("code", ["530199", "530000", "110101", "530102499", "530116"])
def test_unknown_codes_are_named(code):
    with pytest.raises(UnknownDistrictCode) as ei:
        validate_district(code)
    assert repr(code) in str(ei.value)
    assert ei.value.code == code
    assert lookup_district(code) is None and not in_kunming_jurisdiction(code)


@pytest.mark.parametrize("code", ["5301", "5301020", "530102401000", "53010a", "", None, 530102])
def test_malformed_codes(code):
    with pytest.raises(UnknownDistrictCode) as ei:
        validate_district(code)
    assert "malformed" in str(ei.value) and "格式不正确" in str(ei.value)


def test_surrounding_spaces_are_ignored():
    assert validate_district(" 530112 ").name_zh == "西山区"


def test_unknown_code_error_is_a_value_error():
    assert issubclass(UnknownDistrictCode, ValueError)
    with pytest.raises(ValueError):
        is_main_urban("530199")


def test_dianzhong_new_area_is_a_set_of_counties():
    z = special_zone("dianzhong")
    assert set(z.counties) == {"530181", "530127", "530111"}
    assert z.partial and z.area_km2 == 482 and "141" in z.basis
    assert z in special_zones_for("530181")
    assert z in special_zones_for("530111402")  # 经开区 is in 官渡区
    assert special_zones_for("530102") == ()
    assert special_zones_for("532823105") == ()


def test_ftz_kunming_has_no_code():
    z = special_zone("ftz_kunming")
    assert z.area_km2 == 76 and z.counties == ()
    with pytest.raises(KeyError, match="no special zone"):
        special_zone("nope")


def test_counts_with_zones():
    assert len(districts(include_zones=True)) == 15 + 7
    assert len(districts(include_historical=True, include_zones=True)) == 15 + 2 + 7
