"""Each process's read-only snapshot of the public catalog: every service with its
department, channels, documents and topics loaded, and the search index over them.

Public pages read services from here without a query. The snapshot is rebuilt when the
catalog revision moves — a counter in the shared cache that every committed catalog change
bumps (``signals.py``) — and at the latest after five minutes. With more than one process
the cache must be shared (Redis), or other processes see an edit only after that time.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Prefetch

from .models import Service, ServiceChannel
from .search import SearchIndex, build_search_index

_REVISION_KEY = "catalog:revision"
_MAX_AGE_SECONDS = 300


@dataclass(frozen=True)
class CatalogSnapshot:
    revision: str
    index: SearchIndex
    by_id: dict[int, Service]
    by_slug: dict[str, Service] = field(init=False)
    built_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_slug", {s.slug: s for s in self.by_id.values()})


def catalog_revision() -> str:
    """The catalog's current revision: a random token, so that a value can never come back
    (after a cache restart a counter would start again at a number some process still has)."""
    return cache.get_or_set(_REVISION_KEY, lambda: uuid.uuid4().hex, timeout=None)


def catalog_revision_bump() -> None:
    """Tell every process (through the shared cache) to rebuild its snapshot."""
    cache.set(_REVISION_KEY, uuid.uuid4().hex, timeout=None)


def _build(revision: str) -> CatalogSnapshot:
    services = list(
        Service.objects.select_related("department").prefetch_related(
            Prefetch("channels", queryset=ServiceChannel.objects.order_by("position", "id")),
            "documents",
            "categories",
            "life_situations",
        )
    )
    return CatalogSnapshot(
        revision=revision,
        index=build_search_index(services),
        by_id={service.id: service for service in services},
    )


_lock = threading.Lock()
_snapshot: CatalogSnapshot | None = None


def _is_current(snapshot: CatalogSnapshot | None, revision: str) -> bool:
    return (
        snapshot is not None
        and snapshot.revision == revision
        and time.monotonic() - snapshot.built_at < _MAX_AGE_SECONDS
    )


def catalog_snapshot() -> CatalogSnapshot:
    """This process's snapshot of the current revision. Pages key their cached fragments by
    ``snapshot.revision`` — the revision of the data they show, never a newer one."""
    global _snapshot
    snapshot = _snapshot
    if _is_current(snapshot, catalog_revision()):
        return snapshot
    with _lock:
        # Read the revision again: another thread may have rebuilt while this one waited,
        # possibly from data older than the revision this thread saw.
        revision = catalog_revision()
        if not _is_current(_snapshot, revision):
            _snapshot = _build(revision)
        return _snapshot


def catalog_snapshot_forget() -> None:
    """Drop this process's snapshot (tests: data rolled back behind the revision's back)."""
    global _snapshot
    _snapshot = None
