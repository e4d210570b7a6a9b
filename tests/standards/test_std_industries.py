"""GB/T 4754-2017: the tree against STANDARDS.md §2, the groupings, and the §3 above-scale thresholds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from huiqi.standards.industries import (
    AmbiguousIndustryCode,
    UnknownIndustryCode,
    above_scale_rule,
    above_scale_threshold,
    all_industries,
    children,
    classes_under,
    is_commerce,
    is_industrial,
    is_internet_or_software,
    lookup,
    section_of,
    validate_industry,
)

# STANDARDS.md §2: section → (name, first division, last division)
SECTIONS = {
    "A": ("农、林、牧、渔业", 1, 5),
    "B": ("采矿业", 6, 12),
    "C": ("制造业", 13, 43),
    "D": ("电力、热力、燃气及水生产和供应业", 44, 46),
    "E": ("建筑业", 47, 50),
    "F": ("批发和零售业", 51, 52),
    "G": ("交通运输、仓储和邮政业", 53, 60),
    "H": ("住宿和餐饮业", 61, 62),
    "I": ("信息传输、软件和信息技术服务业", 63, 65),
    "J": ("金融业", 66, 69),
    "K": ("房地产业", 70, 70),
    "L": ("租赁和商务服务业", 71, 72),
    "M": ("科学研究和技术服务业", 73, 75),
    "N": ("水利、环境和公共设施管理业", 76, 79),
    "O": ("居民服务、修理和其他服务业", 80, 82),
    "P": ("教育", 83, 83),
    "Q": ("卫生和社会工作", 84, 85),
    "R": ("文化、体育和娱乐业", 86, 90),
    "S": ("公共管理、社会保障和社会组织", 91, 96),
    "T": ("国际组织", 97, 97),
}

NAMED_DIVISIONS = {
    "05": "农、林、牧、渔专业及辅助性活动",
    "11": "开采专业及辅助性活动",
    "51": "批发业",
    "52": "零售业",
    "53": "铁路运输业",
    "59": "装卸搬运和仓储业",
    "60": "邮政业",
    "61": "住宿业",
    "62": "餐饮业",
    "64": "互联网和相关服务",
    "65": "软件和信息技术服务业",
    "84": "卫生",
    "85": "社会工作",
}

# Every class STANDARDS.md names, with its division.
NAMED_CLASSES = (
    ["7010", "7020", "7030", "7040", "7090"]
    + ["6410", "6421", "6422", "6429", "6431", "6432", "6433", "6434", "6439", "6440", "6450", "6490"]
    + ["6511", "6512", "6513", "6519", "6520", "6531", "6532", "6540", "6550", "6560"]
    + ["6571", "6572", "6579", "6591", "6599"]
)


def by_level(level):
    return [n for n in all_industries() if n.level == level]


def test_level_counts():
    assert len(by_level("section")) == 20
    assert len(by_level("division")) == 97
    assert len(by_level("group")) == 473
    # 1380 in the 2017 text, plus 5267 机动车充电销售 from the 2019 amendment, as in the source repo.
    assert len(by_level("class")) == 1381
    assert lookup("5267").name_zh == "机动车充电销售"


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_sections_and_their_division_ranges(section):
    name, lo, hi = SECTIONS[section]
    node = validate_industry(section)
    assert node.level == "section" and node.name_zh == name and node.parent is None
    assert [c.code for c in children(section)] == [f"{d:02d}" for d in range(lo, hi + 1)]


def test_divisions_are_exactly_01_to_97():
    assert sorted(n.code for n in by_level("division")) == [f"{d:02d}" for d in range(1, 98)]


@pytest.mark.parametrize("code,name", sorted(NAMED_DIVISIONS.items()))
def test_named_division_names(code, name):
    assert lookup(code).name_zh == name


@pytest.mark.parametrize("code", NAMED_CLASSES)
def test_every_named_class_exists(code):
    node = validate_industry(code)
    assert node.level == "class" and node.parent == code[:3] and node.division == code[:2]


def test_named_class_names():
    assert lookup("7010").name_zh == "房地产开发经营"
    assert lookup("7020").name_zh == "物业管理"
    assert lookup("6520").name_zh == "集成电路设计"
    assert lookup("6591").name_zh == "呼叫中心"
    assert lookup("3741").name_zh == "飞机制造"  # a group record in the source; a class in the standard


def test_tree_is_consistent():
    nodes = {n.code: n for n in all_industries()}
    for n in nodes.values():
        if n.level == "section":
            assert n.parent is None and n.section == n.code
            continue
        parent = nodes[n.parent]
        assert parent.section == n.section
        expected_parent = n.section if n.level == "division" else n.code[:-1]
        assert n.parent == expected_parent
        assert n.name_zh == n.name_zh.strip() and n.name_zh
    for g in by_level("group"):
        assert children(g.code), f"group {g.code} has no class"
    for d in by_level("division"):
        assert children(d.code), f"division {d.code} has no group"


def test_single_class_groups_are_synthesised_with_the_class_name():
    assert lookup("019").name_zh == lookup("0190").name_zh == "其他农业"
    assert lookup("061").level == "group" and lookup("0610").parent == "061"


def test_lookup_normalises_and_returns_none():
    assert lookup(" 6513 ").code == "6513"
    assert lookup("c").code == "C"
    assert lookup("99") is None
    assert lookup("0000") is None
    assert lookup("U") is None
    assert lookup("65131") is None
    assert lookup(6513) is None  # type: ignore[arg-type]


def test_validate_industry_names_the_code():
    with pytest.raises(UnknownIndustryCode) as ei:
        validate_industry("9999")
    msg = str(ei.value)
    assert "'9999'" in msg and "unknown" in msg and "没有行业代码" in msg
    assert ei.value.code == "9999"
    with pytest.raises(UnknownIndustryCode) as ei:
        validate_industry("65-13")
    assert "'65-13'" in str(ei.value) and "malformed" in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_section_of():
    assert section_of("6513") == "I"
    assert section_of("05") == "A"
    assert section_of("H") == "H"
    with pytest.raises(UnknownIndustryCode):
        section_of("98")


def test_classes_under():
    assert [n.code for n in classes_under("702")] == ["7020"]
    assert [n.code for n in classes_under("6513")] == ["6513"]
    assert len(classes_under("70")) == 5


@pytest.mark.parametrize("code", ["B", "C", "D", "06", "0610", "1120", "4310", "3011", "4620", "46"])
def test_is_industrial(code):
    assert is_industrial(code)


@pytest.mark.parametrize("code", ["A", "0511", "4710", "E", "5211", "6513"])
def test_is_not_industrial(code):
    assert not is_industrial(code)


@pytest.mark.parametrize("code", ["64", "65", "6410", "6432", "6513", "6520", "657", "6599"])
def test_is_internet_or_software(code):
    assert is_internet_or_software(code)


@pytest.mark.parametrize("code", ["I", "63", "6311", "5292", "3911", "7251"])
def test_is_not_internet_or_software(code):
    assert not is_internet_or_software(code)


@pytest.mark.parametrize("code", ["F", "H", "51", "52", "61", "62", "5193", "5211", "5292", "6110", "6291"])
def test_is_commerce(code):
    assert is_commerce(code)


@pytest.mark.parametrize("code", ["G", "5910", "6020", "7223", "C"])
def test_is_not_commerce(code):
    assert not is_commerce(code)


def test_groupings_refuse_unknown_codes():
    for fn in (is_industrial, is_internet_or_software, is_commerce):
        with pytest.raises(UnknownIndustryCode):
            fn("9999")


# --- above-scale thresholds (STANDARDS.md §3) ----------------------------------------------------

WAN = Decimal(10000)


@pytest.mark.parametrize(
    "code,category,wan",
    [
        ("0610", "规上工业", 2000),
        ("3011", "规上工业", 2000),
        ("4411", "规上工业", 2000),
        ("C", "规上工业", 2000),
        ("5193", "限上批发业", 2000),
        ("5211", "限上零售业", 500),
        ("5292", "限上零售业", 500),
        ("6110", "限上住宿业", 200),
        ("6210", "限上餐饮业", 200),
        ("6291", "限上餐饮业", 200),
        ("5311", "规上服务业", 2000),  # G
        ("5910", "规上服务业", 2000),
        ("6020", "规上服务业", 2000),
        ("6311", "规上服务业", 2000),  # I
        ("6513", "规上服务业", 2000),
        ("7820", "规上服务业", 2000),  # N
        ("8411", "规上服务业", 2000),  # 84
        ("G", "规上服务业", 2000),
        ("7020", "规上服务业", 1000),
        ("7030", "规上服务业", 1000),
        ("7040", "规上服务业", 1000),
        ("7090", "规上服务业", 1000),
        ("7212", "规上服务业", 1000),  # L
        ("7310", "规上服务业", 1000),  # M
        ("8310", "规上服务业", 1000),  # P
        ("8010", "规上服务业", 500),  # O
        ("8610", "规上服务业", 500),  # R
        ("8521", "规上服务业", 500),  # 85
    ],
)
def test_above_scale_thresholds(code, category, wan):
    cat, yuan = above_scale_threshold(code)
    assert cat == category
    assert yuan == Decimal(wan) * WAN and isinstance(yuan, Decimal)


def test_services_tiers():
    assert above_scale_rule("6513").tier == 1
    assert above_scale_rule("7212").tier == 2
    assert above_scale_rule("8010").tier == 3


@pytest.mark.parametrize(
    "code,key", [("4710", "construction"), ("E", "construction"), ("7010", "real_estate_development")]
)
def test_no_revenue_test_gives_none_with_a_reason(code, key):
    assert above_scale_threshold(code) is None
    rule = above_scale_rule(code)
    assert rule.key == key and rule.threshold_yuan is None
    assert rule.reason_zh and rule.reason_en
    with pytest.raises(ValueError, match="no revenue test"):
        rule.is_above(Decimal("1e12"))


@pytest.mark.parametrize("code", ["0111", "A", "6621", "J", "9221", "9700"])
def test_codes_outside_every_category(code):
    assert above_scale_rule(code) is None
    assert above_scale_threshold(code) is None


@pytest.mark.parametrize("code", ["70", "K", "Q", "F", "H"])
def test_coarse_codes_spanning_categories_are_ambiguous(code):
    with pytest.raises(AmbiguousIndustryCode) as ei:
        above_scale_rule(code)
    assert repr(code) in str(ei.value) and len(ei.value.answers) > 1


def test_is_above_is_inclusive():
    rule = above_scale_rule("3011")
    assert rule.is_above(Decimal("20000000"))
    assert not rule.is_above(Decimal("19999999.99"))
    retail = above_scale_rule("5211")
    assert retail.is_above(5_000_000) and not retail.is_above(Decimal("4999999.99"))
    with pytest.raises(ValueError, match="revenue_yuan"):
        rule.is_above(2.5e7)  # type: ignore[arg-type]
