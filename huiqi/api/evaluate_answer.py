"""The two shapes of ``POST /api/v1/evaluate``'s answer, and the language it is given in.

Why two: the full answer (every provision, in Chinese and English, with its conditions, facts, parameters and
citation) is 170–220 KB, and building and sending it costs more than the evaluation itself. Most callers ask
"what can this applicant get?": the *compact* answer (the default) gives the eligible and referral rows in one
language — the same keys as in the full answer, fewer of them — and, for every other row, only its machine
reason (``explanation_key``). ``?detail=full`` gives the full answer as it always was (both languages), which is
what a department's system stores or audits.

The compact rows are read from the result objects' attributes, not from their full ``as_dict()``: the rows a
caller does not need are never turned into dictionaries, and only one language's explanation text is read
(the engine formats the text when it is first read).
"""

from __future__ import annotations

import weakref
from typing import Any, Literal

import orjson

from huiqi.engine import explain
from huiqi.money import format_fen
from huiqi.rules.loader import dumps_bytes, json_default

Lang = Literal["zh", "en"]
Detail = Literal["compact", "full"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
SHOWN = ("eligible", "referral")  # the statuses whose rows the compact answer gives in full
CONTENT_LANGUAGE = {"zh": "zh-CN", "en": "en"}


def answer_language(asked: str | None, accept_language: str | None) -> Lang:
    """``?lang=`` when given (already checked against :data:`LANGS`), else the first of the client's
    ``Accept-Language`` ranges (by q, then order) that we speak — ``zh``, ``zh-CN``, ``zh-Hans``… or ``en``,
    ``en-GB``… — else Chinese. A malformed header is read as far as it makes sense, never refused."""
    if asked in LANGS:
        return asked  # type: ignore[return-value]
    if not accept_language:
        return DEFAULT_LANG
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-", 1)[0]
        if primary in LANGS and q > 0:
            ranked.append((-q, order, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANG  # type: ignore[return-value]


def _one_language(words: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """``words`` without the other language's ``*_zh`` / ``*_en`` keys."""
    other = "_en" if lang == "zh" else "_zh"
    return {k: v for k, v in words.items() if not k.endswith(other) and k != ("en" if lang == "zh" else "zh")}


def _totals(evaluation, lang: Lang | None) -> dict[str, Any]:
    """The totals of the full answer (:meth:`Evaluation.as_dict`), the benefit words in ``lang`` (None: both)."""
    totals = evaluation.totals()
    by_benefit = []
    for code, key in (("money", "paid_fen"), ("relief", "relief_fen"), ("loan_limit", "loan_limit_fen")):
        words = explain.benefit_words(code)
        by_benefit.append({**(words if lang is None else _one_language(words, lang)),
                           "fen": totals["overall"][key], "display": format_fen(totals["overall"][key])})
    return {**totals, "overall_display": format_fen(totals["overall"]["money_fen"]), "by_benefit": by_benefit}


def _explanation(result, lang: Lang) -> str:
    """One language's explanation text (the engine may format it only when asked)."""
    text_of = getattr(result, "explanation_text", None)
    return text_of(lang) if text_of is not None else getattr(result, f"explanation_{lang}")


_STATIC: dict[tuple, dict[str, Any]] = {}  # (policy id, version, provision, lang) → the row's fixed keys


def _static_keys(result, lang: Lang, policy) -> dict[str, Any]:
    """The keys of a row that depend on the provision and the language only (titles, kind, benefit words,
    departments), built once per policy version: most of a row's cost otherwise."""
    key = (policy.header.id, policy.version, result.provision_id, lang)
    found = _STATIC.get(key)
    if found is None:
        departments = list(result.lead_departments)
        if lang == "en":
            departments = [policy.header.departments_en.get(d, d) for d in departments]
        if len(_STATIC) > 20_000:  # many parameter versions in one long-lived process: start again
            _STATIC.clear()
        found = _STATIC[key] = {"measure_id": result.measure_id, "kind": result.kind,
                                "benefit": _one_language(explain.benefit_words(result.benefit), lang),
                                f"title_{lang}": getattr(result, f"title_{lang}"), "lead_departments": departments}
    return found


def _shown_row(result, lang: Lang, policy) -> dict[str, Any]:
    """An eligible or referral row: the full row's keys a caller shows, in ``lang``."""
    amount = result.amount_fen
    static = _static_keys(result, lang, policy)
    return {
        "provision_id": result.provision_id,
        "measure_id": static["measure_id"],
        "event_id": result.event_id,
        "status": result.status,
        "kind": static["kind"],
        "benefit": static["benefit"],
        f"title_{lang}": static[f"title_{lang}"],
        "amount_fen": amount,
        "amount_display": format_fen(amount) if amount is not None else None,
        "is_cap": result.is_cap,
        "decision_date": result.decision_date,
        f"explanation_{lang}": _explanation(result, lang),
        "explanation_key": result.explanation_key,
        "lead_departments": static["lead_departments"],
    }


def _other_row(result) -> dict[str, Any]:
    """A row the compact answer gives by its key only (not eligible, expired)."""
    row = {"provision_id": result.provision_id, "status": result.status, "explanation_key": result.explanation_key}
    if result.event_id is not None:
        row["event_id"] = result.event_id
    return row


def compact(evaluation, policy_status: dict[str, Any], lang: Lang, policy, rows: bool = True) -> dict[str, Any]:
    """The default answer: eligible and referral rows in ``lang``, the others as keys, the full totals
    (``rows=False``: the rows left empty, for :func:`compact_json` to fill)."""
    shown, others = [], []
    for r in evaluation.results if rows else ():
        if r.status in SHOWN:
            shown.append(_shown_row(r, lang, policy))
        else:
            others.append(_other_row(r))
    return {
        "detail": "compact",
        "lang": lang,
        "policy": {"id": evaluation.policy_id, "version": evaluation.policy_version},
        "as_of": evaluation.as_of,
        "strategy": evaluation.strategy,
        "profile": {"id": evaluation.profile_id, "name": evaluation.profile_name, "derived": evaluation.derived},
        "totals": _totals(evaluation, lang),
        "results": shown,
        "others": others,
        "policy_status": _one_language(policy_status, lang),
    }


class _Seen(weakref.ref):
    """A weak reference to a result that knows its cache key, to drop its row when the result is freed."""

    __slots__ = ("key",)


def _forget(ref: _Seen) -> None:
    if _ROW_JSON.get(ref.key, (None,))[0] is ref:  # not a newer result's entry under a reused id
        del _ROW_JSON[ref.key]


_ROW_JSON: dict[tuple[int, str | None], tuple[_Seen, orjson.Fragment | None]] = {}  # (id(result), lang|full) → row
_OPTIONS = orjson.OPT_NON_STR_KEYS  # as dumps_bytes


def _row(result, lang: Lang | Detail, policy) -> dict[str, Any]:
    """A row of the answer: the full row (``lang`` "full"), a shown row in ``lang``, or a row by its key."""
    if lang == "full":
        return result.as_dict()
    return _shown_row(result, lang, policy) if result.status in SHOWN else _other_row(result)


def _row_json(result, lang: Lang | Detail, policy) -> dict[str, Any] | orjson.Fragment:
    """A row of the compact answer; as JSON text from the second time its result is seen. The engine shares
    the results that depend only on the date between evaluations (most of an answer's rows), so their rows are
    built and serialised once instead of on every request; a result seen once (it depends on the applicant)
    costs only a weak reference, and its entry goes when the result is freed — so the cache holds only live
    results and gives the garbage collector nothing to walk. Keyed by the result's identity (it is immutable),
    checked through the weak reference."""
    key = (id(result), lang if lang == "full" or result.status in SHOWN else None)
    hit = _ROW_JSON.get(key)
    if hit is not None and hit[0]() is result:
        if hit[1] is not None:
            return hit[1]
        fragment = orjson.Fragment(orjson.dumps(_row(result, lang, policy), default=json_default, option=_OPTIONS))
        _ROW_JSON[key] = (hit[0], fragment)
        return fragment
    seen = _Seen(result, _forget)
    seen.key = key
    _ROW_JSON[key] = (seen, None)
    return _row(result, lang, policy)


def compact_json(evaluation, policy_status: dict[str, Any], lang: Lang, policy) -> bytes:
    """:func:`compact` as JSON bytes — the same text — its rows taken from :func:`_row_json`."""
    shown, others = [], []
    for r in evaluation.results:
        (shown if r.status in SHOWN else others).append(_row_json(r, lang, policy))
    answer = compact(evaluation, policy_status, lang, policy, rows=False)
    answer["results"], answer["others"] = shown, others
    return dumps_bytes(answer)


def full_json(evaluation, policy_status: dict[str, Any]) -> bytes:
    """:func:`full` as JSON bytes — the same text — its rows taken from :func:`_row_json`."""
    answer = full(evaluation, policy_status)
    answer["results"] = [_row_json(r, "full", None) for r in evaluation.results]
    return dumps_bytes(answer)


def full(evaluation, policy_status: dict[str, Any]) -> dict[str, Any]:
    """Every row with everything the engine says, in both languages (the answer before the compact one)."""
    answer = evaluation.as_dict()
    answer["detail"] = "full"
    answer["policy_status"] = policy_status
    return answer
