"""Consultation hours: weekly windows, exceptions, NRW holidays and the days the clocks change.

Dates of 2025: Monday 24 March is an ordinary Monday, Sunday 30 March and Sunday 26 October
are the days of the clock change, Monday 21 April is Easter Monday (a holiday in NRW).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from buergerbuero.organisation.models import Department
from buergerbuero.videooffice import hours
from buergerbuero.videooffice.models import ConsultationHours, HoursException, VideoOffice

BERLIN = ZoneInfo("Europe/Berlin")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def office_with(slug: str, *weekly: tuple[int, str, str]) -> VideoOffice:
    office = VideoOffice.objects.create(
        slug=slug, name=slug.title(), department=Department.objects.get(slug="bauaufsicht")
    )
    for weekday, opens, closes in weekly:
        ConsultationHours.objects.create(
            office=office,
            weekday=weekday,
            opens=dt.time.fromisoformat(opens),
            closes=dt.time.fromisoformat(closes),
        )
    return office


@pytest.fixture
def office(db):
    """Monday 08:00–12:00, Thursday 08:00–12:00 and 14:00–18:00."""
    return office_with(
        "test-bauberatung", (0, "08:00", "12:00"), (3, "14:00", "18:00"), (3, "08:00", "12:00")
    )


@pytest.fixture
def always_open(db):
    return office_with("test-rund-um-die-uhr", *[(day, "00:00", "23:59") for day in range(7)])


def test_weekly_windows_are_local_times(office):
    assert hours.windows_on(office, dt.date(2025, 3, 24)) == [
        (local(2025, 3, 24, 8), local(2025, 3, 24, 12))
    ]
    assert hours.windows_on(office, dt.date(2025, 3, 27)) == [
        (local(2025, 3, 27, 8), local(2025, 3, 27, 12)),
        (local(2025, 3, 27, 14), local(2025, 3, 27, 18)),
    ]
    assert hours.windows_on(office, dt.date(2025, 3, 25)) == []
    start, _end = hours.windows_on(office, dt.date(2025, 7, 7))[0]
    assert start.isoformat() == "2025-07-07T08:00:00+02:00"


def test_open_from_the_first_minute_until_before_the_last(office):
    assert not hours.is_open(office, local(2025, 3, 24, 7, 59))
    assert hours.is_open(office, local(2025, 3, 24, 8, 0))
    assert hours.is_open(office, utc(2025, 3, 24, 10, 59))  # 11:59 in Köln
    assert not hours.is_open(office, local(2025, 3, 24, 12, 0))


def test_closes_at_is_the_end_of_the_current_window(office):
    assert hours.closes_at(office, local(2025, 3, 27, 15, 30)) == local(2025, 3, 27, 18)
    assert hours.closes_at(office, local(2025, 3, 27, 13)) is None


def test_next_opening_when_closed_and_none_when_open(office):
    assert hours.next_opening(office, local(2025, 3, 24, 13)) == local(2025, 3, 27, 8)
    assert hours.next_opening(office, local(2025, 3, 27, 12, 30)) == local(2025, 3, 27, 14)
    assert hours.next_opening(office, local(2025, 3, 27, 9)) is None


def test_public_holiday_is_closed(office):
    assert hours.holiday_name(dt.date(2025, 4, 21)) == "Ostermontag"
    assert hours.windows_on(office, dt.date(2025, 4, 21)) == []
    assert not hours.is_open(office, local(2025, 4, 21, 9))
    assert hours.next_opening(office, local(2025, 4, 21, 9)) == local(2025, 4, 24, 8)


def test_exception_with_times_opens_on_a_holiday(office):
    HoursException.objects.create(
        office=office, date=dt.date(2025, 4, 21), opens=dt.time(10), closes=dt.time(11)
    )
    assert hours.windows_on(office, dt.date(2025, 4, 21)) == [
        (local(2025, 4, 21, 10), local(2025, 4, 21, 11))
    ]
    assert hours.is_open(office, local(2025, 4, 21, 10, 30))
    assert hours.next_opening(office, local(2025, 4, 21, 9)) == local(2025, 4, 21, 10)


def test_exception_without_times_closes_and_with_times_replaces_the_day(office):
    HoursException.objects.create(
        office=office, date=dt.date(2025, 3, 24), reason="Betriebsausflug"
    )
    HoursException.objects.create(
        office=office, date=dt.date(2025, 3, 27), opens=dt.time(9), closes=dt.time(10)
    )
    assert not hours.is_open(office, local(2025, 3, 24, 9))
    assert hours.next_opening(office, local(2025, 3, 24, 9)) == local(2025, 3, 27, 9)
    assert hours.windows_on(office, dt.date(2025, 3, 27)) == [
        (local(2025, 3, 27, 9), local(2025, 3, 27, 10))
    ]


def test_spring_forward_day_keeps_local_hours(db):
    office = office_with("test-sonntag", (6, "08:00", "12:00"), (6, "02:30", "04:00"))
    day = dt.date(2025, 3, 30)
    (night_start, night_end), (start, end) = hours.windows_on(office, day)
    assert start.isoformat() == "2025-03-30T08:00:00+02:00"
    assert end.isoformat() == "2025-03-30T12:00:00+02:00"
    # 02:30 does not exist that night: the clocks jump from 02:00 to 03:00.
    assert night_start.isoformat() == "2025-03-30T03:30:00+02:00"
    assert hours.is_open(office, utc(2025, 3, 30, 9, 59))  # 11:59 summer time
    assert not hours.is_open(office, utc(2025, 3, 30, 10, 30))  # 12:30 summer time
    assert hours.closes_at(office, utc(2025, 3, 30, 7)) == local(2025, 3, 30, 12)


def test_clock_change_days_are_23_and_25_hours_long(always_open):
    def length(window):  # two datetimes of one ZoneInfo subtract by wall time: use UTC
        start, end = window
        return end.astimezone(dt.UTC) - start.astimezone(dt.UTC)

    [spring] = hours.windows_on(always_open, dt.date(2025, 3, 30))
    assert length(spring) == dt.timedelta(hours=22, minutes=59)
    [(start, end)] = hours.windows_on(always_open, dt.date(2025, 10, 26))
    assert (end.astimezone(dt.UTC) - start.astimezone(dt.UTC)) == dt.timedelta(hours=24, minutes=59)
    assert hours.is_open(always_open, utc(2025, 10, 26, 0, 30))  # 02:30 summer time
    assert hours.is_open(always_open, utc(2025, 10, 26, 1, 30))  # 02:30 winter time


def test_hours_ending_2359_and_starting_0000_never_close(always_open):
    just_before_midnight = local(2025, 7, 14, 23, 59, 30)  # no holiday for 60 days
    assert hours.is_open(always_open, just_before_midnight)
    assert hours.closes_at(always_open, just_before_midnight) is None
    assert hours.next_opening(always_open, just_before_midnight) is None


def test_office_open_all_week_closes_the_night_before_a_holiday(always_open):
    assert hours.closes_at(always_open, local(2025, 4, 17, 12)) == local(2025, 4, 17, 23, 59)
    assert hours.next_opening(always_open, local(2025, 4, 18, 12)) == local(2025, 4, 19)


def test_no_hours_means_closed_without_a_next_opening(db):
    office = office_with("test-ohne-zeiten")
    assert not hours.is_open(office, local(2025, 3, 24, 9))
    assert hours.next_opening(office, local(2025, 3, 24, 9)) is None
    assert hours.office_status(office, local(2025, 3, 24, 9)) == {
        "slug": "test-ohne-zeiten",
        "name": "Test-Ohne-Zeiten",
        "open": False,
        "waiting": 0,
        "estimated_wait_minutes": None,
        "next_opening": None,
        "closes_at": None,
    }


def test_status_of_a_prefetched_office_asks_the_database_nothing(
    office, always_open, django_assert_num_queries
):
    at = local(2025, 3, 24, 9)
    offices = list(
        hours.prefetch_for_status(VideoOffice.objects.filter(slug__startswith="test-"), at)
    )
    with django_assert_num_queries(0):
        statuses = [hours.status_of(o, at) for o in offices]
    assert [s.open for s in statuses] == [True, True]


def test_upcoming_deviations_name_the_holiday(office):
    HoursException.objects.create(
        office=office,
        date=dt.date(2025, 4, 24),
        opens=dt.time(9),
        closes=dt.time(11),
        reason="Personalversammlung",
    )
    deviations = hours.upcoming_deviations(office, local(2025, 4, 17, 12))
    assert [(d.date, d.reason) for d in deviations] == [
        (dt.date(2025, 4, 21), "Ostermontag"),  # Good Friday: no hours on Fridays anyway
        (dt.date(2025, 4, 24), "Personalversammlung"),
        (dt.date(2025, 5, 1), "Erster Mai"),
    ]
    assert deviations[0].windows == []
