"""免申即享: turn a registry screen into offers that an enterprise only has to confirm.

The registry is screened with the same rules as everything else (:mod:`huiqi.batch`); each eligible
entitlement with an amount becomes an offer for the entity's credit code, carrying the entity's facts
as a profile. Confirming creates the application and submits it — the engine checks it again then,
so an offer can never give more than the rules do on the day it is confirmed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.storage.models import Offer, User
from huiqi.workflow import audit, service


def screen_registry(registry: Path, policy, as_of: dt.date, progress=None) -> tuple[list[tuple], dict[str, dict]]:
    """The registry's eligible entitlements with money on ``as_of`` under ``policy`` — (entity, credit code, name,
    provision, event, fen) in a fixed order — and each of those entities' facts as a profile (an offer's, and the
    demo replay's enterprises'). ``progress`` is told of the stages (:data:`huiqi.batch.stages.OFFERS_STAGES`)."""
    from huiqi.batch.profiles import profiles_for
    from huiqi.batch.screen import connect, read_and_check, run_rules_duckdb
    from huiqi.batch.stages import OFFERS_STAGES, tell, watching
    from huiqi.rules.loader import dumps
    from huiqi.rules.model import Provision

    rules = OFFERS_STAGES[2]
    con = connect()
    read_and_check(con, policy, registry, progress)
    tell(progress, rules)
    with watching(con, progress, rules):
        run_rules_duckdb(con, policy, as_of, None, referral_rows=False)
    # money only: a tax relief, a loan limit or a right is had elsewhere (service.create refuses them too)
    money = sorted(Provision.CLAIMED_KINDS)
    rows = con.execute(f"""SELECT s.entity_id, e.credit_code, e.name, s.provision_id, s.event_id, s.amount_fen
                          FROM screened s JOIN entities_f e USING (entity_id)
                          WHERE s.status = 'eligible' AND s.amount_fen IS NOT NULL AND e.credit_code IS NOT NULL
                            AND s.kind IN ({', '.join('?' * len(money))})
                          ORDER BY s.entity_id, s.provision_id, s.event_id""", money).fetchall()
    found = profiles_for(con, sorted({r[0] for r in rows}), policy)  # in the policy's model: its own kinds too
    con.close()
    profiles = {}
    for entity_id, model in found.items():
        profile = json.loads(dumps(model.model_dump(mode="json", exclude_none=True), pretty=False))
        profile.pop("id", None)
        profiles[entity_id] = profile
    return rows, profiles


def create_from_registry(session: Session, registry: Path, as_of: dt.date, actor: str = "system",
                         policy_id: str | None = None, progress=None) -> int:
    """Screen ``registry`` under ``policy_id`` (the default policy when None) as of ``as_of`` and store the offers
    not made before (by any earlier screen); returns how many were created. ``progress``: as for
    :func:`screen_registry`, then the offers stage with its counts."""
    from huiqi import policies
    from huiqi.batch.stages import OFFERS_STAGES, tell

    policy = policies.effective(session, policy_id)  # the figures the workflow will check the offer against
    rows, profiles = screen_registry(registry, policy, as_of, progress)
    tell(progress, OFFERS_STAGES[-1], rows={"符合 eligible": len(rows)})
    # an entitlement is offered once: a later screen (monthly, say) adds only what is new since
    made = {tuple(r) for r in session.execute(select(Offer.credit_code, Offer.provision_id, Offer.event_id)
                                              .where(Offer.policy_id == policy.header.id))}
    created = 0
    for entity_id, code, _name, provision_id, event_id, amount in rows:
        if (code, provision_id, event_id) in made:
            continue
        made.add((code, provision_id, event_id))
        session.add(Offer(policy_id=policy.header.id, credit_code=code, provision_id=provision_id, event_id=event_id, amount_fen=amount,
                          as_of=as_of, profile_json=json.dumps(profiles[entity_id], ensure_ascii=False)))
        created += 1
    session.flush()
    tell(progress, OFFERS_STAGES[-1], rows={"符合 eligible": len(rows), "新增 new": created})
    audit.append(session, actor, "offers.create", f"registry/{Path(registry).name}", "ok", {"created": created, "as_of": as_of})
    return created


def for_user(session: Session, user: User) -> list[Offer]:
    if user.role != "applicant" or not user.credit_code:
        return []
    return list(session.execute(select(Offer).where(Offer.credit_code == user.credit_code).order_by(Offer.id)).scalars())


def confirm(session: Session, user: User, offer_id: int, as_of: dt.date | None = None):
    """The enterprise confirms: the application is created and submitted in one step."""
    offer = session.get(Offer, offer_id)
    if offer is None or user.role != "applicant" or offer.credit_code != user.credit_code:
        raise service.NotFound(f"offer {offer_id} not found / 未找到该免申即享事项")
    if offer.status != "offered":
        raise service.Refused("this offer was already confirmed / 已确认")
    app = service.create(session, user, json.loads(offer.profile_json), offer.provision_id, offer.event_id,
                         policy_id=offer.policy_id)
    service.submit(session, user, app.id, as_of or offer.as_of, registry_facts=True)  # no materials: 免申即享
    offer.status, offer.application_id = "confirmed", app.id
    audit.append(session, user.username, "offer.confirm", f"offer/{offer.id}", "ok", {"application": app.id})
    return app
