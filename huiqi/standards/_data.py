"""Reading the standards' data files, so tables live in data (reviewable, versioned) and not in code.

The files sit in ``huiqi/standards/data/`` and are read through :mod:`importlib.resources`, so they work
from a wheel as well as from a checkout (they must be listed in the package data).
"""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from typing import Any

import yaml

YUAN_PER_WAN = Decimal(10000)


class StandardsDataError(ValueError):
    """A data file under ``huiqi/standards/data`` is malformed; the message names the file and the entry."""


def read_text(name: str) -> str:
    """The text of data file ``name``."""
    return files("huiqi.standards").joinpath("data", name).read_text(encoding="utf-8")


def load_yaml(name: str) -> Any:
    """Parse data file ``name`` as YAML (safe loader)."""
    return yaml.safe_load(read_text(name))


def wan_to_yuan(value: int | str | Decimal) -> Decimal:
    """万元 → yuan, exactly (``2000`` → ``Decimal('20000000')``); floats are refused as inexact."""
    if isinstance(value, bool) or isinstance(value, float):
        raise StandardsDataError(
            f"amount {value!r} (万元) must be an integer or a decimal string, "
            f"not {type(value).__name__}"
        )
    return Decimal(str(value)) * YUAN_PER_WAN


def scope_matches(scope_item: str, section: str, code: str) -> bool:
    """Whether a scope item (section letter, or 2/3/4-digit prefix) covers the 4-digit class ``code`` in ``section``."""
    if scope_item.isalpha():
        return scope_item == section
    return code.startswith(scope_item)


def specificity(scope_item: str) -> int:
    """How specific a scope item is: a section letter counts 1, a digit code its length."""
    return 1 if scope_item.isalpha() else len(scope_item)
