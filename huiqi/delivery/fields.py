"""Field values as officials type them in forms and spreadsheets, checked; errors name the field.

One set of rules for the forms and the imports (:mod:`huiqi.parse.values`): yuan through the strict money core
(at most two decimals, no exponents, an upper bound; 元/万元/亿元 understood), 是/否 (√/×, Y/N …) as booleans,
dates as officials write them (2025年5月1日, 2025/5/1, 2025.05.01, Excel's own). The import columns — their
Chinese and English names, synonyms and value synonyms — are data (``columns.yaml``), read by :func:`specs`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from huiqi.delivery import DeliveryError
from huiqi.parse import values as V
from huiqi.parse.table import Spec


def money_fen(field: str, value: Any, required: bool = False) -> int | None:
    try:
        fen = V.money_fen(value, field)
    except V.CellError as e:
        raise DeliveryError(field, f"{e.en} / {e.zh}") from None
    if fen is None and required:
        raise DeliveryError(field, "required / 必填")
    return fen


def yes_no(field: str, value: Any) -> bool | None:
    try:
        return V.yes_no(value)
    except V.CellError as e:
        raise DeliveryError(field, f"{e.en} / {e.zh}") from None


def date_value(field: str, value: Any) -> dt.date | None:
    try:
        return V.date_value(value)
    except V.CellError as e:
        raise DeliveryError(field, f"{e.en} / {e.zh}") from None


@lru_cache(maxsize=None)
def _columns() -> dict[str, dict[str, dict[str, Any]]]:
    return yaml.safe_load((Path(__file__).with_name("columns.yaml")).read_text(encoding="utf-8"))


def specs(table: str, choices: dict[str, dict[str, str]] | None = None) -> tuple[Spec, ...]:
    """The reader's column specs of ``table`` (projects, lists, progress); ``choices`` gives each choice field's
    code → Chinese word (the services own them); the YAML's value synonyms name the Chinese word."""
    out = []
    for name, col in _columns()[table].items():
        kind = col.get("kind", "text")
        own = (choices or {}).get(name, {})
        by_zh = {zh: c for c, zh in own.items()}
        synonyms = {word: by_zh.get(target, target) for word, target in (col.get("synonyms") or {}).items()}
        out.append(Spec(name, tuple(col["names"]), kind if kind != "choice" or own else "text", bool(col.get("required")),
                        own, synonyms))
    return tuple(out)


def headers(table: str) -> dict[str, str]:
    """The template's header (each column's first name) → field."""
    return {col["names"][0]: name for name, col in _columns()[table].items()}


def about(table: str) -> list[dict[str, Any]]:
    """Each column of ``table`` as the templates' 说明 sheet explains it: field, header, kind, required, help and
    the other names the import accepts."""
    return [{"field": name, "header": col["names"][0], "kind": col.get("kind", "text"),
             "required": bool(col.get("required")), "help": col.get("help", ""),
             "other_names": [n for n in col["names"][1:] if not n.isascii()]}
            for name, col in _columns()[table].items()]
