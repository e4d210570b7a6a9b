"""The event kinds of the applicant profile, with the words people see: one schema.

Each event list of :class:`huiqi.profile.model.Profile` (``compute_claims``, ``vehicles`` …) is an
:class:`Family` here — its name in Chinese and English, the prefix of automatic event ids, the label of
its date, and one :class:`Q` per field a person is asked, with the labels of its choices. The
calculator's questions, the explanations' words for a fact (「首次纳入统计=是」 rather than
``first_time=True``) and the check that every event list is asked about all come from this module;
the field names and types come from the profile model, and an import-time check keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from huiqi.profile.model import EVENT_LISTS, Recognition

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


DATE_Q = {
    "compute_claims": ("支出日期", "Date of the spending"),
    "vehicles": ("发票日期（机动车销售统一发票）", "Invoice date"),
    "vat_periods": ("所属月份中任一日", "Any day of the month declared"),
}


def _lit(*pairs: tuple[str, str, str]) -> tuple[tuple[str, str, str], ...]:
    return tuple(pairs)


LEVELS = _lit(("national", "国家级", "national"), ("provincial", "省级", "provincial"), ("municipal", "市级", "municipal"))
RECOGNITION_TYPES = tuple((v, v, v) for v in Recognition.model_fields["type"].annotation.__args__)


@dataclass(frozen=True)
class Family:
    name: str  # the Profile list
    zh: str
    en: str
    prefix: str  # for automatic event ids
    questions: tuple[Q, ...]
    entity: tuple[Q, ...] = ()  # standing facts asked only when this family is chosen


FAMILIES: tuple[Family, ...] = (
    Family("compute_claims", "算力支出（算力券）", "Compute spending (compute voucher)", "c", (
        Q("category", "支出类别", "Kind of spending", "select", _lit(
            ("compute_rental", "租赁算力", "renting compute"), ("model_product", "购买大模型应用产品", "large-model products"),
            ("model_service", "使用大模型技术与服务", "large-model services"))),
        Q("spend", "实际支出（元）", "Actual spending (yuan)", "money"),
    )),
    Family("vehicles", "购车", "Vehicle purchase", "v", (
        Q("price_incl_vat", "含税价（元）", "Price incl. VAT (yuan)", "money"),
        Q("new_energy", "新能源汽车", "New-energy vehicle", "bool"),
        Q("passenger_car", "乘用车", "Passenger car", "bool", default="yes"),
        Q("in_exemption_catalogue", "列入免征车辆购置税目录", "In the tax exemption catalogue", "bool", default="yes"),
        Q("vat_rate", "增值税税率（小数，如 0.13）", "VAT rate (0.13 for 13%)", "ratio", default="0.13"),
    )),
    Family("recognitions", "获得认定（企业技术中心、专精特新“小巨人”等）", "Recognitions (technology centre, little giant …)", "r", (
        Q("type", "认定类型", "Recognition", "select", RECOGNITION_TYPES),
        Q("level", "级别", "Level", "select", LEVELS, required=False),
    )),
    Family("scale_entries", "首次升规入统（小升规、新建投产入规）", "First entry into the above-scale statistics", "s", (
        Q("path", "方式", "How", "select", _lit(("small_to_scale", "小升规", "grew above scale"), ("new_build", "新建投产入规", "new plant entered"))),
        Q("first_time", "首次纳入统计", "First time", "bool", default="yes"),
    )),
    Family("listings", "上市挂牌", "Listing", "l", (
        Q("board", "板块", "Board", "select", _lit(
            ("neeq", "新三板", "NEEQ"), ("sse", "上交所", "Shanghai SE"), ("szse", "深交所", "Shenzhen SE"),
            ("bse", "北交所", "Beijing SE"), ("hkex", "港交所", "HKEX"), ("overseas", "境外", "overseas"))),
    )),
    Family("home_purchases", "购房", "Home purchase", "h", (
        Q("first_home", "首套住房", "First home", "bool"),
        Q("self_occupied", "自住", "To live in", "bool", default="yes"),
        Q("provident_fund_depositor", "公积金缴存人", "Housing-fund depositor", "bool"),
        Q("children", "子女数", "Children", "int", default="0"),
        Q("base_max_loan", "公积金最高贷款额度（元，未上浮）", "Base loan ceiling (yuan)", "money", required=False),
    )),
    Family("payrolls", "社保缴费（工资基数）", "Social insurance payroll", "p", (
        Q("wage_base", "缴费工资基数总额（元）", "Contribution wage base (yuan)", "money"),
        Q("work_injury_base_rate", "工伤保险基准费率（小数）", "Work-injury base rate (decimal)", "ratio", required=False),
    )),
    Family("vat_periods", "增值税按月申报（小规模纳税人）", "Monthly VAT returns (small-scale taxpayer)", "t", (
        Q("sales", "不含税销售额（元）", "Sales excl. VAT (yuan)", "money"),
    ), entity=(Q("small_scale_vat_taxpayer", "小规模纳税人", "Small-scale VAT taxpayer", "optbool", default="yes", required=False),)),
    Family("projects", "投资项目", "Investment project", "j", (
        Q("name", "项目名称", "Project name", required=False),
        Q("annual_investment", "年度投资额（元）", "Investment this year (yuan)", "money", required=False),
        Q("annual_fixed_asset_investment", "年度工业固定资产投资（元，不含土地款）", "Industrial fixed assets this year (yuan, without land)", "money", required=False),
        Q("fixed_asset_investment", "项目固定资产投资（元）", "Project fixed assets (yuan)", "money", required=False),
        Q("equipment_investment", "设备购置（元）", "Equipment (yuan)", "money", required=False),
        Q("technical_renovation", "技术改造项目", "Technical renovation", "bool", default="no"),
        Q("fits_park_leading_industry", "符合园区主导产业", "Fits the park's leading industry", "optbool", required=False),
        Q("in_mohan_border_park", "位于磨憨跨境产业园区", "In the Mohan border park", "bool", default="no"),
    )),
    Family("guarantees", "融资担保业务（担保机构）", "Guarantees given (guarantee institutions)", "g", (
        Q("amount", "担保金额（元）", "Amount (yuan)", "money"),
        Q("fee_rate", "担保费率（小数，如 0.01）", "Fee rate (0.01 for 1%)", "ratio"),
        Q("client_credit_code", "被担保企业信用代码", "Client's credit code", required=False),
    )),
    Family("tenders", "招标投标", "Tenders", "b", (
        Q("bid_value", "投标项目金额（元）", "Bid value (yuan)", "money"),
        Q("government_invested", "政府投资项目", "Government-invested", "bool"),
        Q("must_tender", "依法必须招标", "Tender required by law", "bool", default="yes"),
    )),
    Family("procurements", "政府采购（采购人）", "Government procurement (procuring entities)", "q", (
        Q("category", "采购类别", "Category", "select", _lit(("goods", "货物", "goods"), ("services", "服务", "services"), ("works", "工程", "works"))),
        Q("value", "采购金额（元）", "Value (yuan)", "money"),
        Q("above_procurement_threshold", "达到采购限额标准", "Above the procurement threshold", "bool", default="yes"),
        Q("suitable_for_sme", "适宜由中小企业提供", "Suitable for SMEs", "bool", default="yes"),
    )),
    Family("startup_loans", "申请创业担保贷款", "Start-up guaranteed loan", "k", (
        Q("amount_requested", "申请金额（元）", "Amount requested (yuan)", "money", required=False),
    )),
)
FAMILY = {f.name: f for f in FAMILIES}
assert set(FAMILY) == set(EVENT_LISTS), "every event list of the profile has its questions"


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
# Facts of an event that no question asks (set by the registry or derived).
EVENT_FACTS: dict[str, tuple[str, str]] = {
    "id": ("事项编号", "item id"), "date": ("事项日期", "date"),
    "park_development_mode": ("以“园中园”模式参与园区开发", "develops the park as a park-in-park"),
    "client_year_total": ("同一被担保企业当年担保金额合计", "the client's guarantees that year in total"),
}


def _event_words() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    labels, values = dict(EVENT_FACTS), {}
    for f in FAMILIES:
        for q in (*f.questions, *f.entity):
            labels.setdefault(q.name, (q.zh, q.en))
            for value, zh, en in q.choices:
                values.setdefault(value, (zh, en))
    return labels, values


EVENT_LABELS, CHOICE_LABELS = _event_words()


def fact_label(key: str, lang: str = "zh") -> str:
    """The words for a fact key such as ``event.first_time`` or ``entity.in_statistics_db``."""
    ns, _, name = key.partition(".")
    words = (ENTITY_FACTS if ns == "entity" else EVENT_LABELS).get(name)
    return (words[0] if lang == "zh" else words[1]) if words else name


def fact_value(value: object, lang: str = "zh") -> str | None:
    """The words for a coded value (``small_to_scale`` → 小升规), or None when it is not a code."""
    words = CHOICE_LABELS.get(value) if isinstance(value, str) else None
    return (words[0] if lang == "zh" else words[1]) if words else None
