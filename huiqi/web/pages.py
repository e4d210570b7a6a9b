"""The page families beyond the public catalogue, each a router in its own module."""

from __future__ import annotations

import importlib

# module names under huiqi.web; a family that is not written yet is simply absent from this list
FAMILIES = ("pages_calculator", "pages_portal", "pages_review", "pages_notices", "pages_dashboard", "pages_admin",
            "pages_commitments", "pages_projects", "pages_lists", "pages_voice")


def _routers():
    out = []
    for name in FAMILIES:
        try:
            module = importlib.import_module(f"huiqi.web.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"huiqi.web.{name}":
                raise
            continue
        out.append(module.router)
    return out


ROUTERS = _routers()
