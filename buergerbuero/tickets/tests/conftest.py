"""Fixtures of the walk-in queue: an always-open customer centre with two service groups
and two counters, and a member of its staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from buergerbuero.catalog.models import Service
from buergerbuero.organisation.models import CustomerCentre, OpeningHours
from buergerbuero.tickets import services
from buergerbuero.tickets.models import Counter, ServiceGroup


def always_open(centre: CustomerCentre) -> CustomerCentre:
    for weekday in range(7):
        OpeningHours.objects.create(
            centre=centre, weekday=weekday, opens=dt.time(0, 0), closes=dt.time(23, 59, 59)
        )
    return centre


def make_centre(slug="test-zentrum", name="Kundenzentrum Test", open_=True) -> CustomerCentre:
    centre = CustomerCentre.objects.create(
        slug=slug, name=name, district="Test", street="Teststr. 1", postcode="50667", city="Köln"
    )
    return always_open(centre) if open_ else centre


def make_groups(centre):
    a = ServiceGroup.objects.create(
        centre=centre, letter="A", name="Ausweise und Pässe", typical_minutes=10, position=1
    )
    a.services.set(Service.objects.filter(slug__in=["personalausweis", "reisepass"]))
    b = ServiceGroup.objects.create(
        centre=centre, letter="B", name="Meldeangelegenheiten", typical_minutes=6, position=2
    )
    b.services.set(Service.objects.filter(slug__in=["wohnsitz-anmelden"]))
    return a, b


@pytest.fixture
def centre(db):
    return make_centre()


@pytest.fixture
def groups(centre):
    return make_groups(centre)


@pytest.fixture
def counters(centre, groups):
    a, b = groups
    one = Counter.objects.create(centre=centre, name="Schalter 1", is_open=True)
    one.groups.set([a, b])
    two = Counter.objects.create(centre=centre, name="Schalter 2", is_open=True)
    two.groups.set([a])
    return one, two


@pytest.fixture
def clerk(centre):
    user = get_user_model().objects.create_user(
        "schalter.test", password="geheim-123", is_staff=True, first_name="Dana", last_name="Okafor"
    )
    user.centres.add(centre)
    return user


def draw(centre, group, **kwargs):
    kwargs.setdefault("source", "kiosk")
    return services.ticket_draw(centre=centre, group=group, **kwargs)


class Clock:
    """``timezone.now`` set by the test (``clock.move_to(datetime)``)."""

    def __init__(self, monkeypatch):
        from django.utils import timezone

        self.moment = None
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def move_to(self, moment: dt.datetime, tick: bool = False) -> None:
        self.moment = moment.astimezone(dt.UTC)


@pytest.fixture
def time_machine(monkeypatch):
    return Clock(monkeypatch)
