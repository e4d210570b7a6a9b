"""One error shape for the whole platform: a code, the field at fault and the figures of the message.

A :class:`HuiqiError` is what every layer raises for a person's mistake; its words come from the message
catalogue (:mod:`huiqi.messages`) in Chinese and English, so the CLI, the API and the pages all format the
same object. :func:`field_problems` turns a pydantic ``ValidationError`` into such errors: pydantic's English
("Input should be a valid date or datetime", "Value error, …") never reaches a person, and the field is named
by the words of the question that asks it (「算力支出第1项 · 实际支出（元）」), not by its variable name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from huiqi import messages


class HuiqiError(Exception):
    """A person's mistake or a refused request. ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, code: str, field: str | None = None, status: int | None = None, **params: Any):
        self.code, self.field, self.params = code, field, params
        if status is not None:
            self.status = status
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        return messages.text(self.code, lang, **self.params)

    def as_dict(self) -> dict[str, Any]:
        """The API's error body: code, both languages and the field."""
        out: dict[str, Any] = {"code": self.code, "message_zh": self.message("zh"), "message_en": self.message("en")}
        if self.field:
            out["field"] = self.field
        return out


@dataclass(frozen=True)
class FieldProblem:
    """One field's problem: its dotted path (for programs), its words (for people) and the reason's code."""

    path: str
    code: str
    label_zh: str
    label_en: str
    params: dict[str, Any] = field(default_factory=dict)

    def reason(self, lang: str = "zh") -> str:
        """What is wrong, without the field's name (a form shows it beside the field)."""
        values = dict(self.params)
        if "reason_zh" in values:
            values["reason"] = values.pop("reason_zh") if lang == "zh" else values.pop("reason_en")
            values.pop("reason_en", None)
        return messages.text(self.code, lang, **values)

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def message(self, lang: str = "zh") -> str:
        label, reason = self.label(lang), self.reason(lang)
        if not label or reason.startswith(label):  # 「统一社会信用代码校验码错误」 names its field already
            return reason
        return f"{label}{'：' if lang == 'zh' else ': '}{reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.path, "code": self.code, "message_zh": self.message("zh"), "message_en": self.message("en"),
                "message": self.message("zh")}


messages.add({
    "field.required": ("必填", "required"),
    "field.date": ("日期无效（格式如 2025-05-10，且须是真实存在的日期）", "not a valid date (like 2025-05-10, and a day that exists)"),
    "field.number": ("请输入数字（金额以元为单位，最多两位小数）", "enter a number (amounts in yuan, at most two decimals)"),
    "field.decimals": ("最多{limit}位小数", "at most {limit} decimal place(s)"),
    "field.integer": ("请输入整数", "enter a whole number"),
    "field.finite": ("须是有限的数字", "must be a finite number"),
    "field.at_least": ("不能小于{limit}", "must be at least {limit}"),
    "field.above": ("须大于{limit}", "must be more than {limit}"),
    "field.at_most": ("不能大于{limit}", "must be at most {limit}"),
    "field.below": ("须小于{limit}", "must be less than {limit}"),
    "field.choice": ("请从以下选项中选择：{choices}", "choose one of: {choices}"),
    "field.choice_any": ("请选择一项", "choose one"),
    "field.bool": ("请填“是”或“否”", "answer yes or no"),
    "field.text": ("请填写文字", "enter text"),
    "field.too_long": ("内容过长（最多{limit}个字符）", "too long (at most {limit} characters)"),
    "field.too_short": ("内容过短（至少{limit}个字符）", "too short (at least {limit} characters)"),
    "field.too_many": ("条目过多（最多{limit}项）", "too many items (at most {limit})"),
    "field.too_few": ("条目过少（至少{limit}项）", "too few items (at least {limit})"),
    "field.pattern": ("格式不符", "wrong format"),
    "field.pattern_id": ("编号只能含字母、数字、-、_、.", "letters, digits, - _ . only"),
    "field.list": ("应为若干条目组成的列表", "must be a list of items"),
    "field.object": ("应为由字段组成的对象", "must be an object of fields"),
    "field.unknown": ("不是可接受的字段，请删除", "is not an accepted field; remove it"),
    "field.json": ("不是有效的 JSON", "not valid JSON"),
    "field.value": ("{reason}", "{reason}"),
    "field.invalid": ("取值无效", "not a valid value"),
    "request.invalid": ("请求参数有误，请更正：{first}", "The request has a mistake; please correct: {first}"),
})

# pydantic's error type -> our code (the parameters come from the error's context)
_CODES: dict[str, str] = {
    "missing": "field.required", "string_too_short": "field.too_short", "string_too_long": "field.too_long",
    "string_type": "field.text", "string_pattern_mismatch": "field.pattern", "string_unicode": "field.text",
    "decimal_parsing": "field.number", "decimal_type": "field.number", "float_parsing": "field.number",
    "float_type": "field.number", "decimal_max_places": "field.decimals", "decimal_max_digits": "field.number",
    "decimal_whole_digits": "field.number", "finite_number": "field.finite",
    "int_parsing": "field.integer", "int_type": "field.integer", "int_from_float": "field.integer",
    "int_parsing_size": "field.integer",
    "greater_than_equal": "field.at_least", "greater_than": "field.above", "less_than_equal": "field.at_most",
    "less_than": "field.below",
    "literal_error": "field.choice", "enum": "field.choice", "bool_parsing": "field.bool", "bool_type": "field.bool",
    "too_long": "field.too_many", "too_short": "field.too_few", "list_type": "field.list",
    "model_type": "field.object", "dict_type": "field.object", "model_attributes_type": "field.object",
    "extra_forbidden": "field.unknown", "json_invalid": "field.json", "json_type": "field.json",
    "value_error": "field.value", "assertion_error": "field.value",
}
_LIMIT_KEYS = ("ge", "gt", "le", "lt", "max_length", "min_length", "decimal_places")

# words for request fields that are not profile facts
_REQUEST_FIELDS: dict[str, tuple[str, str]] = {
    "as_of": ("计算日期", "evaluation date"), "strategy": ("就高不重复策略", "overlap strategy"),
    "policy": ("政策编号", "policy"), "profile": ("", ""),
    "other_support": ("已获其他同类支持", "support already received"),
    "provision": ("条款", "provision"), "level": ("级别", "level"), "amount": ("金额", "amount"),
    "amount_fen": ("核定金额（分）", "approved amount (fen)"),
    "event_id": ("对应事项编号", "item id"),
}


def split_bilingual(message: str) -> tuple[str, str]:
    """A ``"中文 / English"`` (or ``"English / 中文"``) message as its two halves; one without Chinese is both."""
    zh, en = _split(message)
    return (zh if zh != "取值无效" else en), en


def _split(message: str) -> tuple[str, str]:
    """A ``"中文 / English"`` message (the model's own validators) as its two halves."""
    text = str(message).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = re.sub(r"^[a-z_]+: ", "", text)  # 'credit_code: …' — the field is named by the label instead
    parts = [p.strip() for p in text.split(" / ")]
    zh = [p for p in parts if re.search(r"[\u4e00-\u9fff]", p)]
    en = [p for p in parts if not re.search(r"[\u4e00-\u9fff]", p)]
    return (" / ".join(zh) or "取值无效"), (" / ".join(en) or " / ".join(parts))


_LEVELS = {"national": ("国家级", "national"), "provincial": ("省级", "provincial"), "municipal": ("市级", "municipal"),
           "district": ("县（市、区）级", "district")}


def _choices(expected: str, lang: str) -> str:
    from huiqi.profile.questions import fact_value

    values = re.findall(r"'([^']*)'", expected or "")
    sep = "、" if lang == "zh" else ", "
    words = [fact_value(v, lang) or (_LEVELS[v][0 if lang == "zh" else 1] if v in _LEVELS else v) for v in values]
    return sep.join(words)


def field_label(loc: Iterable[Any], lang: str = "zh") -> str:
    """The words for a field path such as ``("body", "profile", "compute_claims", 0, "spend")``."""
    from huiqi.profile import questions

    parts: list[str] = []
    in_event = False
    family = None
    loc = tuple(loc)
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):  # where FastAPI found it
        loc = loc[1:]
    for item in loc:
        if isinstance(item, int):
            if parts:
                parts[-1] += f"第{item + 1}项" if lang == "zh" else f" no. {item + 1}"
            continue
        name = str(item)
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):  # a union or validator tag pydantic puts in the path
            continue
        found = questions.family_named(name)  # a core kind or a policy's own (its events.yaml)
        if found is not None:
            family = found
            parts.append(family.zh if lang == "zh" else family.en)
            in_event = True
            continue
        dates = getattr(questions, "DATE_Q", {})
        if in_event and name == "date" and family is not None and (family.name in dates or family.date_zh != "日期"):
            parts.append(dates.get(family.name, (family.date_zh, family.date_en))[0 if lang == "zh" else 1])
            continue
        if name in _REQUEST_FIELDS and family is None:
            words = _REQUEST_FIELDS[name]
            if name == "other_support":
                in_event = True
        else:
            key = ("event." if in_event else "entity.") + name
            if questions.fact_label(key, "zh") == name:  # no words for it (a field the sender made up): quote it
                words = (f"「{name}」", f"'{name}'")
            else:
                words = (questions.fact_label(key, "zh"), questions.fact_label(key, "en"))
        word = words[0] if lang == "zh" else words[1]
        if word:
            parts.append(word)
    return (" · " if lang == "zh" else " › ").join(parts)


def field_problems(errors: list[dict[str, Any]]) -> list[FieldProblem]:
    """pydantic's ``exc.errors()`` as problems worded in the catalogue's Chinese and English."""
    out: list[FieldProblem] = []
    for e in errors:
        loc = tuple(e.get("loc", ()))
        kind = e.get("type", "")
        code = _CODES.get(kind)
        if code is None:
            code = "field.date" if kind.startswith(("date", "datetime")) else "field.invalid"
        ctx = e.get("ctx") or {}
        params: dict[str, Any] = {}
        for key in _LIMIT_KEYS:
            if key in ctx:
                params["limit"] = ctx[key]
        if code == "field.choice":
            expected = str(ctx.get("expected", ""))
            zh, en = _choices(expected, "zh"), _choices(expected, "en")
            if not zh:
                code = "field.choice_any"
            else:
                params = {"reason_zh": messages.text("field.choice", "zh", choices=zh),
                          "reason_en": messages.text("field.choice", "en", choices=en)}
                code = "field.value"
        if code == "field.value" and "reason_zh" not in params:
            zh, en = _split(str(e.get("msg", "")))
            params = {"reason_zh": zh, "reason_en": en}
        if code == "field.too_short" and params.get("limit") == 1:  # an empty text: it was not filled in
            code = "field.required"
        if code in ("field.at_least", "field.above", "field.at_most", "field.below", "field.too_long",
                    "field.too_short", "field.too_many", "field.too_few", "field.decimals") and "limit" not in params:
            code = "field.invalid"
        if code == "field.pattern" and loc and str(loc[-1]).endswith("id"):
            code = "field.pattern_id"
        path = ".".join(str(p) for p in loc if not (isinstance(p, str) and not re.fullmatch(r"[A-Za-z_][\w]*", p)))
        out.append(FieldProblem(path, code, field_label(loc, "zh"), field_label(loc, "en"), params))
    return out
