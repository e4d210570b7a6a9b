"""Which policy a delivery page (commitments, projects, zones, lists, voice) is about: the ``?policy=`` of the
address or form (:mod:`huiqi.web.policy_choice`; the default policy when absent), and what its templates need
to stay in that policy — ``pq``/``pqa`` to carry it on links, a hidden field for filter forms, and, when several
policies are served, the policy's title with links to the same page of the others that have the service."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from huiqi import policies
from huiqi.delivery import features
from huiqi.web import demo_hint  # noqa: F401 (registers the login page's demo-account hint with the templates)
from huiqi.web import policy_choice as choice
from huiqi.web.policy_view import absent


def chosen(request: Request, form: dict | None = None):
    """(the chosen policy id or None for the default, the policy)."""
    policy_id = choice.chosen_id(request, form)
    return policy_id, policies.load(policy_id)


def missing(request: Request, feature: str, form: dict | None = None) -> Response | None:
    """The 404 page when the chosen policy does not declare ``feature``; None when it does."""
    _, policy = chosen(request, form)
    return absent(request, feature, policy)


def view(policy_id: str | None, path: str, feature: str | None = None) -> dict:
    """Template values: ``pq`` ("?policy=…" or ""), ``pqa`` ("&policy=…" or ""), ``policy_id``, ``policy``,
    ``many`` and ``policy_links`` — (title zh, title en, address, current) for every served policy that has
    ``feature`` (all of them when None)."""
    policy = policies.load(policy_id)
    links = [(p.header.title_zh, p.header.title_en, path + choice.query(p.header.id), p.header.id == policy.header.id)
             for p in policies.catalogue() if feature is None or features.has(feature, p)]
    policy_id = None if policies.is_default(policy) else policy.header.id
    return {"pq": choice.query(policy_id), "pqa": choice.query(policy_id, first=False), "policy_id": policy_id or "",
            "policy": policy, "many": len(policies.ids()) > 1, "policy_links": links}


def with_policy(url: str, policy_id: str | None) -> str:
    """``url`` with the policy carried on (before any #fragment)."""
    base, _, fragment = url.partition("#")
    out = base + choice.query(policy_id, first="?" not in base)
    return out + ("#" + fragment if fragment else "")
