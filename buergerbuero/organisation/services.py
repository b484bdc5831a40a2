"""Writes for departments and customer centres."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from .models import CustomerCentre, OpeningHours


@transaction.atomic
def customer_centre_upsert(*, data: dict[str, Any]) -> CustomerCentre:
    """Create or update a customer centre by slug, replacing its regular opening hours.

    ``data`` is one entry of ``organisation/demo/<city>/customer_centres.json``.
    """
    accessibility = data.get("accessibility") or {}
    centre, _ = CustomerCentre.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "name": data["name"],
            "district": data["district"],
            "street": data["street"],
            "postcode": data["postcode"],
            "city": data["city"],
            "phone": data.get("phone", ""),
            "email": data.get("email", ""),
            "public_transport": data.get("public_transport", ""),
            **{f"accessibility_{code}": text for code, text in accessibility.items()},
        },
    )
    centre.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(
            centre=centre,
            weekday=entry["weekday"],
            opens=dt.time.fromisoformat(entry["opens"]),
            closes=dt.time.fromisoformat(entry["closes"]),
        )
        for entry in data.get("opening_hours", [])
    )
    return centre
