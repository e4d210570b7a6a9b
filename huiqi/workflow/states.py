"""The application's life as a pure state machine: which action moves which status where, and who may act.

draft → submitted → under_review → returned (→ submitted again) / rejected / approved
approved → public_notice (公示; objections may be lodged) → disbursed; a cancellation or a rejection
after an upheld objection releases the money. No I/O here: the service applies these rules.
"""

from __future__ import annotations

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "start_review"): "under_review",
    ("under_review", "return"): "returned",
    ("under_review", "reject"): "rejected",
    ("under_review", "approve"): "approved",
    ("approved", "publish"): "public_notice",
    ("public_notice", "reject"): "rejected",  # an objection upheld
    ("public_notice", "disburse"): "disbursed",
    ("draft", "cancel"): "cancelled",
    ("submitted", "cancel"): "cancelled",
    ("returned", "cancel"): "cancelled",
    ("under_review", "cancel"): "cancelled",
    ("approved", "cancel"): "cancelled",
    ("public_notice", "cancel"): "cancelled",
}

# Who may take each action (the department check for reviewers is separate: see may_review).
ACTORS: dict[str, frozenset[str]] = {
    "submit": frozenset({"applicant"}),
    "start_review": frozenset({"reviewer"}),
    "return": frozenset({"reviewer"}),
    "reject": frozenset({"reviewer"}),
    "approve": frozenset({"reviewer"}),
    "publish": frozenset({"finance"}),
    "disburse": frozenset({"finance"}),
    "cancel": frozenset({"applicant", "finance"}),
}
HOLDS_MONEY = frozenset({"approved", "public_notice"})  # statuses with a reservation in a pool
STATUS_ZH = {
    "draft": "草稿", "submitted": "已提交", "under_review": "审核中", "returned": "退回补充材料", "rejected": "未通过",
    "approved": "已批准", "public_notice": "公示中", "disbursed": "已拨付", "cancelled": "已撤销",
}


class TransitionError(ValueError):
    """The action is not allowed from the application's current status."""


def next_status(status: str, action: str) -> str:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionError(f"cannot {action} an application that is {status} / 当前状态（{STATUS_ZH.get(status, status)}）不允许此操作") from None


def may_review(department: str | None, lead_departments: list[str]) -> bool:
    """A reviewer acts only on provisions whose lead departments include theirs."""
    return department is not None and department in lead_departments
