"""Demo data of the appointments: Köln's customer centres bookable for the services whose
channel is an appointment, three counters during every opening window, Monday to Friday.

Idempotent: bookable services are upserted by (centre, service), counter plans by
(centre, weekday, starts, ends, first counter).
"""

from __future__ import annotations

from django.db import transaction

from buergerbuero.catalog.models import Service
from buergerbuero.organisation.models import CustomerCentre

from .models import BookableService, CounterPlan

# service slug → minutes at the counter
DEMO_SERVICES = {
    "personalausweis": 20,
    "reisepass": 20,
    "wohnsitz-anmelden": 15,
    "wohnsitz-ummelden": 10,
    "beglaubigung": 10,
}
DEMO_COUNTERS = 3


@transaction.atomic
def demo_load_appointments() -> int:
    """Make every customer centre (kind ``kundenzentrum``) bookable; returns the number
    of bookable services."""
    services = {s.slug: s for s in Service.objects.filter(slug__in=DEMO_SERVICES)}
    count = 0
    for centre in CustomerCentre.objects.filter(
        kind=CustomerCentre.Kind.CUSTOMER_CENTRE
    ).prefetch_related("opening_hours"):
        for slug, service in services.items():
            BookableService.objects.update_or_create(
                centre=centre,
                service=service,
                defaults={"minutes": DEMO_SERVICES[slug], "active": True},
            )
            count += 1
        for hours in centre.opening_hours.all():
            if hours.weekday > 4:
                continue
            CounterPlan.objects.update_or_create(
                centre=centre,
                weekday=hours.weekday,
                starts=hours.opens,
                ends=hours.closes,
                first_counter=1,
                defaults={"counters": DEMO_COUNTERS},
            )
    return count
