"""The applicant profile: the facts the policy depends on, as a validated model.

Published as JSON Schema (``huiqi schema profile``, ``GET /api/v1/schema/profile``).
Bad input is refused with the path of the field: a credit code with a wrong check
character, an impossible date, a negative or sub-fen amount, an unknown district
or industry code. Money is exact (Decimal yuan, at most two decimals).

The profile has the applicant's standing facts (who it is, where, which industry,
how big) and lists of dated events (recognitions, claims, purchases …). A provision
is judged over the applicant or over each event of one list (see
``Provision.subject``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

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


Money = Annotated[Decimal, AfterValidator(_money), Field(description="元，最多两位小数 / yuan, exact to the fen")]
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


class Recognition(Event):
    """认定：企业技术中心、专精特新“小巨人”等（类型用政策原文名称）。"""

    type: Literal[
        "企业技术中心", "制造业单项冠军", "服务型制造示范企业（平台）", "技术创新示范企业", "制造业创新中心",
        "工业企业质量标杆", "工业设计中心", "企业科技创新中心", "专精特新“小巨人”", "首台（套）重大技术装备",
        "总部企业", "数字化转型“小灯塔”", "数字化车间", "智能工厂", "“链式”转型案例",
    ]
    level: Literal["national", "provincial", "municipal"] | None = None


class ScaleEntry(Event):
    """首次进入规模（限额）以上并纳入统计：小升规或新建投产入规。"""

    path: Literal["small_to_scale", "new_build"] = Field(description="小升规 / 新建投产入规")
    first_time: bool = True


class Listing(Event):
    board: Literal["neeq", "sse", "szse", "bse", "hkex", "overseas"]


class ComputeClaim(Event):
    """算力券：租赁算力、购买大模型应用产品或使用大模型技术与服务的实际支出。"""

    category: Literal["compute_rental", "model_product", "model_service"]
    spend: Money


class Project(Event):
    """投资项目：年度投资、固定资产投资（不含土地款）、设备购置。"""

    name: str | None = Field(default=None, max_length=200)
    annual_investment: Money | None = Field(default=None, description="年度投资额")
    annual_fixed_asset_investment: Money | None = Field(default=None, description="年度工业固定资产实际投资额（不含土地款）")
    fixed_asset_investment: Money | None = Field(default=None, description="项目固定资产投资")
    equipment_investment: Money | None = None
    fits_park_leading_industry: bool | None = None
    technical_renovation: bool = False
    in_mohan_border_park: bool = False
    park_development_mode: bool | None = Field(default=None, description="以“园中园”模式参与园区开发")


class Guarantee(Event):
    """融资担保机构上年度的单户担保业务。"""

    client_credit_code: CreditCode | None = None
    amount: Money
    fee_rate: Ratio


class Tender(Event):
    government_invested: bool
    must_tender: bool = True
    bid_value: Money


class Procurement(Event):
    category: Literal["goods", "services", "works"]
    value: Money
    above_procurement_threshold: bool = True
    suitable_for_sme: bool = True


class Vehicle(Event):
    """购车：日期为机动车销售统一发票日期。"""

    price_incl_vat: Money
    vat_rate: Ratio = Decimal("0.13")
    new_energy: bool
    passenger_car: bool = True
    in_exemption_catalogue: bool = True


class HomePurchase(Event):
    first_home: bool
    self_occupied: bool = True
    provident_fund_depositor: bool
    children: int = Field(ge=0, le=20)
    base_max_loan: Money | None = Field(default=None, description="公积金中心规定的最高贷款额度（未上浮）")


class StartupLoan(Event):
    amount_requested: Money | None = None


class Payroll(Event):
    wage_base: Money = Field(description="缴费工资基数总额 / total contribution wage base")
    work_injury_base_rate: Ratio | None = Field(default=None, description="行业工伤保险基准费率")


class VatPeriod(Event):
    """按月申报的小规模纳税人：date 为所属月份任一日，sales 为不含税销售额。"""

    sales: Money


class OtherSupport(Base):
    """已从其他层级政府获得的同类支持（就高不重复）。"""

    provision: Annotated[str, Field(pattern=r"^m\d\d\.[a-z][a-z0-9_]*$")]
    level: Literal["national", "provincial", "municipal", "district"]
    amount: Money
    event_id: EventId | None = None


class Profile(Base):
    """申请人画像 / applicant profile."""

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

    recognitions: list[Recognition] = Field(default_factory=list, max_length=MAX_EVENTS)
    scale_entries: list[ScaleEntry] = Field(default_factory=list, max_length=MAX_EVENTS)
    listings: list[Listing] = Field(default_factory=list, max_length=MAX_EVENTS)
    compute_claims: list[ComputeClaim] = Field(default_factory=list, max_length=MAX_EVENTS)
    projects: list[Project] = Field(default_factory=list, max_length=MAX_EVENTS)
    guarantees: list[Guarantee] = Field(default_factory=list, max_length=MAX_EVENTS)
    tenders: list[Tender] = Field(default_factory=list, max_length=MAX_EVENTS)
    procurements: list[Procurement] = Field(default_factory=list, max_length=MAX_EVENTS)
    vehicles: list[Vehicle] = Field(default_factory=list, max_length=MAX_EVENTS)
    home_purchases: list[HomePurchase] = Field(default_factory=list, max_length=MAX_EVENTS)
    startup_loans: list[StartupLoan] = Field(default_factory=list, max_length=MAX_EVENTS)
    payrolls: list[Payroll] = Field(default_factory=list, max_length=MAX_EVENTS)
    vat_periods: list[VatPeriod] = Field(default_factory=list, max_length=MAX_EVENTS)
    other_support: list[OtherSupport] = Field(default_factory=list, max_length=MAX_EVENTS)

    @model_validator(mode="after")
    def _organisations_have_codes(self) -> "Profile":
        if self.kind is not ApplicantKind.individual and self.credit_code is None:
            raise ValueError("credit_code: 单位申请人须填写统一社会信用代码 / an organisation needs its credit code")
        return self

    def event_lists(self) -> dict[str, list[Event]]:
        return {name: getattr(self, name) for name in EVENT_LISTS}


EVENT_LISTS = (
    "recognitions", "scale_entries", "listings", "compute_claims", "projects", "guarantees",
    "tenders", "procurements", "vehicles", "home_purchases", "startup_loans", "payrolls", "vat_periods",
)
