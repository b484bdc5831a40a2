"""The appointments part of the JSON API (``/api/v1/appointments/…``; buergerbuero/api.py
mounts it). Read-only open data: which services can be booked where, and the free times.
Booking stays on the pages (contact data, the confirm step). Fields are a contract within
version 1: add, never rename or remove.

Reads are limited per client address and minute (``fairness.API_READS``): over the limit
the answer is 429 with ``Retry-After`` and a message in English and German."""

from __future__ import annotations

import datetime as dt
import functools

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Schema

from buergerbuero.organisation.models import CustomerCentre

from . import fairness, selectors, slots

router = Router(tags=["Termine"])


class SlotOut(Schema):
    centre: str
    centre_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    book_url: str


class TooManyOut(Schema):
    detail: str
    detail_de: str
    retry_after: int


def _read_limited(view):
    """Count the read against the client address's limit; over it, answer 429."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        refusal = fairness.api_read_refused(request)
        if refusal is None:
            return view(request, *args, **kwargs)
        # The API speaks English to developers (like its other errors); the German text is
        # for an app that shows the message to its users as it is.
        response = JsonResponse(
            {
                "detail": f"Too many requests from your address: at most {refusal.limit} "
                f"per minute. Please try again in {refusal.retry_after} seconds.",
                "detail_de": f"Zu viele Anfragen von Ihrer Adresse: höchstens "
                f"{refusal.limit} pro Minute. Bitte versuchen Sie es in "
                f"{refusal.retry_after} Sekunden noch einmal.",
                "retry_after": refusal.retry_after,
            },
            status=429,
        )
        response["Retry-After"] = str(refusal.retry_after)
        return response

    return wrapper


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
    response={200: list[SlotOut], 429: TooManyOut},
    summary="Frühester freier Termin je Standort",
    description=(
        "Für die Leistungen (Kürzel, mehrfach: ?services=personalausweis&services=reisepass) "
        "den ersten freien Termin jedes Kundenzentrums, das alle anbietet, der früheste zuerst."
    ),
)
@_read_limited
def earliest(request: HttpRequest, services: list[str] = Query(...)):  # noqa: B008
    chosen = selectors.services_by_slugs(services)
    if not chosen:
        return []
    return [_slot(slot, chosen) for slot in slots.earliest(services=chosen)]


@router.get(
    "/centres/{slug}/slots",
    response={200: list[SlotOut], 429: TooManyOut},
    summary="Freie Termine eines Standorts an einem Tag",
)
@_read_limited
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
