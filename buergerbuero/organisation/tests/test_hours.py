"""Opening windows and status of a customer centre: weekly hours, NRW holidays, closures,
and the days the clocks change."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from buergerbuero.organisation.hours import (
    centre_status,
    centre_windows_on,
    holiday_name,
    prefetch_for_hours,
)
from buergerbuero.organisation.models import CentreClosure, CustomerCentre, OpeningHours

BERLIN = ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def kalk():
    centre = CustomerCentre.objects.create(
        slug="test-kalk",
        name="Kundenzentrum Kalk",
        district="Kalk",
        street="Kalker Hauptstr. 247",
        postcode="51103",
        city="Köln",
    )
    for weekday in range(5):  # Monday to Friday
        OpeningHours.objects.create(
            centre=centre, weekday=weekday, opens=dt.time(8), closes=dt.time(12)
        )
    OpeningHours.objects.create(centre=centre, weekday=3, opens=dt.time(14), closes=dt.time(18))
    return centre


def test_a_weekday_has_its_windows_in_local_time(kalk):
    thursday = dt.date(2026, 12, 3)
    assert centre_windows_on(kalk, thursday) == [
        (at(2026, 12, 3, 8), at(2026, 12, 3, 12)),
        (at(2026, 12, 3, 14), at(2026, 12, 3, 18)),
    ]
    assert centre_windows_on(kalk, dt.date(2026, 12, 5)) == []  # Saturday


def test_public_holidays_of_nrw_are_closed(kalk):
    # Fronleichnam is a holiday in NRW (not in all of Germany); 4 June 2026 is a Thursday.
    assert holiday_name(dt.date(2026, 6, 4)) == "Fronleichnam"
    assert centre_windows_on(kalk, dt.date(2026, 6, 4)) == []
    assert holiday_name(dt.date(2026, 6, 5)) is None


def test_a_closure_takes_the_whole_day_or_a_span(kalk):
    CentreClosure.objects.create(
        centre=kalk, date=dt.date(2026, 12, 7), reason="Betriebsversammlung"
    )
    CentreClosure.objects.create(
        centre=kalk,
        date=dt.date(2026, 12, 10),
        starts=dt.time(10),
        ends=dt.time(15),
        reason="Umbau",
    )
    assert centre_windows_on(kalk, dt.date(2026, 12, 7)) == []
    assert centre_windows_on(kalk, dt.date(2026, 12, 10)) == [
        (at(2026, 12, 10, 8), at(2026, 12, 10, 10)),
        (at(2026, 12, 10, 15), at(2026, 12, 10, 18)),
    ]


def test_the_status_says_until_when_or_from_when(kalk):
    open_now = centre_status(kalk, at(2026, 12, 3, 9, 30))
    assert open_now.open and open_now.closes_at == at(2026, 12, 3, 12)
    lunch = centre_status(kalk, at(2026, 12, 3, 12))
    assert not lunch.open and lunch.next_opening == at(2026, 12, 3, 14)
    # Friday evening: next Monday (the weekend is closed).
    weekend = centre_status(kalk, at(2026, 12, 4, 18))
    assert weekend.next_opening == at(2026, 12, 7, 8)
    # Christmas: 24 December 2026 is a Thursday but no holiday; 25 and 26 are.
    christmas = centre_status(kalk, at(2026, 12, 24, 20))
    assert christmas.next_opening == at(2026, 12, 28, 8)


def test_a_centre_without_hours_never_opens(kalk):
    kalk.opening_hours.all().delete()
    status = centre_status(kalk, at(2026, 12, 3, 9))
    assert (status.open, status.closes_at, status.next_opening) == (False, None, None)


def test_the_days_the_clocks_change_keep_wall_times(kalk):
    # 29 March 2026 and 25 October 2026 are Sundays; open them for the test.
    for day in (dt.date(2026, 3, 29), dt.date(2026, 10, 25)):
        OpeningHours.objects.create(centre=kalk, weekday=6, opens=dt.time(1), closes=dt.time(5))
        ((start, end),) = centre_windows_on(kalk, day)
        assert (start.hour, end.hour) == (1, 5)
        # (Subtracting two datetimes that share a ZoneInfo gives the wall-clock difference.)
        hours = (end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds() / 3600
        assert hours == (3 if day.month == 3 else 5)  # a wall-clock span of 4 hours
        OpeningHours.objects.filter(weekday=6).delete()


def test_a_prefetched_centre_knows_its_closures_of_any_day(kalk):
    CentreClosure.objects.create(centre=kalk, date=dt.date(2027, 6, 1), reason="Umbau")
    (centre,) = prefetch_for_hours(CustomerCentre.objects.filter(pk=kalk.pk))
    assert centre_windows_on(centre, dt.date(2027, 6, 1)) == []  # a Tuesday, months ahead


def test_many_centres_in_two_queries(kalk, django_assert_num_queries):
    CustomerCentre.objects.create(
        slug="test-porz", name="Porz", district="Porz", street="x", postcode="51143", city="Köln"
    )
    with django_assert_num_queries(3):
        centres = list(prefetch_for_hours(CustomerCentre.objects.filter(slug__startswith="test-")))
        for centre in centres:
            centre_status(centre, at(2026, 12, 3, 9))
