"""The catalog's JSON exchange format ``buergerbuero.catalog/1`` (docs/catalog-format.md).

:func:`catalog_document_parse` checks a whole document and returns every problem with its
place (``services[3].channels[0].url``), so that an administrator can fix a file in one
pass; :func:`buergerbuero.catalog.services.catalog_import` writes it only when the list is
empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from django.conf import settings
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)

from .models import Channel, TrustLevel

FORMAT = "buergerbuero.catalog/1"

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _translated(name: str, max_length: int | None = None, *, required_de: bool = False):
    """A model with one string per configured language, e.g. ``{"de": "...", "en": "..."}``."""
    fields: dict[str, Any] = {}
    for code, _ in settings.LANGUAGES:
        required = required_de and code == "de"
        constraints = StringConstraints(max_length=max_length, min_length=1 if required else None)
        fields[code] = (Annotated[str, constraints], ... if required else "")
    return create_model(name, __base__=_Strict, **fields)


Text = _translated("Text")
RequiredText = _translated("RequiredText", required_de=True)
Name = _translated("Name", 160, required_de=True)
Teaser = _translated("Teaser", 300, required_de=True)
ShortText = _translated("ShortText", 200)
TopicName = _translated("TopicName", 120, required_de=True)
DocumentName = _translated("DocumentName", 300, required_de=True)


class KeywordLists(_Strict):
    de: list[Annotated[str, StringConstraints(max_length=100)]] = []
    en: list[Annotated[str, StringConstraints(max_length=100)]] = []


class QuestionLists(_Strict):
    de: list[Annotated[str, StringConstraints(max_length=200)]] = []
    en: list[Annotated[str, StringConstraints(max_length=200)]] = []


class DepartmentIn(_Strict):
    slug: Slug
    name: Name
    email: str = ""
    phone: Annotated[str, StringConstraints(max_length=40)] = ""
    address: str = ""
    website: str = ""


class TopicIn(_Strict):
    slug: Slug
    name: TopicName
    description: Text = Field(default_factory=Text)
    position: int = Field(default=0, ge=0, le=32767)


class ChannelIn(_Strict):
    kind: Literal["online", "external", "appointment", "video", "info"]
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=200)] | None = None


class ServiceIn(_Strict):
    slug: Slug
    leika_key: Annotated[str, StringConstraints(pattern=r"^(99\d{12})?$")] = ""
    name: Name
    teaser: Teaser
    description: RequiredText
    easy_language: Text = Field(default_factory=Text)
    fees: Text = Field(default_factory=Text)
    prerequisites: Text = Field(default_factory=Text)
    legal_basis: Text = Field(default_factory=Text)
    processing_time: ShortText = Field(default_factory=ShortText)
    keywords: KeywordLists = Field(default_factory=KeywordLists)
    questions: QuestionLists = Field(default_factory=QuestionLists)
    documents: list[DocumentName] = []
    department: Slug
    trust_level: Literal["low", "substantial", "high"] = TrustLevel.LOW.value
    channels: list[ChannelIn] = Field(min_length=1)
    categories: list[Slug] = []
    life_situations: list[Slug] = []
    popular: bool = False


class CatalogDocument(_Strict):
    format: Literal["buergerbuero.catalog/1"]
    departments: list[DepartmentIn] = []
    categories: list[TopicIn] = []
    life_situations: list[TopicIn] = []
    services: list[ServiceIn] = []


@dataclass(frozen=True)
class Problem:
    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


def _place(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def catalog_document_parse(
    data: Any, *, known_departments: set[str] = frozenset(), known_topics=None
) -> tuple[CatalogDocument | None, list[Problem]]:
    """Validate ``data`` (parsed JSON). Returns the document, or None and every problem."""
    try:
        document = CatalogDocument.model_validate(data)
    except ValidationError as error:
        return None, [Problem(_place(e["loc"]), e["msg"]) for e in error.errors()]
    problems: list[Problem] = []
    known_topics = known_topics or {"categories": set(), "life_situations": set()}

    def unique(items, place):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.slug in seen:
                problems.append(Problem(f"{place}[{i}].slug", f"'{item.slug}' appears twice"))
            seen.add(item.slug)
        return seen

    departments = unique(document.departments, "departments") | set(known_departments)
    topics = {
        "categories": unique(document.categories, "categories") | known_topics["categories"],
        "life_situations": unique(document.life_situations, "life_situations")
        | known_topics["life_situations"],
    }
    unique(document.services, "services")
    for i, service in enumerate(document.services):
        here = f"services[{i}]"
        if service.department not in departments:
            problems.append(
                Problem(f"{here}.department", f"unknown department '{service.department}'")
            )
        for kind in ("categories", "life_situations"):
            for j, slug in enumerate(getattr(service, kind)):
                if slug not in topics[kind]:
                    problems.append(Problem(f"{here}.{kind}[{j}]", f"unknown slug '{slug}'"))
        kinds = [c.kind for c in service.channels]
        for j, channel in enumerate(service.channels):
            if kinds.index(channel.kind) != j:
                problems.append(Problem(f"{here}.channels[{j}]", f"'{channel.kind}' twice"))
            if channel.kind == Channel.EXTERNAL and not channel.url:
                problems.append(
                    Problem(f"{here}.channels[{j}].url", "an external channel needs a url")
                )
            if channel.kind != Channel.EXTERNAL and channel.url:
                problems.append(
                    Problem(f"{here}.channels[{j}].url", "only external channels have a url")
                )
    return (None, problems) if problems else (document, [])
