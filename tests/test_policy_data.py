"""The policy data is complete and exact: every measure, every figure of the digest, verbatim text."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from huiqi.rules.model import ProvisionKind

D = dt.date
IN_FORCE = (D(2024, 3, 28), D(2024, 12, 31))
CN_NUM = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    if n <= 10:
        return CN_NUM[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_NUM[tens - 1]) + "十" + (CN_NUM[ones - 1] if ones else "")


def test_thirty_measures_in_text_order(policy):
    assert [m.id for m in policy.measures] == [f"m{i:02d}" for i in range(1, 31)]
    for m in policy.measures:
        assert m.text.startswith(f"（{cn_number(m.number)}）{m.title_zh}。"), m.id


def test_texts_are_verbatim_slices_covering_every_measure(policy):
    """Each text is a slice of the source; in order they are exactly the source's 30 numbered paragraphs."""
    paragraphs = [p for p in policy.source_text.split("\n") if re.match(r"^（[一二三四五六七八九十]+）", p)]
    assert len(paragraphs) == 30
    assert [m.text for m in policy.measures] == paragraphs
    position = 0
    for m in policy.measures:
        at = policy.source_text.index(m.text, position)
        assert at >= position
        position = at + len(m.text)


def test_source_copy_is_the_shared_original(policy):
    from pathlib import Path

    shared = Path(__file__).resolve().parents[2] / "shared/policy/kunming-2024-recovery-measures.zh.txt"
    if not shared.exists():
        pytest.skip("the shared policy folder is not beside this checkout")
    assert shared.read_text(encoding="utf-8") == policy.source_text


def test_every_measure_has_departments_provisions_and_english(policy):
    for m in policy.measures:
        assert m.lead_departments, m.id
        assert m.provisions, m.id
        assert m.title_en and "TODO" not in m.title_en, m.id
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", m.summary_en.strip()) if s]
        assert len(sentences) == 2, (m.id, m.summary_en)


def test_lead_departments_as_written(policy):
    assert [d.name for d in policy.measure("m07").lead_departments] == ["市工业和信息化局"]
    assert [d.name for d in policy.measure("m13").lead_departments] == ["市住房城乡建设局", "市住房公积金中心"]
    m05 = policy.measure("m05")
    assert {d.role for d in m05.lead_departments} == {"by_duty"}
    assert "磨憨—磨丁合作区管委会" in [d.name for d in m05.lead_departments]
    m21 = {d.name: d.role for d in policy.measure("m21").lead_departments}
    assert m21["市发展改革委"] == "lead" and m21["昆明综保区管委会"] == "by_duty"
    assert "各产业链办公室" in [d.name for d in policy.measure("m17").lead_departments]
    assert "市妇联" in [d.name for d in policy.measure("m30").lead_departments]


def test_general_provisions_are_encoded(policy):
    g = policy.header.general
    assert (g.in_force.start, g.in_force.end) == IN_FORCE
    assert g.issued == D(2024, 3, 28)
    assert g.overlap.principle_zh == "就高不重复"
    assert g.overlap.default_strategy == "highest_only"
    assert set(g.overlap.strategies) == {"highest_only", "top_up"}
    assert g.interpreted_by == "lead_departments"
    for m in policy.measures:  # no measure names its own period, so the general one applies
        assert (policy.in_force(m).start, policy.in_force(m).end) == IN_FORCE


# (provision, parameter, value, comparison or None) — read from the Chinese text, not from the data files.
FIGURES = [
    ("m02.innovation_platform_award_national", "cap", Decimal(500000), None),
    ("m02.innovation_platform_award_provincial", "cap", Decimal(200000), None),
    ("m02.innovation_platform_award_municipal", "cap", Decimal(100000), None),
    ("m02.sci_tech_innovation_centre_award", "amount", Decimal(200000), None),
    ("m03.small_to_scale_award", "amount", Decimal(100000), None),
    ("m03.small_to_scale_award", "window_start", D(2022, 11, 1), ">="),
    ("m03.small_to_scale_award", "window_end", D(2024, 2, 29), "<="),
    ("m03.new_build_to_scale_award", "amount", Decimal(200000), None),
    ("m03.new_build_to_scale_award", "window_start", D(2023, 1, 1), ">="),
    ("m03.new_build_to_scale_award", "window_end", D(2024, 2, 29), "<="),
    ("m07.internet_software_first_scale_award", "amount", Decimal(100000), None),
    ("m07.internet_software_development_award", "cap", Decimal(500000), "<="),
    ("m07.compute_voucher", "rate", Decimal("0.30"), None),
    ("m07.compute_voucher", "cap", Decimal(500000), "<="),
    ("m08.commerce_first_scale_award", "cap", Decimal(50000), "<="),
    ("m12.nev_purchase_tax_exemption", "cap_per_vehicle", Decimal(30000), "<="),
    ("m13.provident_fund_loan_uplift", "uplift_second_child", Decimal("0.20"), None),
    ("m13.provident_fund_loan_uplift", "uplift_third_child", Decimal("0.30"), None),
    ("m16.major_industrial_project_subsidy", "min_annual_investment", Decimal(100000000), ">="),
    ("m16.technical_renovation_subsidy", "min_fixed_asset_investment", Decimal(10000000), ">="),
    ("m19.cross_border_ecommerce_park_support", "min_enterprises", Decimal(30), ">"),
    ("m22.mohan_project_subsidy", "min_annual_fixed_asset_investment", Decimal(50000000), ">="),
    ("m23.little_giant_award", "amount", Decimal(1000000), None),
    ("m24.bid_bond_waiver", "max_bid_value", Decimal(10000000), "<="),
    ("m24.bid_bond_by_guarantee", "min_bid_value", Decimal(10000000), ">"),
    ("m24.sme_reserved_procurement", "max_goods_services_value", Decimal(2000000), "<="),
    ("m24.sme_reserved_procurement", "max_works_value", Decimal(4000000), "<="),
    ("m25.small_scale_vat_exemption", "monthly_sales_threshold", Decimal(100000), "<="),
    ("m25.small_scale_vat_reduced_rate", "reduced_rate", Decimal("0.01"), None),
    ("m25.small_scale_vat_reduced_rate", "statutory_rate", Decimal("0.03"), None),
    ("m26.guarantee_fee_subsidy", "rate", Decimal("0.01"), None),
    ("m26.guarantee_fee_subsidy", "max_single_client_amount", Decimal(5000000), "<="),
    ("m26.guarantee_fee_subsidy", "max_fee_rate", Decimal("0.01"), "<="),
    ("m26.neeq_listing_award", "amount", Decimal(500000), None),
    ("m28.startup_loan_individual", "cap", Decimal(300000), None),
    ("m28.startup_loan_small_micro", "cap", Decimal(4000000), None),
    ("m28.pension_employer_rate", "employer_rate", Decimal("0.16"), None),
    ("m28.work_injury_rate_reduction", "base_rate_factor", Decimal("0.90"), None),
    ("m28.unemployment_insurance_rate", "total_rate", Decimal("0.01"), None),
]


def _provision(policy, pid):
    measure = policy.measure(pid.split(".")[0])
    provision = measure.provision(pid)
    assert provision is not None, f"missing provision {pid}"
    return provision


@pytest.mark.parametrize("pid,name,value,comparison", FIGURES, ids=[f"{p}.{n}" for p, n, _, _ in FIGURES])
def test_digest_figure_is_a_dated_parameter(policy, pid, name, value, comparison):
    param = _provision(policy, pid).parameters[name]
    assert param.value_on(IN_FORCE[0]) == value
    assert param.value_on(IN_FORCE[1]) == value
    assert param.value_on(IN_FORCE[0] - dt.timedelta(days=1)) is None
    assert param.value_on(IN_FORCE[1] + dt.timedelta(days=1)) is None
    if comparison:
        assert param.comparison is not None and param.comparison.value == comparison


KINDS = {
    "m02.innovation_platform_award_national": ProvisionKind.capped_award,
    "m02.sci_tech_innovation_centre_award": ProvisionKind.fixed_award,
    "m03.small_to_scale_award": ProvisionKind.fixed_award,
    "m07.compute_voucher": ProvisionKind.share_with_cap,
    "m07.internet_software_development_award": ProvisionKind.capped_award,
    "m08.commerce_first_scale_award": ProvisionKind.capped_award,
    "m12.nev_purchase_tax_exemption": ProvisionKind.tax_relief,
    "m13.provident_fund_loan_uplift": ProvisionKind.loan_limit,
    "m16.major_industrial_project_subsidy": ProvisionKind.referral,
    "m23.little_giant_award": ProvisionKind.fixed_award,
    "m24.bid_bond_waiver": ProvisionKind.determination,
    "m25.small_scale_vat_exemption": ProvisionKind.tax_relief,
    "m26.guarantee_fee_subsidy": ProvisionKind.share_with_cap,
    "m28.startup_loan_small_micro": ProvisionKind.loan_limit,
}


@pytest.mark.parametrize("pid,kind", KINDS.items())
def test_provision_kinds(policy, pid, kind):
    assert _provision(policy, pid).kind is kind


def test_compute_voucher_is_capped_per_year_from_its_pool(policy):
    p = _provision(policy, "m07.compute_voucher")
    # 按实际支出费用给予30%补助 is an exact amount; 每年最高50万元 caps the year's total
    assert not p.is_cap and p.cap_period == "per_year" and p.pool == "m07.compute_voucher_pool"
    assert _provision(policy, "m26.guarantee_fee_subsidy").is_cap  # 不超过1%


POOLS = {"m07": Decimal(30_000_000), "m15": Decimal(167_000_000), "m20": Decimal(25_000_000), "m22": Decimal(1_000_000_000)}


@pytest.mark.parametrize("mid,total", POOLS.items())
def test_budget_pools(policy, mid, total):
    pools = policy.measure(mid).pools
    assert [p.total for p in pools] == [total]


def test_pools_only_where_the_text_sets_one(policy):
    assert {m.id for m in policy.measures if m.pools} == set(POOLS)


def _target_values(policy, mid):
    return sorted(t.value for t in policy.measure(mid).targets if t.value is not None)


def test_targets(policy):
    assert _target_values(policy, "m17") == [20, 100, 160]
    assert _target_values(policy, "m29") == [44, 4000, 9235, 30000]
    assert _target_values(policy, "m30") == [Decimal("0.88"), 1]
    m17 = {t.value: t for t in policy.measure("m17").targets}
    assert Decimal(100_000_000) in m17[160].thresholds.values()
    assert Decimal(1_000_000_000) in m17[20].thresholds.values()
    named = {i for t in policy.measure("m16").targets for i in t.items}
    assert named == {"中粮油脂", "云铜锌业", "裕能二期", "杉杉新材料", "友天新能源", "宇泽单晶硅"}


# Referrals the digest lists: (measure, a word the provision's title or note must contain).
REFERRALS = [
    ("m01", "人才"), ("m02", "首台"), ("m02", "攻关"), ("m03", "降本增效"), ("m04", "财园助企贷"),
    ("m07", "数字化转型"), ("m07", "小灯塔"), ("m08", "总部"), ("m08", "连锁"), ("m08", "楼宇"),
    ("m11", "便民生活圈"), ("m12", "家电"), ("m13", "购房补贴"), ("m13", "灵活就业"),
    ("m19", "海外仓"), ("m19", "外贸综合服务平台"), ("m20", "多式联运"), ("m25", "总部"), ("m26", "上市"),
    ("m30", "生育"),
]


@pytest.mark.parametrize("mid,word", REFERRALS)
def test_referral_provisions_present(policy, mid, word):
    found = [
        p for p in policy.measure(mid).provisions
        if word in p.title_zh + (p.referral_note_zh or "") + "".join(c.zh for c in p.conditions)
    ]
    assert found, f"{mid}: no provision about {word}"
    assert all(p.citation for p in found)


def test_every_citation_is_verbatim(policy):
    for m in policy.measures:
        for p in m.provisions:
            for sentence in p.citation:
                assert sentence in m.text, (p.id, sentence)


def test_caps_are_marked(policy):
    for p in policy.provisions():
        default = p.kind in {ProvisionKind.capped_award, ProvisionKind.loan_limit}
        assert p.is_cap == (p.cap if p.cap is not None else default)
    assert {p.id for p in policy.provisions() if p.cap is not None} == {"m26.guarantee_fee_subsidy"}


def test_policy_version_is_a_content_hash(policy):
    assert re.fullmatch(r"[0-9a-f]{16}", policy.version)
