"""The Stadt Köln demo's virtual offices (koeln.json).

Loading is idempotent: offices are upserted by slug, their hours, exceptions, services and
caseworkers replaced. Each office gets the services of its department that offer the video
channel, and as caseworkers the department's demo account ``sb-<department>`` plus those
named in the file — only accounts that exist (they are created by the core demo where
``DEMO_MODE`` is on). An office marked ``open_on_holidays`` gets an exception with its
weekly hours on every NRW holiday of this year and the next, so that the always-open
Bürgerservice can be tried on Christmas Day too.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from buergerbuero.catalog.models import Channel, Service
from buergerbuero.organisation.models import Department

from ..hours import holiday_name
from ..models import ConsultationHours, HoursException, VideoOffice

OFFICES_FILE = Path(__file__).resolve().parent / "koeln.json"


@transaction.atomic
def demo_load_offices() -> int:
    """Upsert the demo offices; returns how many there are."""
    with OFFICES_FILE.open(encoding="utf-8") as handle:
        data = json.load(handle)
    for entry in data["offices"]:
        _office_upsert(entry)
    return len(data["offices"])


def _office_upsert(entry: dict) -> VideoOffice:
    department = Department.objects.get(slug=entry["department"])
    office, _created = VideoOffice.objects.update_or_create(
        slug=entry["slug"],
        defaults={
            "department": department,
            "name_de": entry["name"]["de"],
            "name_en": entry["name"]["en"],
            "description_de": entry["description"]["de"],
            "description_en": entry["description"]["en"],
            "languages": entry["languages"],
            "typical_call_minutes": entry["typical_call_minutes"],
            "appointment_minutes": entry.get("appointment_minutes", 0),
            "appointment_lines": entry.get("appointment_lines", 1),
            "is_active": True,
        },
    )
    weekly = [
        ConsultationHours(
            office=office,
            weekday=day,
            opens=dt.time.fromisoformat(hours["opens"]),
            closes=dt.time.fromisoformat(hours["closes"]),
        )
        for hours in entry["hours"]
        for day in hours["days"]
    ]
    office.hours.all().delete()
    ConsultationHours.objects.bulk_create(weekly)
    office.exceptions.all().delete()
    if entry.get("open_on_holidays"):
        HoursException.objects.bulk_create(_holidays_opened(office, weekly))
    office.services.set(
        Service.objects.filter(department=department, channels__kind=Channel.VIDEO).distinct()
    )
    usernames = [*entry["caseworkers"], f"sb-{department.slug}"]
    office.caseworkers.set(get_user_model().objects.filter(username__in=usernames))
    return office


def _holidays_opened(office: VideoOffice, weekly: list[ConsultationHours]) -> list:
    year = timezone.localdate().year
    exceptions = []
    for offset in range((dt.date(year + 2, 1, 1) - dt.date(year, 1, 1)).days):
        day = dt.date(year, 1, 1) + dt.timedelta(days=offset)
        name = holiday_name(day)
        if not name:
            continue
        exceptions += [
            HoursException(office=office, date=day, opens=h.opens, closes=h.closes, reason=name)
            for h in weekly
            if h.weekday == day.weekday()
        ]
    return exceptions
