"""What the pages need to know about the policy's services: whether a measure declares a feature (the
navigation links only to the services the policy has) and the friendly 404 page for one it has not.
Imported by the page families that serve a feature; it adds ``has_feature`` to the templates."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from huiqi.delivery import features
from huiqi.web import i18n
from huiqi.web.render import ENV, render


def has_feature(name: str) -> bool:
    return features.has(name)


ENV.globals["has_feature"] = has_feature


def absent(request: Request, name: str, policy=None) -> Response | None:
    """None when the policy (default: the default policy) has feature ``name``; else the 404 page
    「本政策未设此项服务」 to answer with."""
    if features.has(name, policy):
        return None
    from huiqi.web.auth import page_user

    try:
        page_user(request)
    except Exception:  # a broken session must not turn a 404 into a 500
        request.state.page_user, request.state.page_csrf = None, None
    return render(request, "error.html", status_code=404,
                  message=i18n.translate("feature.absent", i18n.lang_of(request)))


def article(measure, lang: str) -> str:
    """第二十三条 / measure 23."""
    return features.articles_en([measure.number]) if lang == "en" else features.articles_zh([measure.number])


def articles(measures, lang: str) -> str:
    numbers = [m.number for m in measures]
    return features.articles_en(numbers) if lang == "en" else features.articles_zh(numbers)
