"""The catalog's JSON API (``/api/v1/``). Paths and fields are a contract: external
checks and other parts of the platform use them; change them only in a new version."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from . import selectors
from .models import Service
from .next_steps import next_steps_for
from .search import MAX_QUERY_LENGTH

router = Router(tags=["Leistungen"])


class Action(Schema):
    channel: str
    url: str


class ServiceSummary(Schema):
    slug: str
    name: str
    teaser: str
    url: str
    leika_key: str
    department: str
    channels: list[str]
    actions: list[Action]


class ServiceDetail(ServiceSummary):
    description: str
    easy_language: str
    fees: str
    prerequisites: str
    legal_basis: str
    processing_time: str
    trust_level: str
    documents: list[str]
    categories: list[str]
    life_situations: list[str]


class SearchResult(ServiceSummary):
    score: float


class SearchResponse(Schema):
    query: str
    count: int
    results: list[SearchResult]


class Message(Schema):
    detail: str


def _summary(service: Service) -> dict:
    return {
        "slug": service.slug,
        "name": service.name,
        "teaser": service.teaser,
        "url": service.get_absolute_url(),
        "leika_key": service.leika_key,
        "department": service.department.name,
        "channels": [channel.kind for channel in service.channels.all()],
        "actions": [{"channel": s.channel, "url": s.url} for s in next_steps_for(service)],
    }


@router.get("/services", response=list[ServiceSummary], summary="Alle Leistungen")
def services_list(request: HttpRequest):
    return [_summary(service) for service in selectors.service_list()]


@router.get(
    "/services/{slug}",
    response={200: ServiceDetail, 404: Message},
    summary="Eine Leistung",
)
def services_detail(request: HttpRequest, slug: str):
    service = selectors.service_get(slug=slug[:80])
    if service is None:
        raise HttpError(404, "Unknown service slug.")
    return {
        **_summary(service),
        "description": service.description,
        "easy_language": service.easy_language,
        "fees": service.fees,
        "prerequisites": service.prerequisites,
        "legal_basis": service.legal_basis,
        "processing_time": service.processing_time,
        "trust_level": service.trust_level,
        "documents": [document.name for document in service.documents.all()],
        "categories": [category.slug for category in service.categories.all()],
        "life_situations": [situation.slug for situation in service.life_situations.all()],
    }


class SearchParams(Schema):
    q: str = ""
    limit: int = 20


@router.get("/search", response=SearchResponse, summary="Leistungen suchen")
def search(request: HttpRequest, params: Query[SearchParams]):
    query = params.q.strip()[:MAX_QUERY_LENGTH]
    limit = min(max(params.limit, 1), 50)
    results = selectors.service_search(query=query, limit=limit)
    return {
        "query": query,
        "count": len(results),
        "results": [{**_summary(service), "score": score} for service, score in results],
    }
