"""Tests check the docs: every CLI command and API route is documented."""

from __future__ import annotations

from pathlib import Path

import typer

from huiqi.api.app import create_app
from huiqi.cli import app

DOCS = Path(__file__).parents[1] / "docs"


def _commands(t: typer.Typer, prefix: str = "huiqi") -> list[str]:
    out = []
    for c in t.registered_commands:
        out.append(f"{prefix} {c.name or c.callback.__name__}")
    for g in t.registered_groups:
        out += _commands(g.typer_instance, f"{prefix} {g.name}")
    return out


def test_every_cli_command_is_documented():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in _commands(app) if f"`{c}" not in text]
    assert not missing, missing


def test_every_api_route_is_documented():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    routes = [p for p in create_app().openapi()["paths"] if p.startswith("/api/")]
    missing = [r for r in routes if r not in text]
    assert not missing, missing


def test_readme_starts_with_the_two_commands():
    head = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")[:400]
    assert "make run" in head and "make test" in head


def test_every_import_column_name_is_in_the_delivery_docs():
    """docs/delivery.md lists every name columns.yaml accepts (regenerate its tables when the data changes)."""
    import yaml

    text = (DOCS / "delivery.md").read_text(encoding="utf-8")
    data = yaml.safe_load((Path(__file__).parents[1] / "huiqi" / "delivery" / "columns.yaml").read_text(encoding="utf-8"))
    missing = [n for cols in data.values() for c in cols.values() for n in c["names"] if n not in text]
    assert not missing, missing
