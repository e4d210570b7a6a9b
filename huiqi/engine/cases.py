"""Test cases a policy officer can write: readable YAML, run without Python.

A case file covers one measure::

    measure: m03
    cases:
      - name: 2023年6月小升规的在库工业企业获10万元奖补
        as_of: 2024-06-30
        profile: {kind: enterprise, name: 示例, credit_code: ..., industry: "1310", in_statistics_db: true,
                  scale_entries: [{date: 2023-06-15, path: small_to_scale}]}
        expect:
          m03.small_to_scale_award: {status: eligible, amount: "100000.00", is_cap: false}

An expectation key is a provision id, or ``provision@event_id`` where the provision
is judged per event. ``amount`` is in yuan (exact decimal); ``amount: null`` means no
amount. ``explanation_contains`` checks a phrase of the Chinese explanation.
``huiqi test FILE.yaml`` runs a file and prints, for a failing case, the expected and
actual result with the engine's explanation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from huiqi.rules.loader import PolicyDataError, field_path, read_yaml


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["eligible", "not_eligible", "referral", "expired"] | None = None
    amount: Decimal | None = Field(default=None, description="元")
    no_amount: bool = False
    is_cap: bool | None = None
    explanation_contains: str | None = None
    figures: dict[str, Decimal] = Field(default_factory=dict)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    as_of: dt.date
    strategy: Literal["highest_only", "top_up"] | None = None
    profile: dict[str, Any]
    expect: dict[str, Expectation] = Field(default_factory=dict)
    expect_total: Decimal | None = Field(default=None, description="元：全部可得奖补和减免合计")
    expect_error: str | None = Field(default=None, description="画像应被拒绝，错误须指明此字段，如 other_support[0].event_id")

    @model_validator(mode="after")
    def _expects_something(self) -> "Case":
        if not self.expect and self.expect_total is None and self.expect_error is None:
            raise ValueError("a case needs expect, expect_total or expect_error")
        if self.expect_error and (self.expect or self.expect_total is not None):
            raise ValueError("a refused profile has no results: use expect_error alone")
        return self


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: str | None = Field(default=None, max_length=64, description="政策编号；省略时为默认政策")
    measure: str = Field(pattern=r"^m\d\d$")
    cases: list[Case] = Field(min_length=1)


def load_cases(path: Path) -> CaseFile:
    data = read_yaml(path)
    # YAML dates are kept as text by read_yaml; amounts written as numbers arrive as Decimal/int.
    try:
        return CaseFile.model_validate(data)
    except ValidationError as e:
        lines = [f"{path.name}: {field_path(err['loc'])}: {err['msg']}" for err in e.errors()]
        raise PolicyDataError("\n".join(lines)) from None


# An evaluator takes (profile dict, as_of, strategy) and returns the evaluation as plain JSON data.
Evaluator = Callable[[dict[str, Any], dt.date, str | None], dict[str, Any]]


@dataclass
class CaseOutcome:
    case: Case
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(result: dict[str, Any], key: str) -> list[dict[str, Any]]:
    pid, _, event = key.partition("@")
    rows = [r for r in result["results"] if r["provision_id"] == pid]
    if event:
        rows = [r for r in rows if r["event_id"] == event]
    return rows


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


def check_case(case: Case, result: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for key, exp in case.expect.items():
        rows = _rows(result, key)
        if len(rows) != 1:
            problems.append(f"{key}: expected one result, found {len(rows)} (use provision@event_id for events)")
            continue
        row = rows[0]
        why = f"\n      说明: {row['explanation_zh']}\n      explanation: {row['explanation_en']}"
        actual_amount = _yuan(row["amount_fen"])
        if exp.status and row["status"] != exp.status:
            problems.append(f"{key}: status expected {exp.status}, got {row['status']}{why}")
        if exp.amount is not None and actual_amount != exp.amount.quantize(Decimal("0.01")):
            problems.append(f"{key}: amount expected ¥{exp.amount:,.2f}, got {('¥' + format(actual_amount, ',.2f')) if actual_amount is not None else 'none'}{why}")
        if exp.no_amount and actual_amount is not None:
            problems.append(f"{key}: expected no amount, got ¥{actual_amount:,.2f}{why}")
        if exp.is_cap is not None and row["is_cap"] != exp.is_cap:
            problems.append(f"{key}: is_cap expected {exp.is_cap}, got {row['is_cap']}")
        if exp.explanation_contains and exp.explanation_contains not in row["explanation_zh"]:
            problems.append(f"{key}: explanation should contain '{exp.explanation_contains}'{why}")
        for name, value in exp.figures.items():
            got = row["figures"].get(name)
            if got is None or Decimal(str(got)).quantize(Decimal("0.01")) != value.quantize(Decimal("0.01")):
                problems.append(f"{key}: figure {name} expected {value}, got {got}{why}")
    if case.expect_total is not None:
        got = _yuan(result["totals"]["overall"]["money_fen"])
        if got != case.expect_total.quantize(Decimal("0.01")):
            problems.append(f"total: expected ¥{case.expect_total:,.2f}, got ¥{got:,.2f}")
    return problems


def run_cases(cases: CaseFile, evaluator: Evaluator) -> list[CaseOutcome]:
    out = []
    for case in cases.cases:
        try:
            result = evaluator(case.profile, case.as_of, case.strategy)
        except ValueError as e:
            if case.expect_error and case.expect_error in str(e):
                out.append(CaseOutcome(case, []))
            else:
                out.append(CaseOutcome(case, [f"the profile was refused: {e}"]))
            continue
        if case.expect_error:
            out.append(CaseOutcome(case, [f"expected the profile to be refused at {case.expect_error}, but it was accepted"]))
            continue
        out.append(CaseOutcome(case, check_case(case, result)))
    return out


def in_process_evaluator(policy_id: str | None = None) -> Evaluator:
    """Evaluate through the Python engine, returning the same JSON the CLI and API give."""
    import json

    from huiqi import policies
    from huiqi.engine.evaluate import evaluate
    from huiqi.profile.model import profile_model
    from huiqi.rules.loader import dumps

    policy = policies.load(policy_id)
    model = profile_model(policy)  # the core kinds and the policy's own (its events.yaml)

    def run(profile: dict[str, Any], as_of: dt.date, strategy: str | None) -> dict[str, Any]:
        p = model.model_validate(profile)
        return json.loads(dumps(evaluate(policy, p, as_of, strategy).as_dict()))  # type: ignore[arg-type]

    return run
