"""Security headers on every answer — pages, JSON, static files, error pages and even a crash's 500.

Why each: the Content-Security-Policy lets a page run only scripts served from here (no inline script, no
eval), so an injected ``<script>`` or ``onclick=`` does nothing; ``frame-ancestors 'none'`` and
``X-Frame-Options: DENY`` stop another site framing the approval and disbursement forms (clickjacking);
``nosniff`` stops a browser running an upload or a JSON answer as a script; the referrer policy keeps our
addresses (with their ids and query strings) from leaking to other sites. Styles may be inline (the
templates' ``style=`` attributes, ReDoc's generated styles): a style cannot run code.

``Strict-Transport-Security`` (HSTS) tells a browser to come back over HTTPS only, so a later visit cannot be
downgraded to plain HTTP and its session cookie read on the way. It is sent when the request came over HTTPS —
uvicorn sets the scheme from TLS, or from a trusted proxy's ``X-Forwarded-Proto`` when run with
``--proxy-headers --forwarded-allow-ips=<proxy>`` — or on every answer when ``HUIQI_HTTPS=1`` says the site is
served over HTTPS only (TLS ended by a proxy that does not forward the scheme). A bare ``X-Forwarded-Proto``
from an untrusted client is not believed: uvicorn leaves the scheme alone.

A pure ASGI wrapper placed *outside* Starlette's ServerErrorMiddleware (see :func:`install`), so a 500 carries
the headers too. A header an answer already sets (an evidence download's own) is kept.
"""

from __future__ import annotations

import os

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other hosts of a government domain are not ours to pin
_RAW = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]
_HSTS = (b"strict-transport-security", HSTS.encode("latin-1"))


def https_only() -> bool:
    """``HUIQI_HTTPS`` set to 1/true/yes/on: the site is served over HTTPS only, whatever scheme reaches us."""
    return os.environ.get("HUIQI_HTTPS", "").strip().lower() in ("1", "true", "yes", "on")


class SecurityHeaders:
    def __init__(self, app, https: bool | None = None):
        self.app = app
        self.https = https_only() if https is None else https  # read once, when the app is built

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = _RAW + [_HSTS] if self.https or scope.get("scheme") == "https" else _RAW

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app) -> None:
    """Wrap the app's whole middleware stack, so even Starlette's own 500 answer carries the headers
    (middleware added with ``add_middleware`` sits inside ServerErrorMiddleware and would miss it)."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(build())
