"""Catalog search: ranked services for a citizen's words.

The catalog is small (hundreds of services, not millions), so each process keeps an
in-memory inverted index and ranks with BM25 over weighted fields. That is fast on SQLite
and PostgreSQL alike and handles what a database's full-text search does not out of the
box: German compounds, colloquial synonyms (the services' keywords) and typos. The index
is part of the process's catalog snapshot (``snapshot.py``), rebuilt when the catalog
revision moves; see ``docs/decisions/0002-catalog-search.md``.

Usage::

    from buergerbuero.catalog.snapshot import catalog_snapshot
    for hit in catalog_snapshot().index.search("Hundesteuer"):
        print(hit.service_id, hit.score)
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from rapidfuzz import fuzz, process

from .text_analysis import content_words, split_compound, stem

if TYPE_CHECKING:
    from .models import Service

MAX_QUERY_LENGTH = 200
_MAX_QUERY_TERMS = 12

# How much a word counts by where it stands in a service.
FIELD_WEIGHTS = {
    "name": 6.0,
    "keywords": 5.0,
    "teaser": 2.0,
    "topics": 1.5,
    "description": 1.0,
    "easy_language": 0.5,
    "documents": 0.5,
}
_COMPOUND_PART_FACTOR = 0.6
_FUZZY_FACTOR = 0.7
_PREFIX_FACTOR = 0.8
_BM25_K1 = 1.2
_BM25_B = 0.5


@dataclass(frozen=True)
class SearchHit:
    service_id: int
    score: float


@dataclass
class SearchIndex:
    """Fill with :meth:`add`, then :meth:`finish` once; only then :meth:`search`."""

    postings: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    lengths: dict[int, float] = field(default_factory=dict)
    _pending_compounds: list[tuple[int, str, float]] = field(default_factory=list)

    def add(self, service_id: int, field_texts: dict[str, list[str]]) -> None:
        weights: Counter[str] = Counter()
        for field_name, texts in field_texts.items():
            field_weight = FIELD_WEIGHTS[field_name]
            for text in texts:
                for word in content_words(text):
                    weights[stem(word)] += field_weight
                    self._pending_compounds.append((service_id, word, field_weight))
        for term, weight in weights.items():
            self.postings[term][service_id] = weight
        self.lengths[service_id] = sum(weights.values())

    def finish(self) -> None:
        # Compounds are split once every word of the catalog is known, so that
        # "Hundesteuer" in one service is found by "Hund" and by "Steuer".
        known = frozenset(self.postings)
        for service_id, word, field_weight in self._pending_compounds:
            for part in split_compound(word, known):
                posting = self.postings[part]
                posting[service_id] = posting.get(service_id, 0.0) + (
                    field_weight * _COMPOUND_PART_FACTOR
                )
        self._pending_compounds = []
        self._vocabulary = frozenset(self.postings)
        self._sorted_vocabulary = sorted(self._vocabulary)
        self._average_length = sum(self.lengths.values()) / max(len(self.lengths), 1)

    def expand(self, word: str, *, is_last: bool, exact: bool = False) -> list[tuple[str, float]]:
        """The index terms a query word stands for, each with how much it counts.
        ``exact``: only the word's own stem (no compound parts, typos or prefixes)."""
        term = stem(word)
        if exact:
            return [(term, 1.0)] if term in self._vocabulary else []
        if term in self._vocabulary:
            expansions = [(term, 1.0)]
        else:
            parts = split_compound(word, self._vocabulary)
            expansions = [(part, 1.0) for part in parts] if parts else self._fuzzy(term)
        if is_last and len(term) >= 3:
            # The citizen may still be typing: "fuehrersch" should find Führerschein.
            seen = {t for t, _ in expansions}
            expansions += [(t, _PREFIX_FACTOR) for t in self._prefixed(term) if t not in seen]
        return expansions

    def _fuzzy(self, term: str) -> list[tuple[str, float]]:
        if len(term) < 4:
            return []
        cutoff = 80 if len(term) <= 6 else 75
        matches = process.extract(
            term, self._sorted_vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
        )
        return [(match, _FUZZY_FACTOR * score / 100) for match, score, _ in matches]

    def _prefixed(self, term: str, limit: int = 20) -> list[str]:
        start = bisect.bisect_left(self._sorted_vocabulary, term)
        found = []
        for candidate in self._sorted_vocabulary[start : start + limit]:
            if not candidate.startswith(term):
                break
            found.append(candidate)
        return found

    def search(self, query: str, *, limit: int = 20, exact: bool = False) -> list[SearchHit]:
        """Services for ``query``, best first. ``exact``: match words by their stems only,
        for text in another language whose words would otherwise pass for German typos."""
        query_words = content_words(query[:MAX_QUERY_LENGTH])[:_MAX_QUERY_TERMS]
        if not query_words or not self.lengths:
            return []
        n_docs = len(self.lengths)
        scores: dict[int, float] = defaultdict(float)
        matched_words: dict[int, int] = defaultdict(int)
        for position, word in enumerate(query_words):
            is_last = position == len(query_words) - 1
            best_for_word: dict[int, float] = {}
            for term, factor in self.expand(word, is_last=is_last, exact=exact):
                posting = self.postings.get(term, {})
                idf = math.log(1 + (n_docs - len(posting) + 0.5) / (len(posting) + 0.5))
                for service_id, weight in posting.items():
                    norm = 1 - _BM25_B + _BM25_B * self.lengths[service_id] / self._average_length
                    tf = weight * (_BM25_K1 + 1) / (weight + _BM25_K1 * norm)
                    value = factor * idf * tf
                    if value > best_for_word.get(service_id, 0.0):
                        best_for_word[service_id] = value
            for service_id, value in best_for_word.items():
                scores[service_id] += value
                matched_words[service_id] += 1
        if not scores:
            return []
        # Services that match more of the citizen's words come first.
        ranked = sorted(scores, key=lambda sid: (matched_words[sid], scores[sid]), reverse=True)
        top = scores[ranked[0]]
        return [
            SearchHit(service_id=sid, score=round(scores[sid], 4))
            for sid in ranked
            if scores[sid] >= top * 0.15
        ][:limit]


def build_search_index(services: Iterable[Service]) -> SearchIndex:
    """Index services whose documents, categories and life situations are prefetched."""
    index = SearchIndex()
    languages = [code for code, _ in settings.LANGUAGES]

    def translations(obj, name: str) -> list[str]:
        return [getattr(obj, f"{name}_{lang}", "") or "" for lang in languages]

    for service in services:
        index.add(
            service.id,
            {
                "name": translations(service, "name"),
                "keywords": translations(service, "keywords"),
                "teaser": translations(service, "teaser"),
                "description": translations(service, "description"),
                "easy_language": translations(service, "easy_language"),
                "documents": [
                    text for doc in service.documents.all() for text in translations(doc, "name")
                ],
                "topics": [
                    text
                    for topic in [*service.categories.all(), *service.life_situations.all()]
                    for text in translations(topic, "name")
                ],
            },
        )
    index.finish()
    return index
