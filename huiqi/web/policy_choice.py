"""Which policy a page is about: the ``policy`` parameter of the address (or of a form), the default policy
when there is none. Links between pages carry it on (``pq``), so a visitor who opened another notice stays
in it; the default policy's addresses stay as they always were. An address naming a policy that is not
served raises :class:`NoSuchPolicy`, which the app answers with a 404 page naming it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request

from huiqi import policies
from huiqi.web import i18n

i18n.add({"policies.unknown": ("本平台没有编号为“{id}”的政策文件", "There is no policy '{id}' on this platform")})


class NoSuchPolicy(LookupError):
    """The address names a policy this platform does not serve (shown as a 404 page)."""


def chosen_id(request: Request, form: dict | None = None) -> str | None:
    """The policy id the visitor chose (None: the default), checked against the catalogue."""
    raw = (form or {}).get("policy") or request.query_params.get("policy") or ""
    raw = str(raw).strip()[:64]
    if not raw:
        return None
    if raw not in policies.ids():
        raise NoSuchPolicy(raw)
    return None if raw == policies.ids()[0] else raw


def query(policy_id: str | None, first: bool = True) -> str:
    """``?policy=…`` (or ``&policy=…``) for links, empty for the default policy."""
    if not policy_id or policy_id == policies.ids()[0]:
        return ""
    return ("?" if first else "&") + "policy=" + quote(policy_id)
