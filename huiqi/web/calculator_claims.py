"""The calculator's answer for a signed-in enterprise, beside what it has already applied for.

Three things the answer needs from the enterprise's earlier applications (issue 12, item 5):

- **numbering** — a claim typed anew is numbered by the calculator (c1, c2 …); where an earlier application
  already uses that number for a *different* event of the same kind, the new claim takes the next free number,
  so it is never shown as 「已申请」 for someone else's spending (:func:`renumber_claims`);
- **words, not ids** — each claim is named 「算力支出 第2笔（YYYY-MM-DD，¥300,000.00）」 (:func:`event_labels`);
- **the year's ceiling** — what the workflow ledger has approved this year is fed into the engine's own ``cap``
  step (``evaluate(prior_use=…)``, :func:`huiqi.workflow.service.year_use`), and each card of a yearly-capped
  provision lists the earlier applications and the room left (:func:`year_caps`).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from huiqi.money import format_fen
from huiqi.web.i18n import add

add({
    "claims.nth": ("{family} 第{n}笔", "{family}, claim {n}"),
    "claims.earlier": ("本年度已申请", "Applied for this year"),
    "claims.used_up": ("本年度额度已用完", "This year's ceiling is used up"),
    "claims.left": ("本年度剩余额度 {left}（上限 {cap}，已核定 {used}）", "Left this year: {left} (ceiling {cap}, {used} approved)"),
    "claims.approved": ("核定 {amount}", "approved {amount}"),
    "claims.computed": ("测算 {amount}", "computed {amount}"),
    "claims.renumbered": ("本次新填的事项已另行编号，与已申请的事项区分。", "New items are numbered apart from those already applied for."),
})

LIVE_EXCLUDED = ("cancelled", "rejected")


def _event_of(profile: dict, event_id: str | None) -> tuple[str | None, dict | None]:
    """(list name, event) of ``event_id`` in a stored profile."""
    if not event_id:
        return None, None
    for name, rows in profile.items():
        if isinstance(rows, list):
            for row in rows:
                if isinstance(row, dict) and row.get("id") == event_id:
                    return name, row
    return None, None


def earlier_applications(session, user_id: int, policy_id: str, normalize=None) -> list[dict[str, Any]]:
    """The applicant's applications under one policy, except cancelled and rejected ones, oldest first, each with
    the event it claims as it was stored — through ``normalize`` (the profile model's canonical form, so that
    defaults and number formats compare alike with the calculator's profile) where it reads."""
    from huiqi.storage.models import Application

    rows = session.execute(select(Application).where(
        Application.applicant_id == user_id, Application.policy_id == policy_id,
        Application.status.not_in(LIVE_EXCLUDED)).order_by(Application.id)).scalars().all()
    out = []
    for a in rows:
        stored = json.loads(a.profile_json or "{}")
        if normalize is not None:
            try:
                stored = normalize(stored)
            except ValueError:  # a profile an older policy version accepted: compared as stored
                pass
        family, event = _event_of(stored, a.event_id)
        out.append({"id": a.id, "provision_id": a.provision_id, "event_id": a.event_id, "status": a.status,
                    "approved_fen": a.approved_fen, "entitlement_fen": a.entitlement_fen, "cap_year": a.cap_year,
                    "family": family, "event": event})
    return out


def _norm(v: Any) -> str:
    try:
        return str(Decimal(str(v)).normalize())
    except (InvalidOperation, ValueError):
        return str(v)


def same_event(a: dict, b: dict) -> bool:
    """Two events are the same claim when every fact but the id is the same (1200000.00 = 1200000)."""
    fa = {k: _norm(v) for k, v in a.items() if k != "id" and v not in (None, "")}
    fb = {k: _norm(v) for k, v in b.items() if k != "id" and v not in (None, "")}
    return fa == fb


def renumber_claims(data: dict, earlier: list[dict], prefixes: dict[str, str]) -> tuple[dict, bool]:
    """``data`` with each event whose id an earlier application uses for a different event of the same list given
    the next free id of its list (``prefixes``: list name → id prefix); and whether any was renumbered."""
    used: dict[str, dict[str, list[dict]]] = {}
    for e in earlier:
        if e["family"] and e["event"] is not None:
            used.setdefault(e["family"], {}).setdefault(e["event_id"], []).append(e["event"])
    out, changed = dict(data), False
    for name, prefix in prefixes.items():
        rows = out.get(name)
        if not isinstance(rows, list) or name not in used:
            continue
        taken = {r.get("id") for r in rows if isinstance(r, dict)} | set(used[name])
        new_rows = []
        for r in rows:
            stored = used[name].get(r.get("id")) if isinstance(r, dict) else None
            if stored and not any(same_event(r, s) for s in stored):
                n = 1
                while f"{prefix}{n}" in taken:
                    n += 1
                r = {**r, "id": f"{prefix}{n}"}
                taken.add(r["id"])
                changed = True
            new_rows.append(r)
        out[name] = new_rows
    return out, changed


def _money_of(row: dict, family) -> str:
    for q in family.questions:
        if q.kind == "money" and row.get(q.name) not in (None, ""):
            try:
                return format_fen(int((Decimal(str(row[q.name])) * 100).to_integral_value()))
            except (InvalidOperation, ValueError):
                return ""
    return ""


def label_of(family, n: int | None, row: dict | None, lang: str) -> str:
    """「算力支出 第2笔（YYYY-MM-DD，¥300,000.00）」: the claim's list, its place (when known), its date and amount."""
    from huiqi.web.i18n import translate

    name = family.zh if lang == "zh" else family.en
    words = translate("claims.nth", lang, family=name, n=n) if n else name
    facts = [str(row["date"])] if row and row.get("date") else []
    money = _money_of(row or {}, family)
    if money:
        facts.append(money)
    if not facts:
        return words
    return words + ("（" + "，".join(facts) + "）" if lang == "zh" else " (" + ", ".join(facts) + ")")


def event_labels(data: dict, families: dict, lang: str) -> dict[str, str]:
    """``<list>|<event id>`` → the claim's words, for every event of the profile."""
    out = {}
    for name, family in families.items():
        for n, row in enumerate(data.get(name) or [], start=1):
            if isinstance(row, dict) and row.get("id"):
                out[f"{name}|{row['id']}"] = label_of(family, n, row, lang)
    return out


def label_in(profile: dict, event_id: str | None, policy_id: str | None, lang: str) -> str:
    """The words for one claim of a stored profile (an application's), or its id when it is not found."""
    from huiqi.web.pages_calculator import family_map

    families = family_map(policy_id)
    family, _ = _event_of(profile, event_id)
    if family in families:
        return event_labels(profile, {family: families[family]}, lang).get(f"{family}|{event_id}", event_id or "")
    return event_id or ""


def year_caps(groups: dict, policy, earlier: list[dict], ledger_use: dict[tuple[str, int], int],
              families: dict, lang: str) -> None:
    """Mark each answer of a yearly-capped provision with the year's earlier applications and the room the
    ledger leaves (``x["year_cap"]``): 「本年度额度已用完」 or 「本年度剩余额度 …」."""
    from huiqi.web.i18n import translate
    from huiqi.web.render import _status_label

    for x in [*groups["eligible"], *groups["referral"], *groups["rest"]]:
        r = x["r"]
        measure = policy.measure(r.measure_id)
        provision = measure.provision(r.provision_id) if measure else None
        if provision is None or provision.cap_period != "per_year" or "cap" not in r.parameters:
            continue
        year = r.decision_date.year
        cap_fen = int(Decimal(str(r.parameters["cap"])) * 100)
        used = ledger_use.get((r.provision_id, year), 0)
        mine = [e for e in earlier if e["provision_id"] == r.provision_id and e["cap_year"] in (year, None)
                and (e["event_id"] != r.event_id)]
        rows = []
        for e in mine:
            family = families.get(e["family"] or "")
            what = label_of(family, None, e["event"], lang) if family and e["event"] else ""
            amount = (translate("claims.approved", lang, amount=format_fen(e["approved_fen"])) if e["approved_fen"]
                      else translate("claims.computed", lang, amount=format_fen(e["entitlement_fen"]))
                      if e["entitlement_fen"] else "")
            rows.append({"id": e["id"], "what": what, "status": _status_label(e["status"], lang), "amount": amount})
        left = max(0, cap_fen - used)
        x["year_cap"] = {"used_up": left == 0, "earlier": rows,
                         "words": translate("claims.used_up", lang) if left == 0 else translate(
                             "claims.left", lang, left=format_fen(left), cap=format_fen(cap_fen), used=format_fen(used))}
    # a claim the year's ceiling brought to nothing is shown on its own, not among the conditions not met
    groups["capped"] = [x for x in groups["rest"] if x.get("year_cap")
                        and any(a.get("type") == "annual_cap" for a in x["r"].adjustments)]
    groups["rest"] = [x for x in groups["rest"] if x not in groups["capped"]]
