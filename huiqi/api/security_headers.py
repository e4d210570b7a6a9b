"""Security headers on every answer — pages, JSON, static files, error pages and even a crash's 500.

Why each: the Content-Security-Policy lets a page run only scripts served from here (no inline script, no
eval), so an injected ``<script>`` or ``onclick=`` does nothing; ``frame-ancestors 'none'`` and
``X-Frame-Options: DENY`` stop another site framing the approval and disbursement forms (clickjacking);
``nosniff`` stops a browser running an upload or a JSON answer as a script; the referrer policy keeps our
addresses (with their ids and query strings) from leaking to other sites. Styles may be inline (the
templates' ``style=`` attributes, ReDoc's generated styles): a style cannot run code.

A pure ASGI wrapper placed *outside* Starlette's ServerErrorMiddleware (see :func:`install`), so a 500 carries
the headers too. A header an answer already sets (an evidence download's own) is kept.
"""

from __future__ import annotations

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
_RAW = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _RAW if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app) -> None:
    """Wrap the app's whole middleware stack, so even Starlette's own 500 answer carries the headers
    (middleware added with ``add_middleware`` sits inside ServerErrorMiddleware and would miss it)."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(build())
