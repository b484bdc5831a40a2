"""The losing path of a booking race is cheap, and the process cache of the centres' hours,
plans and services behind it never serves old rows for long.

A booker who comes too late gets SlotTaken (with the times still free) after one query of
the day's seats: hours, closures, counter plans and bookable services come from
``cache.py``; days that are not released yet are not read at all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buergerbuero.appointments import cache, slots
from buergerbuero.appointments.models import Appointment, BookableService
from buergerbuero.appointments.services import SlotTaken, appointment_book
from buergerbuero.notifications.models import OutgoingEmail
from buergerbuero.organisation.models import OpeningHours

from .conftest import at, make_centre, released

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)


def book(centre, service, starts_at, now, email="erika@example.org"):
    return appointment_book(
        centre=centre, services=[service], starts_at=starts_at, name="Erika", email=email, now=now
    )


def test_a_loser_of_the_last_released_day_costs_one_query(ausweis):
    # One counter, 08:00–08:40 every day: two 20-minute times on the newest released day.
    centre = make_centre(
        slug="letzter-tag", hours={d: [(dt.time(8), dt.time(8, 40))] for d in range(7)}
    )
    now = at(2027, 3, 1, 9)
    day = slots.last_released_day(now)
    for i, minute in enumerate((0, 20)):
        book(centre, ausweis, at(day.year, day.month, day.day, 8, minute), now, f"p{i}@e.org")

    with CaptureQueriesContext(connection) as queries, pytest.raises(SlotTaken) as taken:
        book(centre, ausweis, at(day.year, day.month, day.day, 8), now, "max@example.org")

    # Nothing free that day, and the days after it are not released: nothing to offer,
    # and nothing read but the seats of that one day (before: 22 queries).
    assert taken.value.alternatives == []
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert Appointment.objects.filter(email="max@example.org").count() == 0


def test_a_loser_is_offered_the_times_still_free_from_the_same_read(centre, ausweis):
    book(centre, ausweis, at(2027, 3, 1, 9), released(MONDAY))

    with CaptureQueriesContext(connection) as queries, pytest.raises(SlotTaken) as taken:
        book(centre, ausweis, at(2027, 3, 1, 9), released(MONDAY), "max@example.org")

    assert [s.starts_at for s in taken.value.alternatives] == [
        at(2027, 3, 1, 9, 20),
        at(2027, 3, 1, 9, 30),
        at(2027, 3, 1, 9, 40),
    ]
    assert len(queries) == 1


def test_changed_opening_hours_count_for_the_next_booking_at_once(centre, ausweis):
    now = released(MONDAY)
    book(centre, ausweis, at(2027, 3, 1, 9), now)  # hours and plans now in the cache
    hours = OpeningHours.objects.get(centre=centre, weekday=0)
    hours.closes = dt.time(10)
    hours.save()

    with pytest.raises(SlotTaken):
        book(centre, ausweis, at(2027, 3, 1, 11), now, "max@example.org")


def test_a_service_no_longer_bookable_is_refused_at_once(centre, ausweis):
    now = released(MONDAY)
    book(centre, ausweis, at(2027, 3, 1, 9), now)
    bookable = BookableService.objects.get(centre=centre, service=ausweis)
    bookable.active = False
    bookable.save()

    with pytest.raises(ValidationError) as refused:
        book(centre, ausweis, at(2027, 3, 1, 10), now, "max@example.org")
    assert refused.value.code == "not_bookable"


def test_a_change_made_elsewhere_counts_after_the_cache_time_at_the_latest(
    centre, ausweis, monkeypatch
):
    # A change by another process (here: an update without signals) is not seen at once,
    # but once the entry is older than APPOINTMENT_STATIC_CACHE_SECONDS.
    now = released(MONDAY)
    book(centre, ausweis, at(2027, 3, 1, 9), now)
    BookableService.objects.filter(centre=centre, service=ausweis).update(active=False)
    clock = cache.time.monotonic()
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock + 11)

    with pytest.raises(ValidationError):
        book(centre, ausweis, at(2027, 3, 1, 10), now, "max@example.org")


def test_without_the_cache_every_booking_reads_the_hours(centre, ausweis, settings):
    settings.APPOINTMENT_STATIC_CACHE_SECONDS = 0
    now = released(MONDAY)
    book(centre, ausweis, at(2027, 3, 1, 9), now)
    BookableService.objects.filter(centre=centre, service=ausweis).update(active=False)

    with pytest.raises(ValidationError):
        book(centre, ausweis, at(2027, 3, 1, 10), now, "max@example.org")


def test_a_loser_at_the_seat_constraint_leaves_no_email_behind(centre, ausweis, monkeypatch):
    # The email is written before the seats (so that no seat is held while it renders);
    # when the seats turn out taken, the rollback must take the email with it.
    now = released(MONDAY)
    book(centre, ausweis, at(2027, 3, 1, 9), now)
    monkeypatch.setattr(slots.SlotBook, "counters_at", lambda *args: (1,))

    with pytest.raises(SlotTaken):
        book(centre, ausweis, at(2027, 3, 1, 9), now, "max@example.org")

    assert not OutgoingEmail.objects.filter(to="max@example.org").exists()
    assert OutgoingEmail.objects.filter(to="erika@example.org").count() == 1
