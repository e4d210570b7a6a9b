"""The policy model: what a support-policy document says, as typed data.

Every figure in a policy becomes a dated :class:`Parameter` value, every benefit a
:class:`Provision` with the exact sentence that grants it.  The loader validates
each measure file against these models, so a broken file is refused with the file
name and the path of the bad field (see :mod:`huiqi.rules.loader`).

Why pydantic: it gives field paths in its errors and a JSON Schema for free, so the
format of a policy file is documented by the same code that checks it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Annotated, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MEASURE_ID = r"^m(0[1-9]|[12][0-9]|30)$"
SLUG = r"^[a-z][a-z0-9_]*$"


class Strict(BaseModel):
    """Base for policy data: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ProvisionKind(str, Enum):
    """How a provision's benefit is stated in the text."""

    fixed_award = "fixed_award"  # 给予10万元奖补 — a stated sum
    capped_award = "capped_award"  # 不超过50万元 / 最高5万元 — at most a sum, decided on review
    share_with_cap = "share_with_cap"  # 按实际支出费用给予30%补助，每年最高50万元
    tax_relief = "tax_relief"  # 免征 / 减按
    loan_limit = "loan_limit"  # 最高30万元的创业担保贷款 / 贷款额度上浮20%
    determination = "determination"  # yes/no: 免收保证金, 专门向中小企业采购, 费率
    referral = "referral"  # matched, but the text states no figure


# Parameters each kind must carry, so the engine can rely on them.
REQUIRED_PARAMETERS: dict[ProvisionKind, set[str]] = {
    ProvisionKind.fixed_award: {"amount"},
    ProvisionKind.capped_award: {"cap"},
    ProvisionKind.share_with_cap: {"rate"},  # plus "cap" where a yuan ceiling is stated
    ProvisionKind.loan_limit: set(),
    ProvisionKind.tax_relief: set(),
    ProvisionKind.determination: set(),
    ProvisionKind.referral: set(),
}

# Kinds whose figure is a ceiling (不超过 / 最高) unless the file says otherwise. A share of a base
# (按实际支出给予30%) is an exact amount even when a yearly maximum may cut it; where the text caps
# the share itself (不超过1%) the provision sets ``is_cap: true``.
CAPPED_KINDS = {ProvisionKind.capped_award, ProvisionKind.loan_limit}


class Claimant(str, Enum):
    """Who may claim a provision."""

    enterprise = "enterprise"
    individual = "individual"  # a person or family
    park_operator = "park_operator"
    guarantee_institution = "guarantee_institution"
    procuring_entity = "procuring_entity"
    bidder = "bidder"
    taxpayer = "taxpayer"
    employer = "employer"
    project = "project"  # an investment project (claimed by its owner)
    community = "community"
    government = "government"  # an action the government owes, no claimant


class Unit(str, Enum):
    yuan = "yuan"  # money, exact to the fen
    ratio = "ratio"  # 30% is 0.30
    count = "count"
    date = "date"
    text_set = "text_set"  # a list of named categories (e.g. recognition types)


class Comparison(str, Enum):
    """How a threshold compares, following Chinese legal usage."""

    ge = ">="  # 以上 (includes the number)
    le = "<="  # 以下 / 以内 / 不超过 (includes the number)
    gt = ">"  # 超过 (excludes the number)
    lt = "<"  # 不足 / 低于 (excludes the number)


# Decimal first: pydantic would otherwise read a bare integer as a Unix timestamp date.
ParamValue = Union[Decimal, dt.date, list[str]]


class DatedValue(Strict):
    """One value of a parameter and the dates it applies to (both ends inclusive)."""

    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(default=None, alias="to")
    value: ParamValue
    note: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> "DatedValue":
        if self.end is not None and self.end < self.start:
            raise ValueError(f"'to' ({self.end}) is before 'from' ({self.start})")
        return self


class Parameter(Strict):
    """A figure of the policy, with its unit, legal comparison and dated values."""

    label_zh: str
    label_en: str
    unit: Unit
    comparison: Comparison | None = None
    legal_term: str | None = None  # the words of the text: 以上, 以下（含）, 超过, 不超过 …
    values: list[DatedValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _values_fit_unit(self) -> "Parameter":
        for i, v in enumerate(self.values):
            where = f"values[{i}].value"
            if self.unit is Unit.date:
                if not isinstance(v.value, dt.date):
                    raise ValueError(f"{where}: a date parameter needs a date (YYYY-MM-DD)")
            elif self.unit is Unit.text_set:
                if not isinstance(v.value, list):
                    raise ValueError(f"{where}: a text_set parameter needs a list of names")
            else:
                if not isinstance(v.value, Decimal):
                    raise ValueError(f"{where}: a {self.unit.value} parameter needs a number")
                if v.value < 0:
                    raise ValueError(f"{where}: must not be negative")
                if self.unit is Unit.yuan and (v.value > Decimal("1e15") or v.value != v.value.quantize(Decimal("0.01"))):
                    raise ValueError(f"{where}: money must be exact to the fen (two decimals)")
                if self.unit is Unit.ratio and v.value > 1:
                    raise ValueError(f"{where}: a ratio is written as a fraction (30% is 0.30)")
                if self.unit is Unit.count and v.value != v.value.to_integral_value():
                    raise ValueError(f"{where}: a count must be a whole number")
        ordered = sorted(self.values, key=lambda v: v.start)
        for a, b in zip(ordered, ordered[1:]):
            if a.end is None or a.end >= b.start:
                raise ValueError(f"values overlap: one from {a.start} runs into the one from {b.start}")
        return self

    def value_on(self, day: dt.date) -> ParamValue | None:
        """The value in force on ``day``, or None when none is."""
        for v in self.values:
            if v.start <= day and (v.end is None or day <= v.end):
                return v.value
        return None


# Parameters every rule expression may use besides its provision's own: the measure's
# in-force period and the date the answer is computed for.
ENGINE_PARAMETERS = frozenset({"in_force_start", "in_force_end", "as_of"})

# What a provision is judged over: the applicant itself, or each of its dated events — the event lists of the
# applicant profile, declared once in the event kinds' schema (huiqi/profile/events.yaml and a policy's own
# events.yaml); the loader refuses a subject that is not one of the policy's kinds.
SUBJECT = r"^(entity|[a-z][a-z0-9_]{1,39})$"


class Condition(Strict):
    """One condition of a provision, named so an explanation can say which failed.

    ``test`` is a rule expression (see :mod:`huiqi.rules.expr`); a condition without
    one cannot be checked from facts and is left to the reviewing department.
    """

    id: Annotated[str, Field(pattern=SLUG)]
    zh: str
    en: str
    parameters: list[str] = Field(default_factory=list)
    test: str | None = None


class Figure(Strict):
    """A figure the answer shows beside the amount (不含税价, 应纳税额 …): its expression and the words people read.

    ``unit`` says how it is shown and rounded: money to the fen (四舍五入), a rate as a percentage."""

    expr: str
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    unit: Literal["money", "rate"] = "money"


class Material(Strict):
    """One document of a 申报材料清单: what it is, whether submission waits for it, and which of the provision's
    conditions it proves (so a list never asks for paper the text gives no reason for)."""

    id: Annotated[str, Field(pattern=SLUG)]  # stored with each uploaded file: never renamed once files exist
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    required: bool = True  # an application is not submitted until a file of each required material is uploaded
    proves: list[Annotated[str, Field(pattern=SLUG)]] = Field(default_factory=list)  # condition ids


PHONE = r"^\+?[0-9][0-9 ()\-]{4,28}[0-9]$"


class ServiceGuide(Strict):
    """办事指南: the materials, the processing time limit (办理时限) and the contact (咨询电话 / 受理窗口) of a
    provision, or of every provision of a measure.

    ``source: text`` — the policy's own words state them (``citation``, verbatim); ``source: configured`` — the
    platform's operators set them where the text is silent, and every page marks them 「平台配置」. What is left
    out is shown as 「以主管部门通知为准」 with the lead departments — never a guessed number."""

    source: Literal["text", "configured"]
    citation: list[str] = Field(default_factory=list)
    materials: list[Material] = Field(default_factory=list)
    time_limit_working_days: int | None = Field(default=None, ge=1, le=365)  # 办理时限, in working days
    phone: Annotated[str, Field(pattern=PHONE)] | None = None
    window: Annotated[str, Field(min_length=2, max_length=120)] | None = None  # 受理窗口

    @model_validator(mode="after")
    def _fits(self) -> "ServiceGuide":
        if self.source == "text" and not self.citation:
            raise ValueError("source: text needs the citation that states the guide")
        if self.source == "configured" and self.citation:
            raise ValueError("a citation is for source: text; a configured guide quotes nothing")
        ids = [m.id for m in self.materials]
        if len(set(ids)) != len(ids):
            raise ValueError("materials: ids must be unique")
        if self.phone is not None and not 7 <= sum(ch.isdigit() for ch in self.phone) <= 20:
            raise ValueError("phone: a telephone number has 7 to 20 digits")
        if not (self.materials or self.time_limit_working_days or self.phone or self.window):
            raise ValueError("a service guide states at least one of materials, time_limit_working_days, phone, window")
        return self


class Provision(Strict):
    """One benefit, duty or determination the text grants, with its citation."""

    id: Annotated[str, Field(pattern=r"^m\d\d\.[a-z][a-z0-9_]*$")]
    kind: ProvisionKind
    title_zh: str
    title_en: str
    claimant: Claimant
    conditions: list[Condition] = Field(default_factory=list)
    parameters: dict[Annotated[str, Field(pattern=SLUG)], Parameter] = Field(default_factory=dict)
    cap_period: Literal["once", "per_event", "per_year", "per_unit"] | None = None
    pool: str | None = None
    referral_note_zh: str | None = None  # what the text promises when it states no figure
    citation: list[str] = Field(min_length=1)
    source: Literal["digest", "text"] = "digest"
    application_window: "Period | None" = None  # its own 申报期 where the text gives one (else the policy's)
    # -- how the engine computes it (rule expressions, see huiqi.rules.expr) --
    subject: Annotated[str, Field(pattern=SUBJECT)] = "entity"
    # Which date picks the parameters and decides expiry: the event's own date (a purchase,
    # a claim, a recognition) or the date of the answer (an application about a past event).
    dated_by: Literal["event", "as_of"] | None = None
    amount: str | None = None  # yuan; defaults by kind (:amount, :cap, :rate * base)
    base: str | None = None  # for share_with_cap: what the rate applies to
    figures: dict[Annotated[str, Field(pattern=SLUG)], Figure] = Field(default_factory=dict)  # shown with the amount
    # "sum": one result for the provision, the amount taken on the total of its qualifying events
    # and rounded once (按上年度担保金额统筹给予), instead of one result per event.
    aggregate: Literal["sum"] | None = None
    cap: bool | None = Field(default=None, alias="is_cap")  # override: is the amount a ceiling?
    # The text gives only a ceiling and leaves the amount — and whether anything is paid — to criteria it
    # names but does not define (根据其发展情况、企业规模等给予最高不超过50万元): the engine reports a
    # referral carrying the ceiling (is_cap), never an eligible amount, and keeps it out of the totals.
    amount_by_assessment: bool = False
    # What the provision grants, in the text's words, for the answer to state (the benefit kind comes from
    # ``kind``: 资金 / 减免 / 额度 / 资格便利 / 咨询, see ``benefit``). For a determination, the effect
    # (免于收取投标保证金); for a tax relief, the tax not levied with ``{amount}`` where the sum goes
    # (可免征车辆购置税{amount}). Optional: without it the answer uses the kind's general words.
    effect_zh: str | None = None
    effect_en: str | None = None
    service: ServiceGuide | None = None  # 办事指南 of this provision (else the measure's, see Measure.service_for)

    # The benefit kind of each ``kind``: money paid (资金), a tax or fee not levied (减免), a loan limit (额度),
    # a right or facilitation (资格/便利), a referral (咨询). Totals never add one kind to another.
    BENEFIT_OF_KIND: ClassVar[dict[str, str]] = {
        "fixed_award": "money", "capped_award": "money", "share_with_cap": "money", "tax_relief": "relief",
        "loan_limit": "loan_limit", "determination": "right", "referral": "referral"}
    # The kinds claimed on the platform (money paid): a relief, a loan limit or a right is had elsewhere. The
    # calculator's apply button, the 免申即享 offers and the application service all ask this one set.
    CLAIMED_KINDS: ClassVar[frozenset[str]] = frozenset(k for k, b in BENEFIT_OF_KIND.items() if b == "money")

    @property
    def benefit(self) -> str:
        """The benefit kind, derived from ``kind`` (:attr:`BENEFIT_OF_KIND`)."""
        return self.BENEFIT_OF_KIND[self.kind.value]

    @property
    def claimed_here(self) -> bool:
        """Whether an application for this provision is made on the platform (:attr:`CLAIMED_KINDS`)."""
        return self.kind.value in self.CLAIMED_KINDS

    @model_validator(mode="after")
    def _expressions_compile(self) -> "Provision":
        from huiqi.rules.expr import ExprError, compile_expr

        allowed = set(self.parameters) | ENGINE_PARAMETERS
        sources = [(f"conditions.{c.id}.test", c.test) for c in self.conditions]
        sources += [("amount", self.amount), ("base", self.base)]
        sources += [(f"figures.{k}", v.expr) for k, v in self.figures.items()]
        for where, src in sources:
            if src is None:
                continue
            try:
                compile_expr(src, allowed)
            except ExprError as e:
                raise ValueError(f"{where}: {e}") from None
        if self.kind is ProvisionKind.share_with_cap and self.base is None and self.amount is None:
            if any(c.test for c in self.conditions):
                raise ValueError("a share_with_cap provision with rule tests needs a 'base' expression")
        return self

    @model_validator(mode="after")
    def _kind_parameters(self) -> "Provision":
        missing = REQUIRED_PARAMETERS[self.kind] - set(self.parameters)
        if missing:
            raise ValueError(f"a {self.kind.value} provision needs parameter(s): {', '.join(sorted(missing))}")
        for c in self.conditions:
            for p in c.parameters:
                if p not in self.parameters:
                    raise ValueError(f"condition '{c.id}' names unknown parameter '{p}'")
        if len({c.id for c in self.conditions}) != len(self.conditions):
            raise ValueError("condition ids must be unique within a provision")
        conditions = {c.id for c in self.conditions}
        for m in (self.service.materials if self.service else []):
            for c in m.proves:
                if c not in conditions:
                    raise ValueError(f"service.materials.{m.id}.proves: '{c}' is not a condition of this provision")
        if self.amount_by_assessment and not (self.kind in (ProvisionKind.capped_award, ProvisionKind.share_with_cap)
                                              and self.is_cap):
            raise ValueError("amount_by_assessment is for a ceiling (a capped award or a capped share) only")
        return self

    @property
    def is_cap(self) -> bool:
        """True where the text gives a ceiling (不超过 / 最高), not a fixed sum."""
        return self.cap if self.cap is not None else self.kind in CAPPED_KINDS


class Department(Strict):
    name: str
    role: Literal["lead", "by_duty"] = "lead"  # 牵头负责 / 按职责分工负责
    name_en: str | None = None  # filled by the loader from the policy's departments_en (English pages)

    def words(self, lang: str = "zh") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


class Pool(Strict):
    """A budget the text sets aside; awards drawn from it can never exceed it."""

    id: Annotated[str, Field(pattern=r"^m\d\d\.[a-z][a-z0-9_]*$")]
    name_zh: str
    name_en: str
    total: Decimal  # yuan
    citation: list[str] = Field(min_length=1)

    @field_validator("total")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("a pool total must be positive")
        return v


class RegistryCount(Strict):
    """How a target's figure is counted from a registry kept on the platform instead of being reported by hand.

    ``count: projects`` counts the projects that pass every rule given; ``count: named_items`` looks each of
    the target's ``items`` up in the registry by name and counts those at one of ``achieved_at_stages``.
    The words that justify the rule are ``citation`` (verbatim in the measure's text; the target's own
    citation when omitted)."""

    registry: Literal["project_registry"]
    count: Literal["projects", "named_items"]
    investor_origin: list[Literal["in_province", "out_of_province", "foreign"]] = Field(default_factory=list)  # empty: any
    introduced: Literal["in_year_due"] | None = None  # 年内: introduced in the calendar year of the target's due date
    total_investment_at_least: Annotated[str, Field(pattern=SLUG)] | None = None  # a threshold of the target (以上: included)
    packaged: bool | None = None  # 策划包装: only projects marked as packaged
    chain_named: bool = False  # only projects with their industrial chain named
    achieved_at_stages: list[Literal["reserve", "preparation", "started", "operating"]] = Field(default_factory=list)
    citation: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rule_fits(self) -> "RegistryCount":
        if self.count == "named_items" and not self.achieved_at_stages:
            raise ValueError("count: named_items needs achieved_at_stages")
        if self.count == "projects" and self.achieved_at_stages:
            raise ValueError("achieved_at_stages is for count: named_items")
        return self


class Target(Strict):
    """A figure the text commits the city to reach (for the implementation dashboard)."""

    id: Annotated[str, Field(pattern=r"^m\d\d\.[a-z][a-z0-9_]*$")]
    label_zh: str
    label_en: str
    comparison: Comparison | None = None
    value: Decimal | None = None
    unit: str  # 个, 套, %, …
    items: list[str] = Field(default_factory=list)  # named projects, where the target is a list
    thresholds: dict[Annotated[str, Field(pattern=SLUG)], Decimal] = Field(default_factory=dict)  # e.g. what counts (亿元以上)
    due: dt.date
    citation: list[str] = Field(min_length=1)
    computed_from: RegistryCount | None = None  # counted from a registry, never reported by hand

    @model_validator(mode="after")
    def _computed_fits(self) -> "Target":
        rule = self.computed_from
        if rule is not None:
            if rule.total_investment_at_least and rule.total_investment_at_least not in self.thresholds:
                raise ValueError(f"computed_from.total_investment_at_least names unknown threshold "
                                 f"'{rule.total_investment_at_least}'")
            if rule.count == "named_items" and not self.items:
                raise ValueError("computed_from.count: named_items needs the target's items")
        return self


class Period(Strict):
    start: dt.date
    end: dt.date
    citation: list[str] = Field(min_length=1)


FEATURES = ("project_registry", "four_zones", "published_lists", "voice_channel")


class Zone(Strict):
    """One zone of a joint-handling service (四区联办) and the committee that handles its part."""

    name: str  # as the text names it
    committee: str  # the department a committee user is registered with


class ListKind(Strict):
    """One of the lists a measure requires to be published."""

    key: Annotated[str, Field(pattern=SLUG)]  # stored with each entry: never changed once entries exist
    name_zh: str  # as the text names it
    name_en: str


class Feature(Strict):
    """A service of the platform a measure calls for, beyond the money it grants (落实落地):

    ``project_registry`` (项目库: the measure's projects, targets and subsidies judged from it),
    ``four_zones`` (一区申请、多区联办 over ``zones``), ``published_lists`` (the ``lists`` it requires) and
    ``voice_channel`` (an enterprise raises a problem and is answered by a deadline). ``provision`` names the
    provision whose citation the feature's page quotes as its basis. In a measure file
    ``features: [project_registry]`` is short for ``features: [{name: project_registry}]``."""

    name: Literal[FEATURES]  # type: ignore[valid-type]
    provision: str | None = None
    zones: list[Zone] = Field(default_factory=list)
    lists: list[ListKind] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fits(self) -> "Feature":
        if self.name == "four_zones" and len(self.zones) < 2:
            raise ValueError("four_zones needs its zones (at least two)")
        if self.name == "published_lists" and not self.lists:
            raise ValueError("published_lists needs its lists")
        if self.zones and self.name != "four_zones":
            raise ValueError("zones are for four_zones only")
        if self.lists and self.name != "published_lists":
            raise ValueError("lists are for published_lists only")
        if len({z.name for z in self.zones}) != len(self.zones) or len({k.key for k in self.lists}) != len(self.lists):
            raise ValueError("zone names and list keys must be unique")
        return self


class Measure(Strict):
    """One of the policy's numbered measures: its verbatim text and what it grants."""

    id: Annotated[str, Field(pattern=MEASURE_ID)]
    number: int = Field(ge=1)
    chapter: int = Field(ge=1)
    title_zh: str
    title_en: str
    summary_en: str
    keywords_zh: list[str] = Field(default_factory=list)
    keywords_en: list[str] = Field(default_factory=list)
    lead_departments_text: str  # the parenthesis at the end of the measure, verbatim
    lead_departments: list[Department] = Field(min_length=1)
    in_force: Period | None = None  # None: the policy's general period applies
    text: str
    provisions: list[Provision] = Field(default_factory=list)
    pools: list[Pool] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    features: list[Feature] = Field(default_factory=list)  # the platform's services the measure calls for
    service: ServiceGuide | None = None  # 办事指南 for every provision of the measure that has none of its own

    @field_validator("features", mode="before")
    @classmethod
    def _feature_shorthand(cls, v):
        return [{"name": f} if isinstance(f, str) else f for f in v] if isinstance(v, list) else v

    @model_validator(mode="after")
    def _features_consistent(self) -> "Measure":
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ValueError("a feature is declared once per measure")
        for i, f in enumerate(self.features):
            if f.provision is not None and self.provision(f.provision) is None:
                raise ValueError(f"features[{i}].provision: '{f.provision}' is not a provision of {self.id}")
            for z in f.zones:
                if z.name not in self.text:
                    raise ValueError(f"features[{i}].zones: '{z.name}' is not named in the measure text")
            for k in f.lists:
                if k.name_zh not in self.text:
                    raise ValueError(f"features[{i}].lists: '{k.name_zh}' is not named in the measure text")
        for t in self.targets:
            for sentence in (t.computed_from.citation if t.computed_from else []):
                if sentence not in self.text:
                    raise ValueError(f"computed_from citation of {t.id} is not verbatim in the text: {sentence[:40]}…")
        return self

    def feature(self, name: str) -> Feature | None:
        """The measure's declaration of feature ``name`` (see :class:`Feature`), or None."""
        return next((f for f in self.features if f.name == name), None)

    @model_validator(mode="after")
    def _consistent(self) -> "Measure":
        if self.id != f"m{self.number:02d}":
            raise ValueError(f"id {self.id} does not match number {self.number}")
        for p in [*self.provisions, *self.pools, *self.targets]:
            if not p.id.startswith(self.id + "."):
                raise ValueError(f"'{p.id}' must start with '{self.id}.'")
        ids = [p.id for p in [*self.provisions, *self.pools, *self.targets]]
        if len(set(ids)) != len(ids):
            raise ValueError("provision, pool and target ids must be unique")
        pool_ids = {p.id for p in self.pools}
        for p in self.provisions:
            if p.pool is not None and p.pool not in pool_ids:
                raise ValueError(f"provision {p.id} draws on unknown pool '{p.pool}'")
        if self.lead_departments_text not in self.text:
            raise ValueError("lead_departments_text is not found in the measure text")
        for d in self.lead_departments:
            core = d.name.removesuffix("管委会").removesuffix("人民政府")
            if core not in self.lead_departments_text:
                raise ValueError(f"department '{d.name}' is not named in lead_departments_text")
        for owner in [*self.provisions, *self.pools, *self.targets]:
            for sentence in owner.citation:
                if sentence not in self.text:
                    raise ValueError(f"citation of {owner.id} is not verbatim in the text: {sentence[:40]}…")
        for owner, guide in [(self.id, self.service), *((p.id, p.service) for p in self.provisions)]:
            for sentence in (guide.citation if guide else []):
                if sentence not in self.text:
                    raise ValueError(f"service citation of {owner} is not verbatim in the text: {sentence[:40]}…")
        if self.service:
            known = {c.id for p in self.provisions for c in p.conditions}
            for mat in self.service.materials:
                for c in mat.proves:
                    if c not in known:
                        raise ValueError(f"service.materials.{mat.id}.proves: '{c}' is not a condition of {self.id}")
        if self.in_force:
            for sentence in self.in_force.citation:
                if sentence not in self.text:
                    raise ValueError("in_force citation is not verbatim in the text")
        return self

    def provision(self, provision_id: str) -> Provision | None:
        return next((p for p in self.provisions if p.id == provision_id), None)

    def service_for(self, provision_id: str) -> ServiceGuide | None:
        """The 办事指南 of a provision: its own, else the measure's (where the text says it for the measure)."""
        p = self.provision(provision_id)
        return (p.service if p is not None else None) or self.service


class Chapter(Strict):
    number: int
    title_zh: str
    title_en: str
    measures: list[Annotated[str, Field(pattern=MEASURE_ID)]]


class OverlapRule(Strict):
    """就高不重复: the same matter is paid once, at the highest level."""

    principle_zh: str
    strategies: list[Literal["highest_only", "top_up"]]
    default_strategy: Literal["highest_only", "top_up"]
    citation: list[str]


class GeneralProvisions(Strict):
    """The closing paragraphs of the text, as rules the engine applies."""

    issued: dt.date
    in_force: Period
    overlap: OverlapRule
    precedence_zh: str  # 国家、省有新规定的，从其规定
    precedence_citation: list[str]
    interpreted_by: Literal["lead_departments"]
    interpretation_citation: list[str]
    duty_to_publish_zh: str
    duty_to_publish_citation: list[str]
    # 申报期: when new applications are accepted. None: the period of validity (in_force) — the text sets no
    # other deadline, and once the policy has lapsed nothing new is granted under it.
    application_window: "Period | None" = None


class PolicyHeader(Strict):
    """policy.yaml: the document's identity, chapters and general provisions."""

    id: str
    title_zh: str
    title_en: str
    issuer_zh: str
    issuer_en: str
    region_zh: str | None = None  # the place the policy governs (a city, a province), for titles and footers
    region_en: str | None = None
    document_zh: str
    source_file: str
    # the English name of each department the measures name (政策原文只有中文): for English pages and answers
    departments_en: dict[str, str] = Field(default_factory=dict)
    chapters: list[Chapter]
    general: GeneralProvisions
