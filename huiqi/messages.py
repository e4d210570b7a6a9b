"""The one message catalogue: every sentence a person reads, in Simplified Chinese and English, keyed by code.

Errors (:mod:`huiqi.errors`), the pages' interface text (:mod:`huiqi.web.i18n` registers into this table), and
the words of field problems all live here, so the CLI, the API and the pages say the same thing in the same
words. A key is ``area.name``; a message may hold ``{placeholders}`` filled by :func:`text`.
"""

from __future__ import annotations

LANGS = ("zh", "en")
MESSAGES: dict[str, tuple[str, str]] = {}


def add(messages: dict[str, tuple[str, str]]) -> None:
    """Register ``key -> (中文, English)``; a key defined twice with other words is a mistake."""
    for key, pair in messages.items():
        if key in MESSAGES and MESSAGES[key] != pair:
            raise ValueError(f"message {key!r} defined twice with different text")
        MESSAGES[key] = pair


def text(key: str, lang: str = "zh", **values: object) -> str:
    """The message in ``lang``; an unknown key shows itself (a visible gap, never a crash)."""
    pair = MESSAGES.get(key)
    chosen = key if pair is None else pair[1 if lang == "en" else 0]
    return chosen.format(**values) if values else chosen


def both(key: str, **values: object) -> tuple[str, str]:
    """``(中文, English)`` of one message."""
    return text(key, "zh", **values), text(key, "en", **values)
