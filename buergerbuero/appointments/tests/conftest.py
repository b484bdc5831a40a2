"""A small world for the appointment tests: one centre with its own hours and plans, the
catalog's services, and a clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from buergerbuero.appointments import cache
from buergerbuero.appointments.models import BookableService, CounterPlan
from buergerbuero.appointments.slots import release_moment
from buergerbuero.catalog.models import Service
from buergerbuero.organisation.models import CustomerCentre, OpeningHours

BERLIN = ZoneInfo("Europe/Berlin")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def released(day: dt.date) -> dt.datetime:
    """A moment at which ``day`` is bookable: one minute after its release."""
    return release_moment(day) + dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _fresh_static_cache():
    """Each test reads its centres' hours and plans afresh (rows of a rolled-back test
    must not be served from the process cache to the next)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ausweis():
    return Service.objects.get(slug="personalausweis")


@pytest.fixture
def pass_():
    return Service.objects.get(slug="reisepass")


@pytest.fixture
def anmelden():
    return Service.objects.get(slug="wohnsitz-anmelden")


def make_centre(slug="test-zentrum", name="Testzentrum", hours=None, counters=1) -> CustomerCentre:
    """A centre with ``hours`` {weekday: [(opens, closes)]} (default Mon–Fri 08–12), a
    counter plan of ``counters`` counters over each window, and Personalausweis (20 min),
    Reisepass (20 min) and Wohnsitz anmelden (15 min) bookable."""
    centre = CustomerCentre.objects.create(
        slug=slug,
        name=name,
        district="Kalk",
        street="Kalker Hauptstr. 247",
        postcode="51103",
        city="Köln",
    )
    hours = hours or {weekday: [(dt.time(8), dt.time(12))] for weekday in range(5)}
    for weekday, windows in hours.items():
        for opens, closes in windows:
            OpeningHours.objects.create(centre=centre, weekday=weekday, opens=opens, closes=closes)
            CounterPlan.objects.create(
                centre=centre, weekday=weekday, starts=opens, ends=closes, counters=counters
            )
    for slug, minutes in (("personalausweis", 20), ("reisepass", 20), ("wohnsitz-anmelden", 15)):
        BookableService.objects.create(
            centre=centre, service=Service.objects.get(slug=slug), minutes=minutes
        )
    return centre


@pytest.fixture
def centre():
    return make_centre()
