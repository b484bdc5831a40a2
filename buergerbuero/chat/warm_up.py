"""Load the embedding model and embed the catalog when a server process starts, in the
background, so that the first citizen to ask does not wait for it (a few seconds on a
small machine). Called from ``asgi.py``; ``CHAT_WARM_UP=false`` switches it off."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def warm_up_in_background() -> None:
    if not settings.CHAT_WARM_UP:
        return
    threading.Thread(target=_warm_up, name="chat-warm-up", daemon=True).start()


def _warm_up() -> None:
    from .retrieval import chat_index

    started = time.monotonic()
    try:
        index = chat_index()
    except Exception:  # noqa: BLE001 — the first request tries again and logs its own error
        logger.exception("chat: warm-up failed; the first question builds the index")
        return
    finally:
        connections.close_all()
    rows = 0 if index.vectors is None else len(index.vectors)
    logger.info(
        "chat: ready in %.1f s (%s services, %s texts embedded, model %s)",
        time.monotonic() - started,
        len(index.service_ids),
        rows,
        index.encoder.name if index.encoder else "none: keywords only",
    )
