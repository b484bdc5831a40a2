"""Reads of the catalog for pages and the API (the catalog holds no personal data)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from .models import Category, LifeSituation, Service, ServiceChannel
from .search import search_services

_CHANNELS = Prefetch("channels", queryset=ServiceChannel.objects.order_by("position", "id"))


def service_list() -> QuerySet[Service]:
    return Service.objects.select_related("department").prefetch_related(_CHANNELS)


def service_get(*, slug: str, related: bool = True) -> Service | None:
    """One service; ``related=False`` leaves documents, channels and topics to be loaded
    on first use (a page whose fragment is cached never uses them)."""
    services = Service.objects.select_related("department").filter(slug=slug)
    if related:
        services = services.prefetch_related(
            _CHANNELS, "documents", "life_situations", "categories"
        )
    return services.first()


def service_popular_list() -> QuerySet[Service]:
    return service_list().filter(popular=True)


def service_search(
    *, query: str, limit: int = 20, with_channels: bool = False
) -> list[tuple[Service, float]]:
    """Services ranked for ``query``, best first, with their scores (and, for the API,
    their department and channels loaded)."""
    hits = search_services(query, limit=limit)
    services = service_list() if with_channels else Service.objects.all()
    by_id = services.in_bulk([hit.service_id for hit in hits])
    return [(by_id[hit.service_id], hit.score) for hit in hits if hit.service_id in by_id]


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
