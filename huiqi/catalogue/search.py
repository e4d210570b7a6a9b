"""Search the catalogue the way users type: Chinese words or phrases, English words.

Why not a segmenter or a full-text engine: the catalogue is 30 measures, and users
type 2–4 character words (算力券, 小巨人) that a word segmenter may split and a
trigram index cannot see. Exact substring matching over weighted fields, scored
like BM25 (rare terms count more, the title counts more than the body), finds any
phrase of the text; a character-bigram fallback catches near misses
(e.g. 小升规企业 → 小升规). English is matched by word, with plurals folded.

People type words the text does not use (an abbreviated department, a benefit by its everyday
name): the policy folder's ``synonyms.yaml`` (loaded as ``Policy.synonyms``) maps such a word to
words of the text, and a query containing it also searches those, weighted a little below an exact
hit. A query that finds nothing gets ``suggestions``: words close to it (a department, a measure's
title or keyword, a known abbreviation; a misspelt English word corrected) that do find measures.
No word segmenter: the dictionary and substring matching cover what a segmenter would, without a
dictionary load at start-up (see docs/policy-data.md).

>>> idx = SearchIndex.for_policy(__import__("huiqi.policies", fromlist=["load"]).load())
>>> idx.search("算力券")[0].measure_id
'm07'
"""

from __future__ import annotations

import difflib
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
EXPANSION_WEIGHT = 0.8  # a hit through a synonym counts a little less than the word typed
MAX_SUGGESTIONS = 3
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


class SearchResults(list):
    """The hits, best first (a plain list to every caller), and for a miss, ``suggestions``: words
    close to the query that do find measures ("did you mean")."""

    suggestions: tuple[str, ...] = ()


class QueryError(ValueError):
    """The query is empty or too long."""


class SearchIndex:
    K1, B = 1.2, 0.75  # BM25 constants: term-frequency saturation and length normalisation

    def __init__(self, measures: tuple[Measure, ...], synonyms: dict[str, tuple[str, ...]] | None = None):
        self.docs = [self._doc(m) for m in measures]
        self.synonyms: dict[str, tuple[str, ...]] = {}
        for word, targets in (synonyms or {}).items():
            key = normalise(word).strip()
            if key:
                self.synonyms[key] = tuple(dict.fromkeys(normalise(t).strip() for t in targets if t.strip()))
        self._keys = sorted(self.synonyms, key=lambda k: (-len(k), k))  # longest first: 社保降费 before 社保
        self._zh_words, self._en_vocab = self._vocabulary(measures)
        n = max(len(self.docs), 1)
        self._zh_avg = {f: sum(len(d.zh[f]) for d in self.docs) / n or 1.0 for f in ZH_WEIGHTS}
        self._en_avg = {f: sum(len(d.en[f]) for d in self.docs) / n or 1.0 for f in EN_WEIGHTS}

    def _bm25(self, tf: int, length: int, avg: float) -> float:
        return tf * (self.K1 + 1) / (tf + self.K1 * (1 - self.B + self.B * length / avg))

    @classmethod
    def for_policy(cls, policy: Policy) -> "SearchIndex":
        return cls(policy.measures, getattr(policy, "synonyms", None))

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

    def expansions(self, term: str) -> list[str]:
        """Words of the text a query term stands for, by the policy's synonyms: a Chinese key anywhere in
        the term (longest first, not overlapping: 市工信局 → 市工业和信息化局), another key as the whole term."""
        term = normalise(term).strip()
        found: list[str] = []
        rest = term
        for key in self._keys:
            if (key in rest) if _CJK.search(key) else key == rest:
                found.extend(self.synonyms[key])
                rest = rest.replace(key, "\0")
        return [t for t in dict.fromkeys(found) if t != term]

    def search(self, query: str, limit: int = 10) -> SearchResults:
        """Measures matching ``query``, best first; for a miss, with ``suggestions``.
        Raises QueryError on an empty or overlong query."""
        q = normalise(query).strip()
        if not q:
            raise QueryError("query is empty")
        if len(q) > MAX_QUERY_LENGTH:
            raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters")
        results = SearchResults(self._search(q, limit))
        if not results:
            results.suggestions = tuple(self.suggest(q))
        return results

    def _search(self, q: str, limit: int) -> list[SearchHit]:
        terms = [t for t in _SPLIT.split(q) if t]
        scores = [0.0] * len(self.docs)
        shown = list(terms)  # the words a snippet may show: the terms, then the words they stand for
        for term in terms:
            extra = [(t, [self._zh_score(d, t) for d in self.docs]) for t in self.expansions(term)]
            if _CJK.search(term):
                raw = [self._zh_score(d, term) for d in self.docs]
                if not any(raw) and not any(any(r) for _, r in extra):
                    raw = [self._zh_fuzzy(d, term) for d in self.docs]
            else:
                words = _en_words(term)
                raw = [sum(self._en_score(d, w) for w in words) for d in self.docs]
                raw = [r + self._zh_score(d, term) for r, d in zip(raw, self.docs)]  # codes like 8+n, 5g
            idf = self._idf(sum(1 for r in raw if r > 0))
            scores = [s + r * idf for s, r in zip(scores, raw)]
            for target, r in extra:
                idf = self._idf(sum(1 for x in r if x > 0))
                scores = [s + EXPANSION_WEIGHT * x * idf for s, x in zip(scores, r)]
                shown.append(target)
        phrase_words = _en_words(q)
        if len(phrase_words) > 1:  # an English phrase typed whole counts double
            phrase = " ".join(phrase_words)
            for i, d in enumerate(self.docs):
                if any(phrase in " ".join(words) for words in d.en.values()):
                    scores[i] *= 2
        ranked = sorted(
            (i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], self.docs[i].measure.number)
        )
        return [self._hit(self.docs[i], scores[i], shown) for i in ranked[:limit]]

    # -- did you mean ----------------------------------------------------------------------
    def _vocabulary(self, measures: tuple[Measure, ...]) -> tuple[list[str], list[str]]:
        zh: dict[str, None] = {}
        for m in measures:
            for d in m.lead_departments:
                zh[d.name] = None
        for m in measures:
            zh[m.title_zh] = None
            for k in m.keywords_zh:
                zh[k] = None
        for key in self.synonyms:
            zh[key] = None
        en: dict[str, None] = {}
        for d in self.docs:
            for text in d.en_text.values():
                for w in _WORD.findall(text):
                    if len(w) > 2 and w not in _STOPWORDS and not w.isdigit():
                        en[w] = None
        return [w for w in zh if _CJK.search(w)], list(en)

    def suggest(self, query: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        """Words close to ``query`` that find measures: for Chinese, the department names, measure titles,
        keywords and synonyms sharing most of its characters; for English, the query with each unknown word
        replaced by the closest word of the catalogue."""
        q = normalise(query).strip()
        candidates: list[str] = []
        zh_chars = set("".join(_CJK.findall(q)))
        if len(zh_chars) >= 2:
            q_grams = set().union(*(_bigrams(t) for t in _SPLIT.split(q) if _CJK.search(t)))
            scored = []
            for i, word in enumerate(self._zh_words):
                w = normalise(word)
                shared = len(zh_chars & set(w))
                if shared < 2 or shared / len(zh_chars) < 0.5:
                    continue
                grams = sum(1 for g in q_grams if g in w) / max(len(q_grams), 1)
                scored.append((-(shared / len(zh_chars) + grams), abs(len(w) - len(q)), i, word))
            candidates += [word for *_, word in sorted(scored)]
        words = [w for w in _WORD.findall(q) if w not in _STOPWORDS]
        if words and not zh_chars:
            known = set(self._en_vocab) | {_stem(w) for w in self._en_vocab}
            fixed = []
            for w in words:
                if w in known or _stem(w) in known:
                    fixed.append(w)
                else:
                    close = difflib.get_close_matches(w, self._en_vocab, n=1, cutoff=0.75)
                    fixed.append(close[0] if close else "")
            if all(fixed) and fixed != words:
                candidates.append(" ".join(fixed))
        out: list[str] = []
        for c in candidates:
            if len(out) >= limit:
                break
            if c not in out and normalise(c) != q and self._search(normalise(c), 1):
                out.append(c)
        return out

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
