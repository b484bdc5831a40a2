"""The public list of virtual offices (``/video-sprechstunde/``) with their live status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language_info

from . import hours
from .models import VideoOffice


@dataclass(frozen=True)
class OfficeEntry:
    office: VideoOffice
    status: hours.OfficeStatus
    languages: list[str]
    deviations: list[hours.Deviation]


def language_names(codes: list[str]) -> list[str]:
    """Language codes as names in the page's language; a code Django does not know (an
    administrator's typo) is shown as it is rather than failing the page."""
    names = []
    for code in codes:
        try:
            names.append(get_language_info(code)["name_translated"])
        except KeyError:
            names.append(code)
    return names


def office_list(request):
    """Every active office with its status and hours. htmx asks again every 30 seconds and
    gets only the status blocks, swapped out of band into the cards: a keyboard user's
    focus on a card's link is never replaced. ``?live=0`` stops the refreshing (WCAG 2.2.2)."""
    now = timezone.now()
    offices = hours.prefetch_for_status(VideoOffice.objects.filter(is_active=True), at=now)
    live = request.GET.get("live") != "0"
    today = timezone.localdate(now)
    context = {"now": now, "live": live, "today": today, "tomorrow": today + dt.timedelta(days=1)}
    if request.htmx:
        statuses = [hours.status_of(office, now) for office in offices]
        return render(request, "videooffice/_offices_live.html", {**context, "statuses": statuses})
    entries = [
        OfficeEntry(
            office=office,
            status=hours.status_of(office, now),
            languages=language_names(office.language_codes),
            deviations=hours.upcoming_deviations(office, now),
        )
        for office in offices
    ]
    return render(request, "videooffice/offices.html", {**context, "entries": entries})
