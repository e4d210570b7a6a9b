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


# -- what the wizard asks: derived from the facts the provisions read (issue 12 item 4) --------------------

# The applicant's first questions and the facts each one gives (the rest follow in profile.facts).
BASIC_GIVES: dict[str, tuple[str, ...]] = {
    "kind": ("kind",), "name": ("name",), "credit_code": ("credit_code",),
    "district": ("district", "is_main_urban"),
    "industry": ("industry", "industry_section", "industry_division", "is_industrial", "is_internet_software", "is_commerce"),
    "size_class": ("size_class", "is_sme", "is_small_micro"),
}
# The standing facts a person answers directly (the profile's own fields outside the basics). The size figures
# are asked with the size class: the SME standard derives the class from them when it is not given.
STANDING: dict[str, Q] = {
    "employees": Q("employees", "从业人员数（人）", "Employees (persons)", "int", required=False,
                   hint_zh="未选企业规模时，按中小企业划型标准由从业人员数、营业收入、资产总额推算",
                   hint_en="without a size class, the SME standard sizes the enterprise by employees, revenue and assets"),
    "revenue": Q("revenue", "上年营业收入（元）", "Last year's revenue (yuan)", "money", required=False),
    "assets": Q("assets", "资产总额（元）", "Total assets (yuan)", "money", required=False),
    "in_statistics_db": Q("in_statistics_db", "是否在库（已纳入统计部门联网直报平台）", "In the statistics database (reporting online to the statistics bureau)",
                          "optbool", required=False, hint_zh="规模以上（限额以上）企业纳入统计联网直报即为“在库”",
                          hint_en="an above-scale enterprise reporting online to the statistics bureau is in the database"),
    "has_dishonesty_record": Q("has_dishonesty_record", "是否有失信记录（如被列入失信被执行人名单）", "Any dishonesty record (e.g. on the list of dishonest judgment debtors)",
                               "optbool", required=False),
    "small_scale_vat_taxpayer": Q("small_scale_vat_taxpayer", "是否为增值税小规模纳税人", "Small-scale VAT taxpayer", "optbool", required=False),
    "cross_border_ecommerce_enterprises": Q("cross_border_ecommerce_enterprises", "园区入驻跨境电商企业数（家）",
                                            "Cross-border e-commerce enterprises in the park", "int", required=False),
}
SIZE_FIGURES = ("employees", "revenue", "assets")
ORGANISATION_BASICS = ("credit_code", "district", "industry", "size_class")  # who an organisation is, asked always
PRESUMED_FOR = frozenset({"individual"})  # a person is not asked what the schema presumes (a field's default)


@dataclass(frozen=True)
class Asked:
    """The wizard's questions for one applicant kind under one policy, derived from what its provisions read.

    ``basics`` and ``standing`` are asked on the first step; each family of ``families`` is offered on the
    second, carrying as its ``entity`` the standing facts only its provisions read (在库 with 首次升规入统), so
    they are asked only when it is chosen. ``reads`` is every (list or 'entity', fact) the applicable
    provisions read — what a test holds the questions to."""

    kind: str
    basics: tuple[str, ...]
    standing: tuple[Q, ...]
    families: tuple[Family, ...]
    reads: frozenset[tuple[str, str]]

    def names(self) -> set[str]:
        """The standing facts asked on either step (form field names)."""
        return {q.name for q in self.standing} | {q.name for f in self.families for q in f.entity}


def _asked(policy, kind: str) -> Asked:
    import dataclasses

    from huiqi.engine.evaluate import CLAIMANT_KINDS  # who may claim what: the engine's one table
    from huiqi.engine.plan import plan_for
    from huiqi.profile.model import ApplicantKind, kinds_of

    applicant = ApplicantKind(kind)
    plans = [pl for pl in plan_for(policy) if applicant in CLAIMANT_KINDS[pl.provision.claimant]]
    reads: set[tuple[str, str]] = set()
    entity_by: dict[str, set[str]] = {}  # standing fact → the subjects of the provisions reading it
    for pl in plans:
        subject = pl.provision.subject
        for ns, name in pl.columns:
            reads.add((subject if ns == "event" else "entity", name))
            if ns == "entity":
                entity_by.setdefault(name, set()).add(subject)
    read_entity = set(entity_by)
    basics = [b for b in BASIC_GIVES if b in ("kind", "name") or read_entity & set(BASIC_GIVES[b])
              or (kind != "individual" and b in ORGANISATION_BASICS)]
    standing_names = {n for n, subjects in entity_by.items() if n in STANDING and (len(subjects) > 1 or "entity" in subjects)}
    if "size_class" in basics and read_entity & set(BASIC_GIVES["size_class"]):
        standing_names |= set(SIZE_FIGURES)
    subjects = {pl.provision.subject for pl in plans}
    families = []
    for f in families_for(policy):
        if f.name not in subjects:
            continue
        own = tuple(STANDING[n] for n in STANDING if n not in standing_names and entity_by.get(n) == {f.name})
        entity = f.entity + tuple(q for q in own if q.name not in {e.name for e in f.entity})
        fields = kinds_of(policy)[f.name].fields
        unasked = [n for n in fields if (f.name, n) in reads and n not in {q.name for q in f.questions}]
        questions = f.questions + tuple(question(n, fields[n]) for n in unasked)  # read, though not asked by default
        if kind in PRESUMED_FOR:
            questions = tuple(q for q in questions if fields[q.name].default is None)
        families.append(dataclasses.replace(f, entity=entity, questions=questions))
    return Asked(kind, tuple(basics), tuple(STANDING[n] for n in STANDING if n in standing_names), tuple(families),
                 frozenset(reads))


_ASKED: dict[tuple[str, str], Asked] = {}


def asked_for(policy, kind: str) -> Asked:
    """The wizard's questions for ``kind`` under ``policy`` (cached by the policy's version)."""
    key = (policy.version, kind)
    found = _ASKED.get(key)
    if found is None:
        found = _ASKED[key] = _asked(policy, kind)
    return found
