"""Explanations a reviewer would sign (issue 12, item 3): every explanation the engine writes for every YAML case
(eligible, not eligible, missing facts, expired, referral, future events, both policies), in Chinese and English,
read as a citizen would — no identifiers, raw fen, unrounded numbers, duplicated sentences or the other language.

A failure prints the provision and the sentence, so the wording can be fixed where it is made
(:mod:`huiqi.engine.explain` or the policy data)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from huiqi.engine.cases import in_process_evaluator, load_cases

CASES_DIR = Path(__file__).parent / "cases"
CATALOGUE = Path(__file__).parent / "fixtures" / "policies" / "index.yaml"
FILES = sorted(CASES_DIR.glob("m*.yaml")) + sorted(CASES_DIR.glob("*/m*.yaml"))

IDENTIFIER = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|\b(?:entity|event)\.[a-z]|\bm\d\d\.[a-z]|\b(?:True|False|None)\b")
UNROUNDED = re.compile(r"\d\.\d{3,}(?!\d*%)")  # more than two decimals, except a rate written as a percentage
RAW_FEN = re.compile(r"(?<![¥\d,.\-：:])\d{5,}(?![\d\-年月日%])")  # a bare large integer: fen, or yuan unformatted
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Chinese that stays in English on purpose: the policy's own names in brackets, e.g. "Highest only (就高不重复)"
EN_KEEPS = re.compile(r"[（(][^()（）]*[\u4e00-\u9fff][^()（）]*[)）]|“[^”]*”|《[^》]*》|「[^」]*」")


def _sentences(text: str, stop: str) -> list[str]:
    return [s.strip() for s in re.split(stop, text) if s.strip()]


def _results():
    seen = {}
    for path in FILES:
        cases = load_cases(path)
        run = in_process_evaluator(cases.policy)
        for case in cases.cases:
            try:
                result = run(case.profile, case.as_of, case.strategy)
            except ValueError:
                continue  # a refused profile has no explanation (tests/test_error_messages.py words those)
            for r in result["results"]:
                key = (r["provision_id"], r["status"], r["explanation_zh"])
                seen.setdefault(key, (path.name, case.name, r))
    return list(seen.values())


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("HUIQI_CATALOGUE", str(CATALOGUE))
    try:
        yield _results()
    finally:
        mp.undo()


def test_the_cases_cover_every_kind_of_answer(results):
    statuses = {r["status"] for _, _, r in results}
    keys = {r.get("explanation_key") for _, _, r in results}
    assert statuses >= {"eligible", "not_eligible", "referral", "expired"}, statuses
    assert len(results) > 300


def _problems(results, lang: str) -> list[str]:
    out = []
    for file, case, r in results:
        text = r[f"explanation_{lang}"]
        where = f"{file} · {case} · {r['provision_id']} ({r['status']}): {text}"
        found = []
        if IDENTIFIER.search(text):
            found.append(f"identifier {IDENTIFIER.search(text).group()!r}")
        if UNROUNDED.search(text):
            found.append(f"unrounded {UNROUNDED.search(text).group()!r}")
        if RAW_FEN.search(text):
            found.append(f"bare number {RAW_FEN.search(text).group()!r}")
        stop = r"[。；]" if lang == "zh" else r"(?<=[.;])\s"
        sentences = _sentences(text, stop)
        repeated = {s for s in sentences if sentences.count(s) > 1}
        if repeated:
            found.append(f"repeated {sorted(repeated)}")
        if lang == "zh" and ASCII_WORD.search(re.sub(r"[（(][^)）]*[)）]", "", text)):
            found.append(f"English {ASCII_WORD.search(text).group()!r}")
        if lang == "en" and CHINESE.search(EN_KEEPS.sub("", text)):
            found.append("Chinese outside a quoted name")
        if r["status"] != "eligible" and (text.startswith("符合条件") or text.startswith("Conditions met")):
            found.append("says its conditions are met but is not eligible")
        if r["status"] != "eligible" and r.get("figures"):
            found.append(f"figures on a result that is not due: {r['figures']}")
        if found:
            out.append(f"{where}\n    → {'; '.join(found)}")
    return out


def test_chinese_explanations_read_as_a_citizen_would(results):
    problems = _problems(results, "zh")
    assert not problems, f"{len(problems)} explanation(s):\n" + "\n".join(problems[:25])


def test_english_explanations_read_as_a_citizen_would(results):
    problems = _problems(results, "en")
    assert not problems, f"{len(problems)} explanation(s):\n" + "\n".join(problems[:25])
