"""Search the catalogue the way users type: Chinese words or phrases, English words.

Why not a segmenter or a full-text engine: the catalogue is 30 measures, and users
type 2–4 character words (算力券, 小巨人) that a word segmenter may split and a
trigram index cannot see. Exact substring matching over weighted fields, scored
like BM25 (rare terms count more, the title counts more than the body), finds any
phrase of the text; a character-bigram fallback catches near misses
(e.g. 小升规企业 → 小升规). English is matched by word, with plurals folded.

>>> idx = SearchIndex.for_policy(__import__("huiqi.policies", fromlist=["load"]).load())
>>> idx.search("算力券")[0].measure_id
'm07'
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from huiqi.rules.loader import Policy
from huiqi.rules.model import Measure

MAX_QUERY_LENGTH = 200
_CJK = re.compile(r"[\u3400-\u9fff]")
_SPLIT = re.compile(r"[\s,，。;；、:：!！?？()（）\[\]【】“”\"'‘’/|]+")
_WORD = re.compile(r"[a-z0-9]+")

# Field weights: a hit in a title says more than a hit in the body.
ZH_WEIGHTS = {"title": 8.0, "keywords": 6.0, "provisions": 5.0, "departments": 5.0, "text": 1.0}
EN_WEIGHTS = {"title": 8.0, "keywords": 6.0, "provisions": 5.0, "summary": 2.0, "details": 1.0}
_STOPWORDS = {"a", "an", "the", "of", "for", "and", "or", "to", "in", "on", "by", "with", "is", "are"}


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, curly quotes dropped."""
    return unicodedata.normalize("NFKC", text).lower().replace("“", "").replace("”", "")


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _en_words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(normalise(text)) if w not in _STOPWORDS]


def _bigrams(term: str) -> set[str]:
    return {term[i : i + 2] for i in range(len(term) - 1)} if len(term) > 1 else {term}


@dataclass
class _Doc:
    measure: Measure
    zh: dict[str, str]
    en: dict[str, list[str]]
    en_text: dict[str, str]
    provision_text: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchHit:
    measure_id: str
    score: float
    title_zh: str
    title_en: str
    snippet: str
    matched_provisions: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "id": self.measure_id,
            "score": round(self.score, 3),
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "snippet": self.snippet,
            "matched_provisions": list(self.matched_provisions),
        }


class QueryError(ValueError):
    """The query is empty or too long."""


class SearchIndex:
    K1, B = 1.2, 0.75  # BM25 constants: term-frequency saturation and length normalisation

    def __init__(self, measures: tuple[Measure, ...]):
        self.docs = [self._doc(m) for m in measures]
        n = max(len(self.docs), 1)
        self._zh_avg = {f: sum(len(d.zh[f]) for d in self.docs) / n or 1.0 for f in ZH_WEIGHTS}
        self._en_avg = {f: sum(len(d.en[f]) for d in self.docs) / n or 1.0 for f in EN_WEIGHTS}

    def _bm25(self, tf: int, length: int, avg: float) -> float:
        return tf * (self.K1 + 1) / (tf + self.K1 * (1 - self.B + self.B * length / avg))

    @classmethod
    def for_policy(cls, policy: Policy) -> "SearchIndex":
        return cls(policy.measures)

    @staticmethod
    def _doc(m: Measure) -> _Doc:
        prov_zh = " ".join(
            p.title_zh + " " + " ".join(c.zh for c in p.conditions) for p in m.provisions
        )
        zh = {
            "title": normalise(m.title_zh),
            "keywords": normalise(" ".join(m.keywords_zh)),
            "provisions": normalise(prov_zh),
            "departments": normalise(m.lead_departments_text + " " + " ".join(d.name for d in m.lead_departments)),
            "text": normalise(m.text),
        }
        en_text = {
            "title": m.title_en,
            "keywords": " ".join(m.keywords_en),
            "provisions": " ".join(p.title_en for p in m.provisions),
            "summary": m.summary_en,
            "details": " ".join(c.en for p in m.provisions for c in p.conditions),
        }
        en = {k: _en_words(v) for k, v in en_text.items()}
        provision_text = {
            p.id: normalise(" ".join([p.title_zh, p.title_en, *(c.zh for c in p.conditions), *p.citation]))
            for p in m.provisions
        }
        return _Doc(m, zh, en, {k: normalise(v) for k, v in en_text.items()}, provision_text)

    # -- scoring ---------------------------------------------------------------------------
    def _zh_score(self, doc: _Doc, term: str) -> float:
        return sum(
            w * self._bm25(doc.zh[f].count(term), len(doc.zh[f]), self._zh_avg[f])
            for f, w in ZH_WEIGHTS.items()
            if term in doc.zh[f]
        )

    def _zh_fuzzy(self, doc: _Doc, term: str) -> float:
        grams = _bigrams(term)
        best = 0.0
        for f, w in ZH_WEIGHTS.items():
            share = sum(1 for g in grams if g in doc.zh[f]) / len(grams)
            if share >= 0.5:
                best = max(best, w * share * share * 0.5)
        return best

    def _en_score(self, doc: _Doc, word: str) -> float:
        return sum(
            w * self._bm25(doc.en[f].count(word), len(doc.en[f]), self._en_avg[f])
            for f, w in EN_WEIGHTS.items()
            if word in doc.en[f]
        )

    def _idf(self, hits: int) -> float:
        n = len(self.docs)
        return math.log(1 + (n - hits + 0.5) / (hits + 0.5))

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Measures matching ``query``, best first. Raises QueryError on an empty or overlong query."""
        q = normalise(query).strip()
        if not q:
            raise QueryError("query is empty")
        if len(q) > MAX_QUERY_LENGTH:
            raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters")
        terms = [t for t in _SPLIT.split(q) if t]
        scores = [0.0] * len(self.docs)
        for term in terms:
            if _CJK.search(term):
                raw = [self._zh_score(d, term) for d in self.docs]
                if not any(raw):
                    raw = [self._zh_fuzzy(d, term) for d in self.docs]
            else:
                words = _en_words(term)
                raw = [sum(self._en_score(d, w) for w in words) for d in self.docs]
                raw = [r + self._zh_score(d, term) for r, d in zip(raw, self.docs)]  # codes like 8+n, 5g
            idf = self._idf(sum(1 for r in raw if r > 0))
            scores = [s + r * idf for s, r in zip(scores, raw)]
        phrase_words = _en_words(q)
        if len(phrase_words) > 1:  # an English phrase typed whole counts double
            phrase = " ".join(phrase_words)
            for i, d in enumerate(self.docs):
                if any(phrase in " ".join(words) for words in d.en.values()):
                    scores[i] *= 2
        ranked = sorted(
            (i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], self.docs[i].measure.number)
        )
        return [self._hit(self.docs[i], scores[i], terms) for i in ranked[:limit]]

    def _hit(self, doc: _Doc, score: float, terms: list[str]) -> SearchHit:
        m = doc.measure
        text = normalise(m.text)
        snippet = ""
        for t in terms:
            at = text.find(t)
            if at >= 0:
                start = max(0, at - 30)
                snippet = ("…" if start else "") + m.text[start : at + len(t) + 50] + "…"
                break
        if not snippet:
            snippet = m.summary_en if any(not _CJK.search(t) for t in terms) else m.text[:80] + "…"
        matched = tuple(
            pid
            for pid, ptext in doc.provision_text.items()
            if any(t in ptext or (not _CJK.search(t) and t in ptext) for t in terms)
        )
        return SearchHit(m.id, score, m.title_zh, m.title_en, snippet, matched)
