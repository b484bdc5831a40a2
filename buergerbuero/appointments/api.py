"""The appointments part of the JSON API (``/api/v1/appointments/…``; buergerbuero/api.py
mounts it). Read-only open data: which services can be booked where, and the free times.
Booking stays on the pages (contact data, the confirm step). Fields are a contract within
version 1: add, never rename or remove."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Schema

from buergerbuero.organisation.models import CustomerCentre

from . import selectors, slots

router = Router(tags=["Termine"])


class SlotOut(Schema):
    centre: str
    centre_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    book_url: str


def _slot(slot: slots.Slot, services) -> dict:
    query = "&".join(f"leistung={s.slug}" for s in services)
    beginn = slot.starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    return {
        "centre": slot.centre.slug,
        "centre_name": slot.centre.name,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "book_url": f"{reverse('appointments:book', args=[slot.centre.slug])}?{query}"
        f"&beginn={beginn}",
    }


@router.get(
    "/earliest",
    response=list[SlotOut],
    summary="Frühester freier Termin je Standort",
    description=(
        "Für die Leistungen (Kürzel, mehrfach: ?services=personalausweis&services=reisepass) "
        "den ersten freien Termin jedes Kundenzentrums, das alle anbietet, der früheste zuerst."
    ),
)
def earliest(request: HttpRequest, services: list[str] = Query(...)):  # noqa: B008
    chosen = selectors.services_by_slugs(services)
    if not chosen:
        return []
    return [_slot(slot, chosen) for slot in slots.earliest(services=chosen)]


@router.get(
    "/centres/{slug}/slots",
    response=list[SlotOut],
    summary="Freie Termine eines Standorts an einem Tag",
)
def centre_slots(
    request: HttpRequest,
    slug: str,
    day: dt.date,
    services: list[str] = Query(...),  # noqa: B008
):
    centre = get_object_or_404(CustomerCentre, slug=slug)
    chosen = selectors.services_by_slugs(services)
    if not chosen:
        return []
    return [_slot(s, chosen) for s in slots.slots_on(centre=centre, services=chosen, day=day)]
