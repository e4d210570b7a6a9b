"""The applicant profile: the facts the policy depends on, as a validated model.

Published as JSON Schema (``huiqi schema profile``, ``GET /api/v1/schema/profile``).
Bad input is refused with the path of the field: a credit code with a wrong check
character, an impossible date, a negative or sub-fen amount, an unknown district
or industry code. Money is exact (Decimal yuan, at most two decimals).

The profile has the applicant's standing facts (who it is, where, which industry,
how big) and lists of dated events (recognitions, claims, purchases …). A provision
is judged over the applicant or over each event of one list (see
``Provision.subject``). The event lists are not written here: they are built from the
event kinds' schema (:mod:`huiqi.profile.kinds`) — :data:`Profile` has the core kinds,
:func:`profile_model` a policy's (the core plus those of its folder's events.yaml).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator

from huiqi.parse.money import yuan_validator  # the one strict form of an amount: no 1e3, 1_000, JSON floats
from huiqi.profile import kinds as kinds_mod

MAX_MONEY = Decimal("1000000000000")  # 1万亿 yuan: nothing in this policy comes near it
MAX_EVENTS = 500


def _money(v: Decimal) -> Decimal:
    if not v.is_finite():
        raise ValueError("金额必须是有限数字 / amount must be a finite number")
    if v < 0:
        raise ValueError("金额不能为负数 / amount must not be negative")
    if v > MAX_MONEY:  # before quantize: a huge number would overflow the decimal context
        raise ValueError("金额超出合理范围 / amount is beyond any plausible figure")
    if v != v.quantize(Decimal("0.01")):
        raise ValueError("金额最小单位为分（两位小数） / amount must be exact to the fen (at most two decimals)")
    return v


def _ratio(v: Decimal) -> Decimal:
    if not v.is_finite() or v < 0 or v > 1:
        raise ValueError("比例须在0到1之间（30%写作0.30） / a ratio lies between 0 and 1 (30% is 0.30)")
    return v


def _credit_code(v: str) -> str:
    from huiqi.standards.uscc import validate_uscc

    return validate_uscc(v)


def _district(v: str) -> str:
    from huiqi.standards.divisions import validate_district

    return validate_district(v).code


def _industry(v: str) -> str:
    from huiqi.standards.industries import validate_industry

    return validate_industry(v).code


Money = Annotated[Decimal, yuan_validator(), AfterValidator(_money), Field(description="元，最多两位小数 / yuan, exact to the fen")]
Ratio = Annotated[Decimal, AfterValidator(_ratio), Field(description="比例，30%写作0.30 / ratio, 30% is 0.30")]
CreditCode = Annotated[str, Field(min_length=18, max_length=18, description="统一社会信用代码 (GB 32100)"), AfterValidator(_credit_code)]
DistrictCode = Annotated[str, Field(max_length=9, description="行政区划代码，如 530102 五华区"), AfterValidator(_district)]
IndustryCode = Annotated[str, Field(max_length=4, description="国民经济行业分类 GB/T 4754-2017 代码，如 6513"), AfterValidator(_industry)]
EventId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w\-.]+$")]


class Base(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApplicantKind(str, Enum):
    enterprise = "enterprise"  # 企业（含个体工商户）
    individual = "individual"  # 个人或家庭
    park_operator = "park_operator"  # 园区运营方
    guarantee_institution = "guarantee_institution"  # 融资担保机构
    procuring_entity = "procuring_entity"  # 采购人


class SizeClass(str, Enum):
    micro = "micro"
    small = "small"
    medium = "medium"
    large = "large"


class Event(Base):
    id: EventId | None = None
    date: dt.date = Field(description="事项日期 / date of the event")


# -- the event kinds, from their schema (huiqi/profile/events.yaml, a policy's events.yaml) ---------------------

_TYPES = {"date": dt.date, "money": Money, "ratio": Ratio, "bool": bool, "int": int, "text": str, "credit_code": CreditCode}


def _field(spec) -> tuple[object, object]:
    """(annotation, FieldInfo) of one field of the schema: its type, limits, default and description."""
    annotation = Literal[tuple(spec.values)] if spec.type == "enum" else _TYPES[spec.type]
    extra: dict = {}
    if spec.description:
        extra["description"] = spec.description
    if spec.min is not None:
        extra["ge"] = spec.min
    if spec.max is not None:
        extra["le"] = spec.max
    if spec.max_length is not None:
        extra["max_length"] = spec.max_length
    if spec.optional:
        return annotation | None, Field(default=None, **extra)
    if spec.default is not None:
        default = Decimal(spec.default) if spec.type in ("money", "ratio") else spec.default
        return annotation, Field(default=default, **extra)
    return annotation, Field(**extra)


def event_model(kind) -> type[Event]:
    """The pydantic model of one event kind (``ComputeClaim`` …), built from its schema."""
    fields = {name: _field(spec) for name, spec in kind.fields.items()}
    return create_model(kind.spec.model, __base__=Event, __doc__=kind.spec.about, __module__=__name__, **fields)


class OtherSupport(Base):
    """已从其他层级政府获得的同类支持（就高不重复）。"""

    provision: Annotated[str, Field(pattern=r"^m\d\d\.[a-z][a-z0-9_]*$")]
    level: Literal["national", "provincial", "municipal", "district"]
    amount: Money
    event_id: EventId | None = None


class ProfileBase(Base):
    """申请人画像 / applicant profile."""

    event_list_names: ClassVar[tuple[str, ...]] = ()  # its event lists, in the schema's order
    kinds: ClassVar[object] = None  # the KindSet it was built from

    id: EventId | None = None
    kind: ApplicantKind
    name: str = Field(min_length=1, max_length=200)
    credit_code: CreditCode | None = None
    district: DistrictCode | None = None
    industry: IndustryCode | None = None
    employees: int | None = Field(default=None, ge=0, le=10_000_000)
    revenue: Money | None = None
    assets: Money | None = None
    size_class: SizeClass | None = Field(default=None, description="不填则按中小企业划型标准推算")
    in_statistics_db: bool | None = Field(default=None, description="是否在库（纳入统计联网直报）")
    has_dishonesty_record: bool | None = None
    small_scale_vat_taxpayer: bool | None = None
    cross_border_ecommerce_enterprises: int | None = Field(default=None, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _organisations_have_codes(self) -> "ProfileBase":
        if self.kind is not ApplicantKind.individual and self.credit_code is None:
            raise ValueError("credit_code: 单位申请人须填写统一社会信用代码 / an organisation needs its credit code")
        return self

    def event_lists(self) -> dict[str, list[Event]]:
        return {name: getattr(self, name) for name in self.event_list_names}


def _build(kinds) -> tuple[type[ProfileBase], dict[str, type[Event]]]:
    models = {k.name: EVENT_MODELS.get(k.name) if k.source == "core" and k.name in EVENT_MODELS else event_model(k)
              for k in kinds.kinds}
    lists = {name: (list[m], Field(default_factory=list, max_length=MAX_EVENTS)) for name, m in models.items()}
    name = "Profile" if kinds.key == "core" else "Profile_" + kinds.key.split("@")[0]
    model = create_model(name, __base__=ProfileBase, __module__=__name__, __doc__=ProfileBase.__doc__,
                         other_support=(list[OtherSupport], Field(default_factory=list, max_length=MAX_EVENTS)), **lists)
    model.event_list_names = tuple(models)
    model.kinds = kinds
    return model, models


EVENT_MODELS: dict[str, type[Event]] = {}
_core_kinds = kinds_mod.core()
Profile, EVENT_MODELS = _build(_core_kinds)
EVENT_LISTS: tuple[str, ...] = _core_kinds.names  # the core kinds' lists (a policy's model may have more)
# EVENT_MODELS: list name → its event model (ComputeClaim …), as the schema names them

_MODELS: dict[str, type[ProfileBase]] = {"core": Profile}


def profile_model(policy_or_kinds=None) -> type[ProfileBase]:
    """The profile model of a policy (core kinds + the policy's own), or of a kind set; None is the core
    :class:`Profile`. Built once per policy."""
    kinds = kinds_of(policy_or_kinds)
    model = _MODELS.get(kinds.key)
    if model is None or model.event_list_names != kinds.names:
        model, _ = _build(kinds)
        _MODELS[kinds.key] = model
    return model


def kinds_of(policy_or_kinds=None):
    """The kind set of a policy (its ``kinds``), of a kind set, or the core one for None."""
    if policy_or_kinds is None:
        return _core_kinds
    if isinstance(policy_or_kinds, kinds_mod.KindSet):
        return policy_or_kinds
    return getattr(policy_or_kinds, "kinds", None) or _core_kinds  # a Policy (or a profile model)


def event_model_of(profile_model_: type[ProfileBase], list_name: str) -> type[Event]:
    """The event model of one list of a profile model."""
    import typing

    (model,) = typing.get_args(profile_model_.model_fields[list_name].annotation)
    return model
