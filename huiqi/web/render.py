"""Jinja2 rendering with the visitor's language, user and CSRF token at hand in every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from huiqi import clock
from huiqi.money import format_fen, format_yuan
from huiqi.web import i18n

TEMPLATES = Path(__file__).parent / "templates"
ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
ENV.filters["fen"] = lambda v: "—" if v is None else format_fen(int(v))  # ¥1,234.56
ENV.filters["yuan"] = lambda v: "—" if v is None else format_yuan(v)
ENV.filters["beijing"] = lambda at: "—" if at is None else clock.beijing_text(at)  # stored UTC → 北京时间


STATUS_EN = {  # what an English page calls each status (a label, so capitalised like the page's other labels)
    "draft": "Draft", "submitted": "Submitted", "under_review": "Under review", "returned": "Returned for more",
    "rejected": "Not approved", "approved": "Approved", "public_notice": "In public notice", "disbursed": "Paid",
    "cancelled": "Withdrawn",
}


def _status_label(status: str, lang: str) -> str:
    from huiqi.workflow.states import STATUS_ZH

    if lang == "zh":
        return STATUS_ZH.get(status, status)
    return STATUS_EN.get(status) or status.replace("_", " ").capitalize()


ENV.globals["status_label"] = _status_label
ENV.globals["dept"] = i18n.department  # a department stored by its Chinese name, in the page's language
ENV.filters["dept"] = i18n.department  # {{ name | dept(lang) }}, {{ names | map("dept", lang) | join(…) }}


def _district(code: str | None, lang: str) -> str:
    """A district code by its name in ``lang`` (:meth:`District.words`); an unknown code as given."""
    from huiqi.standards.divisions import lookup_district

    found = lookup_district(code) if code else None
    return found.words(lang) if found else (code or "")


ENV.filters["district"] = _district  # {{ code | district(lang) }}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with ``t`` (translate), ``lang``, ``user``, ``csrf_input`` and the page context."""
    lang = i18n.lang_of(request)
    user = getattr(request.state, "page_user", None)
    csrf = getattr(request.state, "page_csrf", None)

    def t(key: str, **values: Any) -> str:
        return i18n.translate(key, lang, **values)

    def pick(zh: str | None, en: str | None) -> str:
        """The English of a bilingual field when asked for and present, else the Chinese."""
        return (en or zh or "") if lang == "en" else (zh or en or "")

    def lang_url(to: str) -> str:
        params = dict(request.query_params)
        params["lang"] = to
        from urllib.parse import urlencode

        return f"{request.url.path}?{urlencode(params)}"

    csrf_input = Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">') if csrf else Markup("")
    html = ENV.get_template(template).render(
        request=request, t=t, pick=pick, lang=lang, user=user, csrf=csrf, csrf_input=csrf_input,
        lang_url=lang_url, path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
