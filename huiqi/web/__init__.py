"""The web platform: server-rendered pages in Simplified Chinese (English on a switch).

Pages are thin over the same services the API uses (catalogue, engine, workflow), so a figure
shown in a page is the figure the API and the CLI give. Each page family is its own module
(``pages_*.py``) with its templates in a folder of the same name; :func:`mount` wires them in.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

STATIC_DIR = Path(__file__).parent / "static"


class CachedStaticFiles(StaticFiles):
    """Static files with a cache lifetime: the vendored libraries (versioned, ~1 MB each) for a week, our own
    scripts and styles for an hour (they change with a release); ETag and Last-Modified revalidate after that."""

    async def get_response(self, path: str, scope):
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            week = path.replace("\\", "/").startswith("vendor/")
            response.headers["Cache-Control"] = f"public, max-age={604800 if week else 3600}"
        return response


def mount(app: FastAPI) -> None:
    """Add the static files, the page routers and the HTML error pages to ``app``."""
    from huiqi.web import auth, pages_public
    from huiqi.web.pages import ROUTERS

    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
    # pages, JSON and scripts compressed (ECharts 1 MB → ~330 KB) at level 4: for JSON and HTML a few per cent
    # larger than level 9 and about ten times less CPU (a 60 KB evaluate answer: 0.4 ms instead of 4 ms)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=4)
    app.include_router(auth.router)
    app.include_router(pages_public.router)
    for router in ROUTERS:
        app.include_router(router)
