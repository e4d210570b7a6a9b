"""Every refusal is worded by the one catalogue: no pydantic English reaches a person, and the field is named
by the words of its question (issue 12, item 1)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from huiqi import messages
from huiqi.api.app import create_app
from huiqi.errors import HuiqiError, field_problems

GOOD = {"kind": "enterprise", "name": "示例科技有限公司", "credit_code": "91530100MA6K3YXF8W"}

# (what is wrong, the profile, the dotted path, words the Chinese message must contain)
BAD = [
    ("impossible date", {"compute_claims": [{"date": "2024-02-30", "category": "compute_rental", "spend": "1000"}]},
     "body.profile.compute_claims.0.date", ["算力支出", "第1项", "支出日期", "日期无效"]),
    ("not a number", {"compute_claims": [{"date": "2024-02-01", "category": "compute_rental", "spend": "一千"}]},
     "body.profile.compute_claims.0.spend", ["实际支出", "请输入数字"]),
    ("sub-fen", {"compute_claims": [{"date": "2024-02-01", "category": "compute_rental", "spend": "10.001"}]},
     "body.profile.compute_claims.0.spend", ["实际支出", "分"]),
    ("negative", {"vehicles": [{"date": "2024-02-01", "price_incl_vat": "-1", "new_energy": True}]},
     "body.profile.vehicles.0.price_incl_vat", ["购车", "含税价", "负数"]),
    ("unknown choice", {"compute_claims": [{"date": "2024-02-01", "category": "gpu", "spend": "1"}]},
     "body.profile.compute_claims.0.category", ["支出类别", "租赁算力"]),
    ("not yes or no", {"vehicles": [{"date": "2024-02-01", "price_incl_vat": "1", "new_energy": "maybe"}]},
     "body.profile.vehicles.0.new_energy", ["新能源汽车", "是", "否"]),
    ("below zero", {"employees": -1}, "body.profile.employees", ["从业人员数", "不能小于0"]),
    ("unknown field", {"colour": "red"}, "body.profile.colour", ["「colour」", "不是可接受的字段"]),
    ("empty name", {"name": ""}, "body.profile.name", ["名称：必填"]),
    ("missing", {"kind": None}, "body.profile.kind", ["申请人类型"]),
    ("check character", {"credit_code": "91530100MA6K3YXF8X"}, "body.profile.credit_code", ["统一社会信用代码", "校验码"]),
    ("too long", {"name": "企" * 201}, "body.profile.name", ["名称", "最多200个字符"]),
]

PYDANTIC_ENGLISH = re.compile(r"Input should|Value error|Field required|String should|Extra inputs|Assertion failed")


def _no_english(text: str) -> list[str]:
    """ASCII words of three letters or more in a Chinese message (echoed values such as a credit code excepted)."""
    text = re.sub(r"「[^」]*」|'[^']*'", "", text)  # what the sender typed, quoted back
    return [w for w in re.findall(r"[A-Za-z_]{3,}", text)]


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


@pytest.mark.parametrize("what,change,path,words", BAD, ids=[b[0] for b in BAD])
def test_api_refusal_is_worded_in_chinese_naming_the_field(client, what, change, path, words):
    profile = {**GOOD, **change}
    if profile.get("kind") is None:
        profile.pop("kind")
    r = client.post("/api/v1/evaluate", json={"profile": profile, "as_of": "2024-06-30"})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    detail = next(d for d in err["details"] if d["field"] == path)
    zh, en = detail["message_zh"], detail["message_en"]
    for word in words:
        assert word in zh, (word, zh)
    assert not _no_english(zh), zh
    assert not PYDANTIC_ENGLISH.search(zh) and not PYDANTIC_ENGLISH.search(en), (zh, en)
    assert not re.search(r"[\u4e00-\u9fff]", en.replace(profile.get("name", ""), "")), en
    assert err["field"] == err["details"][0]["field"] and err["message_zh"].startswith("请求参数有误")


def test_every_code_has_both_languages():
    from huiqi import errors

    for code in set(errors._CODES.values()) | {"field.invalid", "field.choice_any", "field.pattern_id"}:
        zh, en = messages.MESSAGES[code]
        assert zh and en and zh != en or "{reason}" in zh, code


def test_the_error_object_formats_the_same_everywhere():
    messages.add({"test.sample": ("第{n}项有误", "item {n} is wrong")})
    e = HuiqiError("test.sample", field="items.2", status=409, n=3)
    assert e.as_dict() == {"code": "test.sample", "message_zh": "第3项有误", "message_en": "item 3 is wrong", "field": "items.2"}
    assert e.status == 409 and str(e) == "item 3 is wrong"


def test_field_problems_word_a_model_error_without_a_request():
    from pydantic import ValidationError

    from huiqi.profile.model import Profile

    with pytest.raises(ValidationError) as caught:
        Profile.model_validate({**GOOD, "other_support": [{"provision": "m07.x", "level": "city", "amount": "1"}]})
    (problem,) = field_problems(caught.value.errors())
    assert problem.path == "other_support.0.level"
    assert problem.message("zh").startswith("已获其他同类支持第1项 · 级别：请从以下选项中选择：国家级、省级、市级")
    assert "national, provincial, municipal" in problem.message("en")
