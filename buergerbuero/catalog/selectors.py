"""Reads of the catalog for pages and the API (the catalog holds no personal data).

Services come from this process's catalog snapshot (``snapshot.py``): loaded once per
catalog revision with all their relations, so these reads run no query.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import Category, LifeSituation, Service
from .snapshot import catalog_snapshot
from .text_analysis import sort_key


def service_list() -> list[Service]:
    """Every service, in alphabetical order of its name in the active language."""
    return sorted(catalog_snapshot().by_id.values(), key=lambda service: sort_key(service.name))


def service_get(*, slug: str) -> Service | None:
    """One service with its department, channels, documents and topics, from this process's
    catalog snapshot (no query)."""
    return catalog_snapshot().by_slug.get(slug)


def service_popular_list() -> list[Service]:
    return [service for service in service_list() if service.popular]


def service_list_for_topic(*, topic: Category | LifeSituation) -> list[Service]:
    """The services of a category or a life situation."""
    relation = "categories" if isinstance(topic, Category) else "life_situations"
    return [
        service
        for service in service_list()
        if any(related.pk == topic.pk for related in getattr(service, relation).all())
    ]


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
