"""Reads of the catalog for pages and the API (the catalog holds no personal data)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from .models import Category, LifeSituation, Service, ServiceChannel
from .snapshot import catalog_snapshot

_CHANNELS = Prefetch("channels", queryset=ServiceChannel.objects.order_by("position", "id"))


def service_list() -> QuerySet[Service]:
    return Service.objects.select_related("department").prefetch_related(_CHANNELS)


def service_get(*, slug: str) -> Service | None:
    """One service with its department, channels, documents and topics, from this process's
    catalog snapshot (no query)."""
    return catalog_snapshot().by_slug.get(slug)


def service_popular_list() -> QuerySet[Service]:
    return service_list().filter(popular=True)


def service_search(*, query: str, limit: int = 20) -> list[tuple[Service, float]]:
    """Services ranked for ``query``, best first, with their scores (no query)."""
    snapshot = catalog_snapshot()
    return [
        (snapshot.by_id[hit.service_id], hit.score)
        for hit in snapshot.index.search(query, limit=limit)
    ]


def life_situation_list() -> QuerySet[LifeSituation]:
    return LifeSituation.objects.annotate(service_count=Count("services")).filter(
        service_count__gt=0
    )


def life_situation_get(*, slug: str) -> LifeSituation | None:
    return LifeSituation.objects.filter(slug=slug).first()


def category_list() -> QuerySet[Category]:
    return Category.objects.annotate(service_count=Count("services")).filter(service_count__gt=0)


def category_get(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()
