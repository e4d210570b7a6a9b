"""Explanations in Chinese and English: which condition failed, with the facts, and why an amount.

Every function returns ``(zh, en)``. Error messages are public API: they name the
condition, the fact that decided it and the rule's figure.

The engine does not call them while it decides: a result carries an :class:`Explanation` — its key
and the arguments of the function that words it — and the words are formatted the first time a page,
the API or the CLI reads them (most of an answer's 120 rows are never read as text).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Callable

from huiqi.money import format_fen, format_yuan
from huiqi.profile import kinds as kinds_mod


class Explanation:
    """Why a result is what it is: the explanation key and the parameters of its words, worded on first use.

    ``words(*args)`` returns ``(zh, en)``; it runs once, when :meth:`text` is first asked, and the text is kept
    (a result shared between evaluations is worded once). Equal when the words are equal.
    """

    __slots__ = ("key", "_words", "_args", "_text")

    def __init__(self, key: str, words: Callable[..., tuple[str, str]], *args: Any):
        self.key = key
        self._words = words
        self._args = args
        self._text: tuple[str, str] | None = None

    @classmethod
    def worded(cls, key: str, zh: str, en: str) -> "Explanation":
        """An explanation whose words are already known."""
        e = cls(key, _given)
        e._text = (zh, en)
        return e

    def text(self, lang: str = "zh") -> str:
        """The words in ``lang`` (``zh`` or ``en``)."""
        t = self._text
        if t is None:  # two threads may both word it: the same words, either kept (the arguments stay for both)
            t = self._text = self._words(*self._args)
        return t[0] if lang == "zh" else t[1]

    @property
    def zh(self) -> str:
        return self.text("zh")

    @property
    def en(self) -> str:
        return self.text("en")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Explanation):
            return NotImplemented
        return self.key == other.key and self.text("zh") == other.text("zh") and self.text("en") == other.text("en")

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Explanation({self.key!r})"


def _given() -> tuple[str, str]:
    raise AssertionError("worded explanations carry their text")

CLAIMANT_ZH = {
    "enterprise": "企业", "individual": "个人或家庭", "park_operator": "园区运营方", "guarantee_institution": "融资担保机构",
    "procuring_entity": "采购人", "bidder": "投标企业", "taxpayer": "纳税人", "employer": "用人单位",
    "project": "项目单位", "community": "社区", "government": "政府部门",
}
LEVEL_ZH = {"national": "国家", "provincial": "省级", "municipal": "市级", "district": "县区级"}

# Benefit kinds (huiqi.rules.model.Provision.BENEFIT_OF_KIND): the kind's name, and the words of its total.
# Each kind is totalled on its own: a tax not levied is never money received, a loan limit is neither.
BENEFIT_WORDS: dict[str, dict[str, str]] = {
    "money": {"zh": "资金", "en": "money paid", "total_zh": "可获资金", "total_en": "Money you may receive"},
    "relief": {"zh": "减免", "en": "tax or fee not levied", "total_zh": "可减免税费", "total_en": "Tax and fees not levied"},
    "loan_limit": {"zh": "额度", "en": "loan limit", "total_zh": "可申请贷款额度", "total_en": "Loan limits you may apply for"},
    "right": {"zh": "资格/便利", "en": "a right or facilitation"},
    "referral": {"zh": "咨询", "en": "ask the lead department"},
}


def benefit_words(code: str) -> dict[str, str]:
    """``{"code", "zh", "en"}`` (and ``total_zh``/``total_en`` for the kinds that are totalled)."""
    return {"code": code, **BENEFIT_WORDS[code]}


def _fmt(v: Any, lang: str = "zh") -> str:
    from huiqi.profile.questions import fact_value

    if v is None:
        return "未填报" if lang == "zh" else "not given"
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    if isinstance(v, Decimal):
        return f"{v.normalize():f}"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return "、".join(map(str, v))
    return fact_value(v, lang) or str(v)


# A question's label carries how to type the answer (「担保费率（小数，如 0.01）」, 「担保金额（元）」); an explanation
# states the fact, so that part goes: 「担保费率：1.01%」, 「担保金额：¥2,000,000.00」.
_INPUT_HINT = re.compile(r"（(?:元|小数)[^）]*）$| \((?:yuan|decimal|0\.\d+ for \d+%)[^)]*\)$")
_MONEY_ENTITY_FACTS = {"revenue", "assets"}


_FACT_WORDS: dict[tuple[str, str, int], tuple[str, str | None]] = {}


def _fact_words(key: str, lang: str) -> tuple[str, str | None]:
    """A fact's label and unit (:func:`_label_of`, :func:`_unit_of`), looked up once per fact, language and set of
    kinds read (kinds are only ever added, so their number tells a changed set)."""
    memo = (key, lang, len(kinds_mod.registered()))
    hit = _FACT_WORDS.get(memo)
    if hit is None:
        if len(_FACT_WORDS) > 10000:
            _FACT_WORDS.clear()
        hit = _FACT_WORDS[memo] = (_label_of(key, lang), _unit_of(key))
    return hit


def _label(key: str, lang: str) -> str:
    return _fact_words(key, lang)[0]


def _unit(key: str) -> str | None:
    return _fact_words(key, "zh")[1]


def _label_of(key: str, lang: str) -> str:
    from huiqi.profile.questions import fact_label

    return _INPUT_HINT.sub("", fact_label(key, lang))


def _unit_of(key: str) -> str | None:
    """How a fact is written: money, ratio … from the event kinds' schema (a derived total is money)."""
    ns, _, name = key.partition(".")
    if ns == "entity":
        return "money" if name in _MONEY_ENTITY_FACTS else None
    for kind in kinds_mod.registered():
        if name in kind.fields:
            return kind.fields[name].type
        if name in kind.spec.derived:
            return "money" if name.endswith("_total") else None
    return None


def _value(key: str, v: Any, lang: str) -> str:
    unit = _unit(key)
    if isinstance(v, (Decimal, int)) and not isinstance(v, bool):
        if unit == "money":
            return format_yuan(Decimal(v))
        if unit == "ratio":
            return f"{(Decimal(v) * 100).normalize():f}%"
    return _fmt(v, lang)


def _facts(facts: dict[str, Any], lang: str = "zh") -> str:
    """The facts a condition read, in the words of the questions (「首次纳入统计：是」, not ``first_time=True``),
    money as ¥ to the fen and rates as percentages."""
    sep, colon = ("，", "：") if lang == "zh" else (", ", ": ")
    return sep.join(f"{_label(k, lang)}{colon}{_value(k, v, lang)}" for k, v in facts.items())


def _missing(facts: dict[str, Any], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(_label(k, lang) for k, v in facts.items() if v is None)


def failed(conds) -> tuple[str, str]:
    zh = "；".join(f"不满足：{c.zh}（实际：{_facts(c.facts)}）" for c in conds)
    en = "; ".join(f"not met: {c.en} (given: {_facts(c.facts, 'en')})" for c in conds)
    return zh + "。", en + "."


def missing(conds) -> tuple[str, str]:
    zh = "；".join(f"待核实：{c.zh}" + (f"（缺少：{_missing(c.facts, 'zh')}）" if c.facts else "") for c in conds)
    en = "; ".join(f"cannot be confirmed: {c.en}" + (f" (missing: {_missing(c.facts, 'en')})" if c.facts else "")
                   for c in conds)
    return f"信息不足，暂不能确认：{zh}。", f"Not enough information: {en}."


def referral(p, measure, open_conds, ceiling_fen: int | None = None) -> tuple[str, str]:
    deps = "、".join(d.name for d in measure.lead_departments)
    deps_en = ", ".join(d.words("en") for d in measure.lead_departments)
    note = p.referral_note_zh or "具体标准以实施细则为准"
    if ceiling_fen is not None:
        # A ceiling whose amount the text leaves to criteria it does not define: not an amount to count on.
        zh = (f"可能适用。原文只规定上限{format_fen(ceiling_fen)}，是否给予及具体金额由牵头单位评定（{note}），"
              f"原文未规定评定标准，故不计入可获资金合计；请向{deps}咨询申报。")
        en = (f"May apply. The text sets only a ceiling of {format_fen(ceiling_fen)}; whether anything is paid, and how "
              f"much, is assessed by the lead department(s) on criteria the text does not define, so it is not counted "
              f"in the totals — ask {deps_en}.")
    else:
        zh = f"可能适用。原文未规定具体金额（{note}），请向{deps}咨询申报。"
        en = f"May apply. The text states no figure; the amount follows the implementing rules — ask the lead department(s): {deps_en}."
    if open_conds:
        zh += "需核实：" + "；".join(c.zh for c in open_conds) + "。"
        en += " To confirm: " + "; ".join(c.en for c in open_conds) + "."
    return zh, en


def eligible(p, amount_fen: int | None, params: dict[str, Any], figures: dict[str, Any]) -> tuple[str, str]:
    """Worded by the benefit kind: money 「可获」, a tax relief 「可免征…」, a loan limit 「可申请贷款额度最高」,
    a determination its effect (免于收取投标保证金 …)."""
    benefit = p.benefit
    if amount_fen is None:
        if p.effect_zh:  # a right: what it grants, in the text's words
            zh, en = f"符合条件：{p.effect_zh}。", f"Conditions met: {p.effect_en or p.effect_zh}."
        else:
            zh, en = "符合条件。", "Conditions met."
    elif benefit == "relief":
        amount = format_fen(amount_fen)
        if p.effect_zh:
            zh = "符合条件，" + p.effect_zh.replace("{amount}", amount) + "。"
            en = "Conditions met: " + (p.effect_en or p.effect_zh).replace("{amount}", amount) + "."
        else:
            zh = f"符合条件，可减免税费{amount}。"
            en = f"Conditions met: {amount} of tax or fees not levied."
    elif benefit == "loan_limit":
        zh = f"符合条件，可申请贷款额度最高{format_fen(amount_fen)}（额度上限，实际贷款金额以贷款机构审核为准）。"
        en = (f"Conditions met: you may apply for a loan of up to {format_fen(amount_fen)} (a loan limit, not money "
              f"paid; the lender sets the actual loan on review).")
    elif p.is_cap:
        zh = f"符合条件，最高可获{format_fen(amount_fen)}（上限，具体金额经审核确定）。"
        en = f"Conditions met: up to {format_fen(amount_fen)} (a ceiling; the exact sum is set on review)."
    else:
        zh = f"符合条件，可获{format_fen(amount_fen)}。"
        en = f"Conditions met: {format_fen(amount_fen)}."
    if "rate" in params and p.kind.value == "share_with_cap":
        rate = Decimal(params["rate"]) * 100
        cap = f"，上限{format_yuan(params['cap'])}" if "cap" in params else ""
        zh += f"按{rate.normalize():f}%计算{cap}。"
        en += f" Computed at {rate.normalize():f}%" + (f", capped at {format_yuan(params['cap'])}." if "cap" in params else ".")
    shown = {k: v for k, v in figures.items() if v is not None and k in p.figures}
    if shown:  # in the words the policy data gives each figure, money as ¥ to the fen, rates as percentages
        zh += "计算依据：" + "，".join(f"{p.figures[k].zh}{_figure(v, p.figures[k].unit)}" for k, v in shown.items()) + "。"
        en += " Basis: " + "; ".join(f"{p.figures[k].en} {_figure(v, p.figures[k].unit)}" for k, v in shown.items()) + "."
    return zh, en


def _figure(v: Any, unit: str) -> str:
    """A figure as people read it: ¥1,234.56, or 20% (a rate)."""
    if unit == "rate":
        return f"{(Decimal(v) * 100).normalize():f}%"
    return format_yuan(Decimal(v))


def wrong_claimant(claimant, kind) -> tuple[str, str]:
    return (
        f"不适用：本条面向{CLAIMANT_ZH[claimant.value]}，申请人为{CLAIMANT_ZH.get(kind.value, kind.value)}。",
        f"Not applicable: this provision is for {claimant.value.replace('_', ' ')}, the applicant is {kind.value.replace('_', ' ')}.",
    )


def no_events(subject: str) -> tuple[str, str]:
    from huiqi.profile.questions import subject_words  # the kind's words, from the event kinds' schema

    zh, en = subject_words(subject)
    return f"未填报相关事项（{zh}）。", f"No {en} given."


def expired(day: dt.date, end: dt.date) -> tuple[str, str]:
    return (
        f"已过期：事项日期{day}晚于政策有效期截止日{end}。",
        f"Expired: {day} is after the policy's last day, {end}.",
    )


def not_yet(day: dt.date, start: dt.date) -> tuple[str, str]:
    return (
        f"不适用：事项日期{day}早于政策施行日{start}。",
        f"Not applicable: {day} is before the policy took effect on {start}.",
    )


def future_event(day: dt.date, as_of: dt.date) -> tuple[str, str]:
    return (
        f"暂不计算：事项日期{day}晚于计算日期{as_of}。",
        f"Not counted yet: {day} is after the evaluation date {as_of}.",
    )


def year_cap(year: int, cap_fen: int, used_fen: int, room_fen: int) -> tuple[str, str]:
    cap, used, room = format_fen(cap_fen), format_fen(used_fen), format_fen(room_fen)  # each amount worded once
    return (
        f"受年度上限限制：{year}年上限{cap}，此前已计{used}，本笔至多{room}。",
        f"Limited by the yearly cap: {cap} for {year}, {used} already counted, at most {room} for this claim.",
    )


def year_total(year: int, upto_fen: int, before_fen: int, share_fen: int) -> tuple[str, str]:
    """A claim's part of its year's total, rounded once (``round_once``)."""
    upto, before, share = format_fen(upto_fen), format_fen(before_fen), format_fen(share_fen)
    return (
        f"按{year}年各笔合计计算、合计金额四舍五入一次（不逐笔四舍五入）：截至本笔合计{upto}，"
        f"此前各笔已计{before}，本笔计{share}。",
        f"Computed on {year}'s claims added up and rounded once (not claim by claim): {upto} for the "
        f"claims up to this one, {before} counted before it, {share} for this claim.",
    )


def once_only() -> tuple[str, str]:
    return "本条为一次性奖补，已按较早的事项计算。", "A one-off award: already counted for an earlier event."


def overlap(strategy: str, levels: list[str], received_fen: int, city_fen: int, paid_fen: int) -> tuple[str, str]:
    """就高不重复: ``received_fen`` already received for the same matter, ``city_fen`` this provision's amount.

    Both strategies pay ``max(0, city − received)``; the words differ (only the highest / top up the difference).
    """
    lv = "、".join(LEVEL_ZH.get(level, level) for level in levels)
    lv_en = ", ".join(levels)
    label_zh, label_en = ("只取最高", "Highest only") if strategy == "highest_only" else ("补差", "Top-up")
    received, city = format_fen(received_fen), format_fen(city_fen)  # each amount worded once
    head_zh = f"就高不重复（{label_zh}）：已获{lv}同类支持{received}，本条{city}。"
    head_en = (f"{label_en} (就高不重复): {received} of {lv_en} support already received for the same matter; "
               f"this provision gives {city}.")
    if paid_fen == 0:
        return (
            head_zh + "已获支持不低于本条，已按较高标准享受，本条不再给予。",
            head_en + " The support already received is not lower, so the higher one is already held: nothing more is paid.",
        )
    paid = format_fen(paid_fen)
    if strategy == "highest_only":
        return (
            head_zh + f"本条较高，按本条标准就高执行，已获部分予以抵扣、不重复给予，本条给予{paid}。",
            head_en + f" This provision is higher, so it applies; what was received counts towards it and is not paid "
            f"twice: {paid} is paid.",
        )
    return (
        head_zh + f"补足差额{paid}。",
        head_en + f" The difference, {paid}, is paid.",
    )


def adjusted(formula_fen: int, final_fen: int, is_cap: bool, notes_zh: list[str], notes_en: list[str],
             referral: bool = False) -> tuple[str, str]:
    """An eligible result whose amount a yearly cap, a one-off rule or 就高不重复 changed (or a referral's ceiling)."""
    upto_zh, upto_en = ("最高", "up to ") if is_cap else ("", "")
    if referral:
        zh = f"可能适用，原文上限为{format_fen(formula_fen)}（具体金额由牵头单位评定，不计入可获资金合计）。" + "".join(notes_zh)
        en = f"May apply; the text's ceiling is {format_fen(formula_fen)} (assessed by the lead department, not counted in the totals). " + " ".join(notes_en)
    elif final_fen > 0:
        zh = f"符合条件，按条款计算为{format_fen(formula_fen)}。" + "".join(notes_zh)
        en = f"Conditions met; the provision gives {format_fen(formula_fen)}. " + " ".join(notes_en)
    else:  # nothing is due: not 「符合条件」, though the conditions themselves hold
        zh = f"条件符合，按条款计算为{format_fen(formula_fen)}，但不再给予：" + "".join(notes_zh)
        en = f"The conditions hold and the provision gives {format_fen(formula_fen)}, but nothing is paid: " + " ".join(notes_en)
    if final_fen > 0:
        zh += f"最终{upto_zh}可获{format_fen(final_fen)}。" if not referral else f"本条至多还可给予{format_fen(final_fen)}。"
        en += f" Final: {upto_en}{format_fen(final_fen)}." if not referral else f" At most {format_fen(final_fen)} more can be paid."
    elif not zh.endswith("本条不再给予。"):
        zh += "本条不再给予。"
        en += " Nothing is paid under this provision."
    return zh, en


def event_words(day: dt.date, lang: str = "zh") -> str:
    """An event named by its date (「2023年8月15日的事项」), never by the id a form or a file gave it."""
    return f"{day.year}年{day.month}月{day.day}日的事项" if lang == "zh" else f"the item of {day.isoformat()}"


def aggregated(counted: list[dt.date], fen: int, is_cap: bool, left_out: list[tuple[dt.date, str, str]]) -> tuple[str, str]:
    """A provision paid on the total of its qualifying events (rounded once); events named by their dates."""
    upto_zh, upto_en = ("最高", "up to ") if is_cap else ("", "")
    days_zh = "、".join(f"{d.year}年{d.month}月{d.day}日" for d in counted)
    zh = f"符合条件：按{len(counted)}笔事项（{days_zh}）合计计算，{upto_zh}可获{format_fen(fen)}。"
    en = (f"Conditions met for {len(counted)} item(s) (of {', '.join(d.isoformat() for d in counted)}), taken together: "
          f"{upto_en}{format_fen(fen)}.")
    if left_out:
        zh += "未计入：" + "；".join(f"{event_words(d)}（{z.rstrip('。')}）" for d, z, _ in left_out) + "。"
        en += " Left out: " + "; ".join(f"{event_words(d, 'en')} ({e.rstrip('.')})" for d, _, e in left_out) + "."
    return zh, en


# -- the words of a decided candidate and of the steps across rows, from what the engine kept -------------
# (the engine passes these with their arguments to an Explanation; they run only when the text is read)


def _to_confirm(zh: str, en: str, outcomes) -> tuple[str, str]:
    """Conditions the text states but only the department can confirm, after an eligible result's words."""
    unchecked = [c for c in outcomes if not c.checkable]
    if unchecked:
        zh += "需部门核实：" + "；".join(c.zh for c in unchecked) + "。"
        en += " To be confirmed by the department: " + "; ".join(c.en for c in unchecked) + "."
    return zh, en


def failed_of(outcomes) -> tuple[str, str]:
    """The conditions found false among a candidate's outcomes."""
    return failed([o for o in outcomes if o.satisfied is False])


def missing_of(outcomes) -> tuple[str, str]:
    """The checkable conditions left unknown among a candidate's outcomes."""
    return missing([o for o in outcomes if o.satisfied is None and o.checkable])


def referral_of(p, measure, outcomes, ceiling_fen: int | None) -> tuple[str, str]:
    """A referral, naming what is left to confirm: the conditions only the department checks, then the unknown ones."""
    open_conds = [o for o in outcomes if not o.checkable] + [o for o in outcomes if o.satisfied is None and o.checkable]
    return referral(p, measure, open_conds, ceiling_fen)


def eligible_of(p, amount_fen: int | None, params: dict[str, Any], figures: dict[str, Any], outcomes) -> tuple[str, str]:
    """:func:`eligible`, with the conditions the department still has to confirm."""
    zh, en = eligible(p, amount_fen, params, figures)
    return _to_confirm(zh, en, outcomes)


def merged_rows(rows: list[tuple[dt.date, Explanation]]) -> tuple[str, str]:
    """A provision paid on a total of events when none counted: each event's reason, named by its date."""
    zh = "；".join(f"{event_words(day)}：{e.text('zh')}" for day, e in rows)
    en = "; ".join(f"{event_words(day, 'en')}: {e.text('en')}" for day, e in rows)
    return zh, en


def aggregated_of(counted: list[dt.date], fen: int, is_cap: bool, left_out: list[tuple[dt.date, Explanation]],
                  outcomes) -> tuple[str, str]:
    """:func:`aggregated` from the events left out's explanations, with what the department still confirms."""
    zh, en = aggregated(counted, fen, is_cap, [(day, e.text("zh"), e.text("en")) for day, e in left_out])
    return _to_confirm(zh, en, outcomes)
