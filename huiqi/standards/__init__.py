"""National standards the policy depends on, as checked code over versioned data files.

Why a package of its own: eligibility rules key on enterprise identity and classification —
credit code (GB 32100-2015), industry (GB/T 4754-2017), SME size (工信部联企业〔2011〕300号 /
国统字〔2017〕213号), 规上/限上 thresholds, and Kunming's divisions — and each has traps (letters never
used in credit codes, codes that outlive reorganisations, zones without county codes) that are best
solved once.  Tables live in ``huiqi/standards/data/``; see ``shared/reference/STANDARDS.md``.
"""

from huiqi.standards.divisions import (
    District,
    SpecialZone,
    UnknownDistrictCode,
    current_district,
    is_main_urban,
    validate_district,
)
from huiqi.standards.industries import (
    AboveScaleRule,
    AmbiguousIndustryCode,
    Industry,
    UnknownIndustryCode,
    above_scale_rule,
    above_scale_threshold,
    is_commerce,
    is_industrial,
    is_internet_or_software,
    lookup,
    section_of,
    validate_industry,
)
from huiqi.standards.sme_size import MissingFigure, SizeClass, classify
from huiqi.standards.uscc import InvalidCreditCode, entity_type, make_uscc, org_code_check_ok, validate_uscc

__all__ = [
    "AboveScaleRule",
    "AmbiguousIndustryCode",
    "District",
    "Industry",
    "InvalidCreditCode",
    "MissingFigure",
    "SizeClass",
    "SpecialZone",
    "UnknownDistrictCode",
    "UnknownIndustryCode",
    "above_scale_rule",
    "above_scale_threshold",
    "classify",
    "current_district",
    "entity_type",
    "is_commerce",
    "is_industrial",
    "is_internet_or_software",
    "is_main_urban",
    "lookup",
    "make_uscc",
    "org_code_check_ok",
    "section_of",
    "validate_district",
    "validate_industry",
    "validate_uscc",
]
