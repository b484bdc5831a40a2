"""From a citizen's words to the services they most likely mean.

Two signals, added up per service:

- **Meaning**: the message's sentence embedding (``embeddings.py``) against several short
  texts of each service — its name with its keywords and teaser, each keyword alone, the
  start of its description, its easy-language text — in German and English. The service
  counts with its closest text. This is what understands "Mein alter Golf kommt auf den
  Schrottplatz" and questions in Turkish, Ukrainian or Arabic.
- **Words**: the catalog's own keyword search (``catalog/search.py``: BM25 over stems,
  compounds, typos and the editors' synonyms), scaled so its best hit counts 1. It keeps
  exact terms ("Halteverbotszone", "WBS") from being outvoted by near meanings.

A message is *on topic* when its closest service is nearer in meaning than the nearest
example of what the bot is not for (``off_topic.py``). Without the embedding model only
the words count, and a message is on topic when enough of its words match one service.
The weights and thresholds were chosen on the development questions and are reported
with the evaluation in ``docs/chatbot.md``; ``bench/chat_eval`` measures them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from buergerbuero.catalog.snapshot import CatalogSnapshot, catalog_snapshot
from buergerbuero.catalog.text_analysis import content_words

from . import embeddings, off_topic

# How much the keyword search adds to the similarity of meaning (which lies in about
# 0.1–0.7 for related texts). 0.15–0.5 all gave within 2 points of each other on the
# development questions.
WORDS_WEIGHT = 0.3
# A message is on topic when its closest service is nearer in meaning than the closest
# off-topic example (or at most MARGIN farther), and at least FLOOR near at all — or when
# it contains the catalog's own words (a BM25 score of STRONG_WORDS over exact stems, e.g.
# "Kassenzeichen" and "bezahlen") and is not clearly nearer to an off-topic example.
# Chosen on the development questions and a second set written independently of them
# (docs/chatbot.md, "Evaluation").
ON_TOPIC_MARGIN = -0.03
ON_TOPIC_FLOOR = 0.15
STRONG_WORDS = 5.0
STRONG_WORDS_MARGIN = -0.1
# One or two words mean little to the embedding model ("test", "asdf" come out near
# something): such a message is on topic only when a word is the catalog's own (not merely
# near one) or its meaning is close.
SHORT_MESSAGE_WORDS = 2
SHORT_MESSAGE_FLOOR = 0.7
# Without embeddings: the share of the message's content words the best service matches.
WORDS_ONLY_COVERAGE = 0.5
_DESCRIPTION_CHARS = 400
_EASY_LANGUAGE_CHARS = 500


@dataclass(frozen=True)
class Ranked:
    service_id: int
    score: float  # 0..1, comparable between services of one message only


@dataclass(frozen=True)
class Ranking:
    hits: list[Ranked]  # best first
    on_topic: bool
    semantic: bool  # whether meaning counted (the model was loaded)
    # Clearly about something else: an off-topic example is much nearer than any service
    # (not merely "not sure").
    off_topic: bool = False
    # False for a word or two that are nothing the bot knows ("asdf", "ok").
    understood: bool = True


def _passages(service, languages: list[str]) -> list[tuple[str, bool]]:
    """The service's short texts, each with whether it is one of the editors' example
    questions (those count for the ranking, not for telling whether a message is on
    topic: any question sounds a little like them)."""
    texts, examples = [], []
    for lang in languages:
        name = getattr(service, f"name_{lang}", "") or ""
        if not name:
            continue
        keywords = [
            k.strip() for k in (getattr(service, f"keywords_{lang}", "") or "").splitlines()
        ]
        keywords = [k for k in keywords if k]
        teaser = getattr(service, f"teaser_{lang}", "") or ""
        texts.append(f"{name}. {', '.join(keywords)}. {teaser}")
        texts.extend(keywords)
        questions = (getattr(service, f"questions_{lang}", "") or "").splitlines()
        examples.extend(q.strip() for q in questions if q.strip())
        description = getattr(service, f"description_{lang}", "") or ""
        if description:
            texts.append(description[:_DESCRIPTION_CHARS])
    easy = getattr(service, "easy_language_de", "") or ""
    if easy:
        texts.append(easy[:_EASY_LANGUAGE_CHARS])
    return [(text, False) for text in texts] + [(text, True) for text in examples]


@dataclass
class ChatIndex:
    snapshot: CatalogSnapshot
    service_ids: list[int]
    encoder: embeddings.Encoder | None
    vectors: np.ndarray | None = None  # one row per passage
    owners: np.ndarray | None = None  # the position in service_ids of each row's service
    examples: np.ndarray | None = None  # whether each row is an example question
    off_topic: np.ndarray | None = None

    @classmethod
    def build(cls, snapshot: CatalogSnapshot) -> ChatIndex:
        service_ids = sorted(snapshot.by_id)
        index = cls(snapshot=snapshot, service_ids=service_ids, encoder=embeddings.encoder())
        if index.encoder is not None:
            languages = [code for code, _ in settings.LANGUAGES]
            texts, owners, examples = [], [], []
            for position, service_id in enumerate(service_ids):
                for text, example in _passages(snapshot.by_id[service_id], languages):
                    texts.append(text)
                    owners.append(position)
                    examples.append(example)
            index.vectors = index.encoder.encode(texts)
            index.owners = np.asarray(owners)
            index.examples = np.asarray(examples, dtype=bool)
            index.off_topic = index.encoder.encode(list(off_topic.EXAMPLES))
        return index

    def rank(self, message: str, *, limit: int = 5, foreign: bool = False) -> Ranking:
        """``foreign``: the message is in a language the catalog is not written in; only
        words the catalog has as they are count (a German term in a Turkish sentence),
        no near spellings (Turkish words are no German typos)."""
        if not self.service_ids:
            return Ranking(hits=[], on_topic=False, semantic=False)
        lexical_text = _catalog_words(message) if foreign else message
        words = self._word_scores(lexical_text, exact=foreign)
        exact = self.snapshot.index.search(lexical_text, limit=1, exact=True)
        strong_words = bool(exact) and exact[0].score >= STRONG_WORDS
        if self.encoder is None or self.vectors is None:
            return self._rank_by_words(lexical_text, words, strong_words, limit)
        return self._rank_by_meaning(message, words, strong_words, bool(exact), limit)

    def _word_scores(self, text: str, *, exact: bool) -> np.ndarray:
        """The keyword search's score of every service, scaled so that the best is 1."""
        position_of = {sid: i for i, sid in enumerate(self.service_ids)}
        words = np.zeros(len(self.service_ids), dtype=np.float32)
        for hit in self.snapshot.index.search(text, limit=len(self.service_ids), exact=exact):
            words[position_of[hit.service_id]] = hit.score
        if words.max() > 0:
            words /= words.max()
        return words

    def _rank_by_words(
        self, text: str, words: np.ndarray, strong_words: bool, limit: int
    ) -> Ranking:
        order = np.argsort(-words, kind="stable")
        hits = [
            Ranked(self.service_ids[i], round(float(words[i]), 4))
            for i in order[:limit]
            if words[i] > 0
        ]
        covered = _coverage(self.snapshot, content_words(text))
        on_topic = strong_words and covered >= WORDS_ONLY_COVERAGE
        return Ranking(hits=hits, on_topic=on_topic, semantic=False)

    def _rank_by_meaning(
        self, message: str, words: np.ndarray, strong_words: bool, exact_words: bool, limit: int
    ) -> Ranking:
        query = self.encoder.encode([message], remember=False)[0]
        similarity = self.vectors @ query
        closest = np.full(len(self.service_ids), -1.0, dtype=np.float32)
        np.maximum.at(closest, self.owners, similarity)
        combined = np.clip(closest, 0.0, None) + WORDS_WEIGHT * words
        order = np.argsort(-combined, kind="stable")[:limit]
        hits = [
            Ranked(self.service_ids[i], round(float(combined[i]) / (1 + WORDS_WEIGHT), 4))
            for i in order
        ]
        # Whether the message is about the city's services at all: the catalog's own texts
        # against the examples of what the bot is not for.
        nearest_off_topic = float((self.off_topic @ query).max())
        catalog_texts = similarity[~self.examples]
        best = float(catalog_texts.max()) if catalog_texts.size else -1.0
        on_topic = best >= max(nearest_off_topic + ON_TOPIC_MARGIN, ON_TOPIC_FLOOR) or (
            strong_words and best >= nearest_off_topic + STRONG_WORDS_MARGIN
        )
        understood = True
        if len(message.split()) <= SHORT_MESSAGE_WORDS and not exact_words:
            understood = best >= SHORT_MESSAGE_FLOOR
            on_topic = on_topic and understood
        off_topic = not on_topic and best < nearest_off_topic + STRONG_WORDS_MARGIN
        return Ranking(
            hits=hits, on_topic=on_topic, semantic=True, off_topic=off_topic, understood=understood
        )


_TOKEN = re.compile(r"\w+")
_GERMAN_WORD = re.compile(r"[a-zäöüß]{4,}")


def _catalog_words(message: str) -> str:
    """The words of a message in another language that could be the catalog's own: whole
    tokens of German letters (the "Wohngeld" in a Ukrainian question), no fragments of
    words with other letters ("ihtiyacım" is not "ihtiyac" and "m")."""
    tokens = _TOKEN.findall(message.casefold())
    return " ".join(t for t in tokens if _GERMAN_WORD.fullmatch(t))


def _coverage(snapshot: CatalogSnapshot, query_words: list[str]) -> float:
    """The share of the message's content words that are the catalog's own words."""
    if not query_words:
        return 0.0
    found = sum(1 for word in query_words if snapshot.index.search(word, limit=1, exact=True))
    return found / len(query_words)


_lock = threading.Lock()
_index: ChatIndex | None = None


def chat_index() -> ChatIndex:
    """This process's index over the current catalog snapshot (rebuilt with it; texts
    embedded before are not embedded again)."""
    global _index
    snapshot = catalog_snapshot()
    current = _index
    if _is_current(current, snapshot):
        return current
    with _lock:
        if not _is_current(_index, snapshot):
            _index = ChatIndex.build(snapshot)
        return _index


def _is_current(index: ChatIndex | None, snapshot: CatalogSnapshot) -> bool:
    return (
        index is not None
        and index.snapshot is snapshot
        and index.encoder is embeddings.encoder()  # CHAT_EMBEDDINGS may have changed
    )
