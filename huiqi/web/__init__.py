"""The web platform: server-rendered pages in Simplified Chinese (English on a switch).

Pages are thin over the same services the API uses (catalogue, engine, workflow), so a figure
shown in a page is the figure the API and the CLI give. Each page family is its own module
(``pages_*.py``) with its templates in a folder of the same name; :func:`mount` wires them in.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Add the static files, the page routers and the HTML error pages to ``app``."""
    from huiqi.web import auth, pages_public
    from huiqi.web.pages import ROUTERS

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth.router)
    app.include_router(pages_public.router)
    for router in ROUTERS:
        app.include_router(router)
