"""The words people see for the event kinds: the calculator's questions and the explanations' labels.

Each event kind of the schema (huiqi/profile/events.yaml and a policy's own events.yaml, read by
:mod:`huiqi.profile.kinds`) is a :class:`Family` here — its name in Chinese and English, the prefix of
automatic event ids, the label of its date, and one :class:`Q` per field a person is asked, with the
labels of its choices. The explanations' words for a fact (「首次纳入统计=是」 rather than
``first_time=True``) come from the same schema, so nothing here is written by hand per kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from huiqi.profile import kinds as kinds_mod
from huiqi.profile.model import EVENT_LISTS


@dataclass(frozen=True)
class Q:
    """One question of an event row: ``kind`` is text, money, ratio, int, date, select, bool or optbool."""

    name: str
    zh: str
    en: str
    kind: str = "text"
    choices: tuple[tuple[str, str, str], ...] = ()  # value, zh, en
    default: str = ""
    required: bool = True
    hint_zh: str = ""
    hint_en: str = ""


@dataclass(frozen=True)
class Family:
    name: str  # the Profile list
    zh: str
    en: str
    prefix: str  # for automatic event ids
    questions: tuple[Q, ...]
    entity: tuple[Q, ...] = ()  # standing facts asked only when this family is chosen
    date_zh: str = "日期"
    date_en: str = "Date"


_ASK = {"date": "date", "money": "money", "ratio": "ratio", "int": "int", "enum": "select", "text": "text",
        "credit_code": "text", "bool": "bool"}


def question(name: str, spec) -> Q:
    """The calculator's question for one field of the schema (an optional yes/no is asked as 是/否/不清楚)."""
    kind = "optbool" if spec.type == "bool" and spec.optional else _ASK[spec.type]
    default = spec.ask_default
    if default is None and spec.default is not None:
        default = ("yes" if spec.default else "no") if isinstance(spec.default, bool) else str(spec.default)
    return Q(name, spec.zh, spec.en, kind, tuple((v, zh, en) for v, (zh, en) in spec.values.items()),
             default or "", not spec.optional, spec.hint_zh, spec.hint_en)


def family(kind) -> Family:
    """The calculator's family of questions for one event kind."""
    f = kind.fields
    return Family(kind.name, kind.spec.zh, kind.spec.en, kind.spec.prefix,
                  tuple(question(n, f[n]) for n in kind.question_order()),
                  tuple(question(n, spec) for n, spec in kind.spec.entity.items()), *kind.date_words())


_FAMILIES: dict[str, tuple[Family, ...]] = {}


def families_for(policy_or_kinds=None) -> tuple[Family, ...]:
    """The calculator's families of a policy (its kinds: the core ones, then its own), in the schema's order."""
    from huiqi.profile.model import kinds_of

    kinds = kinds_of(policy_or_kinds)
    found = _FAMILIES.get(kinds.key)
    if found is None or tuple(f.name for f in found) != kinds.names:
        found = _FAMILIES[kinds.key] = tuple(family(k) for k in kinds.kinds)
    return found


FAMILIES: tuple[Family, ...] = families_for()  # the core kinds' (a policy's: families_for(policy))
FAMILY = {f.name: f for f in FAMILIES}
DATE_Q = {f.name: (f.date_zh, f.date_en) for f in FAMILIES if (f.date_zh, f.date_en) != ("日期", "Date")}
assert set(FAMILY) == set(EVENT_LISTS), "every event list of the profile has its questions"


def family_named(name: str) -> Family | None:
    """The family of a list by its name: a core one, or one a policy read so far declares (an error message
    names a field by its question whichever policy the profile was for)."""
    found = FAMILY.get(name)
    if found is None:
        kind = kinds_mod.known_kind(name)
        found = family(kind) if kind is not None else None
    return found


# -- the words for a fact, for explanations --------------------------------------------------------

# Facts of the applicant (the profile's own fields and those derived from its codes, see profile.facts).
ENTITY_FACTS: dict[str, tuple[str, str]] = {
    "id": ("编号", "id"), "kind": ("申请人类型", "applicant type"), "name": ("名称", "name"),
    "credit_code": ("统一社会信用代码", "credit code"), "district": ("所在县（市、区）", "district"),
    "industry": ("国民经济行业代码", "industry code"), "employees": ("从业人员数", "employees"),
    "revenue": ("营业收入", "revenue"), "assets": ("资产总额", "assets"), "size_class": ("企业规模", "size class"),
    "in_statistics_db": ("在库（纳入统计联网直报）", "in the statistics database"),
    "has_dishonesty_record": ("有失信记录", "has a dishonesty record"),
    "small_scale_vat_taxpayer": ("小规模纳税人", "small-scale VAT taxpayer"),
    "cross_border_ecommerce_enterprises": ("入驻跨境电商企业数", "cross-border e-commerce enterprises hosted"),
    "is_sme": ("中小企业", "small or medium-sized enterprise"), "is_small_micro": ("小微企业", "small or micro enterprise"),
    "industry_section": ("行业门类", "industry section"), "industry_division": ("行业大类", "industry division"),
    "is_industrial": ("工业企业", "industrial enterprise"),
    "is_internet_software": ("互联网、软件及相关服务业", "internet, software and related services"),
    "is_commerce": ("批发零售、住宿餐饮业", "trade, hotels and catering"), "is_main_urban": ("位于主城区", "in the main urban districts"),
}
# Facts every event has.
EVENT_FACTS: dict[str, tuple[str, str]] = {"id": ("事项编号", "item id"), "date": ("事项日期", "date")}


def event_words(kinds) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """The words for every fact of the given kinds' events (fields, asked or not, and derived facts), and
    for every coded value; the first kind to use a name gives its words."""
    labels, values = dict(EVENT_FACTS), {}
    for k in kinds:
        for name, spec in (*k.fields.items(), *k.spec.entity.items()):
            labels.setdefault(name, (spec.zh, spec.en))
            for value, (zh, en) in spec.values.items():
                values.setdefault(value, (zh, en))
        for name, words in k.spec.derived.items():
            labels.setdefault(name, (words["zh"], words["en"]))
    return labels, values


EVENT_LABELS, CHOICE_LABELS = event_words(kinds_mod.core().kinds)


def _words() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """The core words, with those of every policy's own kinds read since (explanations have no policy at hand)."""
    extra = kinds_mod.registered()[len(kinds_mod.core().kinds):]
    if not extra:
        return EVENT_LABELS, CHOICE_LABELS
    return event_words(kinds_mod.registered())


def fact_label(key: str, lang: str = "zh") -> str:
    """The words for a fact key such as ``event.first_time`` or ``entity.in_statistics_db``."""
    ns, _, name = key.partition(".")
    words = (ENTITY_FACTS if ns == "entity" else _words()[0]).get(name)
    return (words[0] if lang == "zh" else words[1]) if words else name


def fact_value(value: object, lang: str = "zh") -> str | None:
    """The words for a coded value (``small_to_scale`` → 小升规), or None when it is not a code."""
    words = _words()[1].get(value) if isinstance(value, str) else None
    return (words[0] if lang == "zh" else words[1]) if words else None


def subject_words(subject: str) -> tuple[str, str]:
    """What an explanation calls the events of a list (``compute_claims`` → 算力支出 / compute spending)."""
    kind = kinds_mod.known_kind(subject)
    return (kind.spec.subject_zh, kind.spec.subject_en) if kind else (subject, subject.replace("_", " "))
