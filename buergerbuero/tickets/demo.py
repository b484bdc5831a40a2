"""Demo data of the walk-in queue (Stadt Köln): service groups and counters for three
customer centres, and a few waiting tickets for today. Idempotent: groups and counters are
found by letter and name; tickets are drawn only when the centre has none today.

``core/demo.py`` calls :func:`demo_load_tickets` after the customer centres are loaded;
``manage.py load_demo`` (``make run``) also draws today's tickets and, with DEMO_MODE, opens
Kalk around the clock. The suite's demo has neither: its queues start empty.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from buergerbuero.catalog.models import Service
from buergerbuero.organisation.hours import local_day
from buergerbuero.organisation.models import CustomerCentre, OpeningHours

from .models import Counter, ServiceGroup, Ticket

CENTRES = ["kundenzentrum-innenstadt", "kundenzentrum-kalk", "kundenzentrum-ehrenfeld"]
# letter: (name, typical minutes, service slugs)
GROUPS = {
    "A": ("Ausweise und Pässe", 12, ["personalausweis", "reisepass"]),
    "B": (
        "Meldeangelegenheiten",
        8,
        ["wohnsitz-anmelden", "wohnsitz-ummelden", "wohnsitz-abmelden", "meldebescheinigung"],
    ),
    "C": ("Sonstiges", 6, ["melderegisterauskunft", "bewohnerparkausweis"]),
}
# name: (groups, open)
COUNTERS = {
    "Schalter 1": ("AB", True),
    "Schalter 2": ("A", True),
    "Schalter 3": ("BC", False),
    "Schalter 4": ("ABC", False),
}
WAITING = "AABAC"  # the groups of the demo tickets drawn per centre


@transaction.atomic
def demo_load_tickets() -> int:
    """Returns the number of service groups."""
    count = 0
    for slug in CENTRES:
        centre = CustomerCentre.objects.filter(slug=slug).first()
        if centre is None:
            continue
        groups = {}
        for position, (letter, (name, minutes, service_slugs)) in enumerate(GROUPS.items()):
            group, _ = ServiceGroup.objects.update_or_create(
                centre=centre,
                letter=letter,
                defaults={"name": name, "typical_minutes": minutes, "position": position},
            )
            group.services.set(Service.objects.filter(slug__in=service_slugs))
            groups[letter] = group
            count += 1
        for name, (letters, is_open) in COUNTERS.items():
            counter, created = Counter.objects.get_or_create(
                centre=centre, name=name, defaults={"is_open": is_open}
            )
            counter.groups.set([groups[letter] for letter in letters])
    return count


@transaction.atomic
def demo_tickets_draw_today() -> int:
    """A few people waiting in each demo centre today (``manage.py load_demo``, i.e. on
    ``make run``; not in the tests' demo, whose queues start empty). Draws only at a
    centre without tickets today; returns the number drawn."""
    from . import services

    today = local_day(timezone.now())
    drawn = 0
    for centre in CustomerCentre.objects.filter(slug__in=CENTRES):
        if Ticket.objects.filter(centre=centre, day=today).exists():
            continue
        groups = {group.letter: group for group in ServiceGroup.objects.filter(centre=centre)}
        for letter in WAITING:
            if letter in groups:
                services.ticket_draw(centre=centre, group=groups[letter], source="kiosk")
                drawn += 1
    return drawn


WALK_IN_ANY_HOUR = "kundenzentrum-kalk"


@transaction.atomic
def demo_walk_in_at_any_hour() -> None:
    """Kundenzentrum Kalk open around the clock (``manage.py load_demo`` with DEMO_MODE,
    i.e. ``make run``), so that the README's walk-in journey works whenever someone tries
    it — as the demo's video office does. Its appointments keep the real hours: their
    counter plans come from the hours in the demo file."""
    centre = CustomerCentre.objects.filter(slug=WALK_IN_ANY_HOUR).first()
    if centre is None:
        return
    centre.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(centre=centre, weekday=day, opens=dt.time(0, 0), closes=dt.time(23, 59, 59))
        for day in range(7)
    )
