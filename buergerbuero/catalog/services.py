"""Writes to the catalog. Views, the admin and management commands call these."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from buergerbuero.organisation.models import Department

from .json_format import FORMAT, CatalogDocument, Problem, catalog_document_parse
from .models import Category, LifeSituation, RequiredDocument, Service, ServiceChannel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    problems: list[Problem]
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def _translated_fields(prefix: str, value) -> dict[str, str]:
    return {f"{prefix}_{code}": getattr(value, code, "") or "" for code in _languages()}


def catalog_import_json(*, content: bytes | str) -> ImportResult:
    """:func:`catalog_import` for a file's content; content that is not JSON is a problem too."""
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        message = _("Die Datei ist kein gültiges JSON: %(error)s") % {"error": error}
        return ImportResult(problems=[Problem("", message)])
    return catalog_import(data=data)


def catalog_import(*, data: Any) -> ImportResult:
    """Validate a whole catalog document and, only if it has no problem, upsert it by slug.

    Services, departments and topics absent from the document are left as they are.
    """
    known_topics = {
        "categories": set(Category.objects.values_list("slug", flat=True)),
        "life_situations": set(LifeSituation.objects.values_list("slug", flat=True)),
    }
    document, problems = catalog_document_parse(
        data,
        known_departments=set(Department.objects.values_list("slug", flat=True)),
        known_topics=known_topics,
    )
    if problems:
        return ImportResult(problems=problems)
    assert document is not None
    with transaction.atomic():
        created, updated = _write(document)
    logger.info("catalog imported: %s services created, %s updated", created, updated)
    return ImportResult(problems=[], created=created, updated=updated)


def _write(document: CatalogDocument) -> tuple[int, int]:
    for department in document.departments:
        Department.objects.update_or_create(
            slug=department.slug,
            defaults={
                **_translated_fields("name", department.name),
                "email": department.email,
                "phone": department.phone,
                "address": department.address,
                "website": department.website,
            },
        )
    for model, topics in (
        (Category, document.categories),
        (LifeSituation, document.life_situations),
    ):
        for topic in topics:
            model.objects.update_or_create(
                slug=topic.slug,
                defaults={
                    **_translated_fields("name", topic.name),
                    **_translated_fields("description", topic.description),
                    "position": topic.position,
                },
            )
    departments = {d.slug: d for d in Department.objects.all()}
    categories = {c.slug: c for c in Category.objects.all()}
    life_situations = {s.slug: s for s in LifeSituation.objects.all()}
    created = updated = 0
    for item in document.services:
        defaults = {"leika_key": item.leika_key, "department": departments[item.department]}
        for name in (
            "name",
            "teaser",
            "description",
            "easy_language",
            "fees",
            "prerequisites",
            "legal_basis",
            "processing_time",
        ):
            defaults.update(_translated_fields(name, getattr(item, name)))
        for code in _languages():
            defaults[f"keywords_{code}"] = "\n".join(getattr(item.keywords, code, []) or [])
            defaults[f"questions_{code}"] = "\n".join(getattr(item.questions, code, []) or [])
        defaults["trust_level"] = item.trust_level
        defaults["popular"] = item.popular
        service, was_created = Service.objects.update_or_create(slug=item.slug, defaults=defaults)
        created += was_created
        updated += not was_created
        service.documents.all().delete()
        RequiredDocument.objects.bulk_create(
            RequiredDocument(service=service, position=i, **_translated_fields("name", doc))
            for i, doc in enumerate(item.documents)
        )
        service.channels.all().delete()
        ServiceChannel.objects.bulk_create(
            ServiceChannel(service=service, kind=c.kind, url=c.url or "", position=i)
            for i, c in enumerate(item.channels)
        )
        service.categories.set([categories[slug] for slug in item.categories])
        service.life_situations.set([life_situations[slug] for slug in item.life_situations])
    return created, updated


def catalog_export() -> dict[str, Any]:
    """The whole catalog as a ``buergerbuero.catalog/1`` document (import gives it back)."""
    languages = _languages()

    def tr(obj, name: str) -> dict[str, str]:
        return {code: getattr(obj, f"{name}_{code}") or "" for code in languages}

    services = Service.objects.select_related("department").prefetch_related(
        "documents", "channels", "categories", "life_situations"
    )
    return {
        "format": FORMAT,
        "departments": [
            {
                "slug": d.slug,
                "name": tr(d, "name"),
                "email": d.email,
                "phone": d.phone,
                "address": d.address,
                "website": d.website,
            }
            for d in Department.objects.all()
        ],
        "categories": [_topic(c, tr) for c in Category.objects.all()],
        "life_situations": [_topic(s, tr) for s in LifeSituation.objects.all()],
        "services": [
            {
                "slug": s.slug,
                "leika_key": s.leika_key,
                **{
                    name: tr(s, name)
                    for name in (
                        "name",
                        "teaser",
                        "description",
                        "easy_language",
                        "fees",
                        "prerequisites",
                        "legal_basis",
                        "processing_time",
                    )
                },
                "keywords": {
                    code: [
                        k.strip()
                        for k in (getattr(s, f"keywords_{code}") or "").splitlines()
                        if k.strip()
                    ]
                    for code in languages
                },
                "questions": {
                    code: [
                        q.strip()
                        for q in (getattr(s, f"questions_{code}") or "").splitlines()
                        if q.strip()
                    ]
                    for code in languages
                },
                "documents": [tr(d, "name") for d in s.documents.all()],
                "department": s.department.slug,
                "trust_level": s.trust_level,
                "channels": [
                    {"kind": c.kind, **({"url": c.url} if c.url else {})} for c in s.channels.all()
                ],
                "categories": [c.slug for c in s.categories.all()],
                "life_situations": [ls.slug for ls in s.life_situations.all()],
                "popular": s.popular,
            }
            for s in services
        ],
    }


def _topic(topic, tr) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "name": tr(topic, "name"),
        "description": tr(topic, "description"),
        "position": topic.position,
    }
