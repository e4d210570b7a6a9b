"""Who is looking at a page: the same session cookie as the API, signed in through a form.

Pages that need a role call :func:`require`; a visitor who is not signed in is sent to the login
page and back, a signed-in user of another role gets a 403 page. Every form that changes something
carries the session's CSRF token (:func:`check_csrf`); the cookie is also SameSite=Strict.
"""

from __future__ import annotations

from typing import Iterable
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.storage.models import User
from huiqi.workflow import accounts

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    """Raised by a page that needs a signed-in user; answered with a redirect to /login."""

    def __init__(self, next_url: str):
        self.next_url = next_url


class Forbidden(Exception):
    """Raised by a page the signed-in user may not see; answered with a 403 page."""

    def __init__(self, detail: str = ""):
        self.detail = detail


def database(request: Request):
    from huiqi.api.routes_workflow import database as db_for

    return db_for(request)


def page_user(request: Request) -> User | None:
    """The signed-in user (or None), remembered on the request for the templates."""
    if hasattr(request.state, "page_user"):
        return request.state.page_user
    from huiqi.api.routes_workflow import COOKIE

    user, csrf = None, None
    sid = request.cookies.get(COOKIE)
    if sid:
        db = database(request)
        with db.transaction() as s:
            found = accounts.user_for_session(s, sid)
            if found:
                user, csrf = found
                s.expunge(user)
    request.state.page_user, request.state.page_csrf = user, csrf
    return user


def require(request: Request, roles: Iterable[str]) -> User:
    user = page_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    if user.role not in set(roles):
        raise Forbidden(f"{user.role} may not open {request.url.path}")
    return user


def check_csrf(request: Request, form) -> None:
    """A form that changes something must echo the session's CSRF token."""
    page_user(request)
    expected = getattr(request.state, "page_csrf", None)
    if not expected or form.get("csrf_token") != expected:
        raise Forbidden("csrf")


def client_address(request: Request) -> str:
    """Who is signing in, for throttling: the peer address (behind a proxy, run uvicorn with
    ``--proxy-headers --forwarded-allow-ips`` naming the proxy so this is the real client)."""
    return request.client.host if request.client else "unknown"


def _safe_next(url: str | None) -> str:
    return url if url and url.startswith("/") and not url.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    from huiqi.web.render import render

    page_user(request)
    return render(request, "login.html", next=_safe_next(next), failed=False)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    from huiqi.api.routes_workflow import COOKIE
    from huiqi.web.render import render

    form = await request.form()
    username, password = str(form.get("username", ""))[:64], str(form.get("password", ""))[:200]
    next_url = _safe_next(str(form.get("next", "/")))
    db = database(request)
    sid, failed = None, None
    with db.transaction() as s:  # a failure is committed too: its audit entry and the throttle's count
        try:
            user = accounts.login(s, username, password, client=client_address(request))
            sid, _ = accounts.new_session(s, user)
        except accounts.LoginFailed as e:
            failed = e
    if sid is None:
        request.state.page_user, request.state.page_csrf = None, None
        # 200, not 401: the form is shown again with the message (a 401 document is a console error);
        # the same message for every failure, so the page never says whether the account exists
        page = render(request, "login.html", next=next_url, failed=True, username=username)
        if failed is not None and failed.retry_after:
            page.headers["Retry-After"] = str(failed.retry_after)
        return page
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(COOKIE, sid, httponly=True, secure=True, samesite="strict",
                        max_age=accounts.SESSION_HOURS * 3600)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    from huiqi.api.routes_workflow import COOKIE

    form = await request.form()
    check_csrf(request, form)
    sid = request.cookies.get(COOKIE)
    if sid:
        with database(request).transaction() as s:
            accounts.end_session(s, sid)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def login_redirect(exc: LoginRequired) -> Response:
    return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)
