"""The virtual offices' JSON API (``/api/v1/video-offices``). Fields are a contract: other
sites show "Bürgerservice: open, 3 waiting, about 12 minutes" from it; add fields, never
rename or remove them within version 1."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema

from . import hours
from .models import VideoOffice

router = Router(tags=["Video-Sprechstunde"])


class VideoOfficeStatus(Schema):
    slug: str
    name: str
    open: bool
    waiting: int
    estimated_wait_minutes: int | None
    next_opening: dt.datetime | None
    closes_at: dt.datetime | None
    url: str
    languages: list[str]


@router.get(
    "/video-offices",
    response=list[VideoOfficeStatus],
    summary="Virtuelle Ämter und ihr Status",
    description=(
        "Alle aktiven virtuellen Ämter: geöffnet oder nicht, wie viele warten, die geschätzte "
        "Wartezeit für jemanden, der jetzt anklopft (null, solange geschlossen), die nächste "
        "Öffnung (null, solange geöffnet) und das Ende der laufenden Sprechstunde."
    ),
)
def video_offices(request: HttpRequest):
    offices = hours.prefetch_for_status(VideoOffice.objects.filter(is_active=True))
    return [
        {
            **hours.office_status(office),
            "url": reverse("videooffice:office", args=[office.slug]),
            "languages": office.language_codes,
        }
        for office in offices
    ]
