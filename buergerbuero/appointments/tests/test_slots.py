"""Free slots: opening windows, counter plans, seats taken, the release rule, the days the
clocks change, holidays and closures."""

from __future__ import annotations

import datetime as dt

import pytest

from buergerbuero.appointments import slots
from buergerbuero.appointments.models import CounterPlan
from buergerbuero.appointments.services import appointment_book
from buergerbuero.organisation.models import CentreClosure

from .conftest import BERLIN, at, make_centre, released

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)


def starts(found):
    return [s.starts_at.strftime("%H:%M") for s in found]


def test_a_day_offers_every_start_on_the_grid_that_fits_the_duration(centre, ausweis):
    found = slots.slots_on(centre=centre, services=[ausweis], day=MONDAY, now=released(MONDAY))
    # 08:00–12:00, 20 minutes on a 10-minute grid: the last start is 11:40.
    assert starts(found)[:3] == ["08:00", "08:10", "08:20"]
    assert starts(found)[-1] == "11:40"
    assert len(found) == 23
    assert found[0].ends_at == at(2027, 3, 1, 8, 20)


def test_several_services_add_up_and_are_rounded_up_to_the_grid(centre, ausweis, anmelden):
    found = slots.slots_on(
        centre=centre, services=[ausweis, anmelden], day=MONDAY, now=released(MONDAY)
    )
    assert found[0].ends_at - found[0].starts_at == dt.timedelta(minutes=40)  # 20 + 15 → 40
    assert starts(found)[-1] == "11:20"


def test_a_booked_appointment_blocks_its_counter_for_its_whole_duration(centre, ausweis):
    now = released(MONDAY)
    appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=at(2027, 3, 1, 9),
        name="A",
        email="a@example.org",
        now=now,
    )
    free = starts(slots.slots_on(centre=centre, services=[ausweis], day=MONDAY, now=now))
    # 08:50 would overlap 09:00–09:20, and so would 09:00 and 09:10.
    assert "08:40" in free and "09:20" in free
    assert not {"08:50", "09:00", "09:10"} & set(free)


def test_a_second_counter_keeps_the_time_free(ausweis):
    centre = make_centre(counters=2)
    now = released(MONDAY)
    appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=at(2027, 3, 1, 9),
        name="A",
        email="a@example.org",
        now=now,
    )
    found = slots.slots_on(centre=centre, services=[ausweis], day=MONDAY, now=now)
    nine = next(s for s in found if s.starts_at == at(2027, 3, 1, 9))
    assert nine.counters == (2,)


def test_counters_for_some_services_only_serve_those(ausweis, pass_):
    centre = make_centre(counters=1)
    plan = CounterPlan.objects.create(
        centre=centre, weekday=0, starts=dt.time(8), ends=dt.time(10), first_counter=2
    )
    plan.services.set([pass_])
    now = released(MONDAY)
    nine_pass = slots.slot_free_counters(
        centre=centre, services=[pass_], starts_at=at(2027, 3, 1, 9), now=now
    )
    nine_ausweis = slots.slot_free_counters(
        centre=centre, services=[ausweis], starts_at=at(2027, 3, 1, 9), now=now
    )
    assert nine_pass == (1, 2)
    assert nine_ausweis == (1,)


def test_past_times_of_today_are_not_offered(centre, ausweis):
    now = at(2027, 3, 1, 10, 5)
    assert starts(slots.slots_on(centre=centre, services=[ausweis], day=MONDAY, now=now))[0] == (
        "10:10"
    )


def test_a_day_is_released_at_seven_the_given_number_of_days_before(centre, ausweis, settings):
    settings.APPOINTMENT_RELEASE_DAYS = 42
    settings.APPOINTMENT_RELEASE_TIME = "07:00"
    release = at(2027, 1, 18, 7)  # 42 days before Monday 1 March 2027
    assert slots.release_moment(MONDAY) == release
    before = release - dt.timedelta(seconds=1)
    assert slots.slots_on(centre=centre, services=[ausweis], day=MONDAY, now=before) == []
    assert slots.slots_on(centre=centre, services=[ausweis], day=MONDAY, now=release)


def test_a_service_the_centre_does_not_offer_has_no_slots(centre):
    from buergerbuero.catalog.models import Service

    other = Service.objects.get(slug="beglaubigung")
    assert slots.slots_on(centre=centre, services=[other], day=MONDAY, now=released(MONDAY)) == []


def test_a_public_holiday_has_no_slots(centre, ausweis):
    easter_monday = dt.date(2027, 3, 29)
    assert (
        slots.slots_on(
            centre=centre, services=[ausweis], day=easter_monday, now=released(easter_monday)
        )
        == []
    )


def test_a_closure_removes_its_span(centre, ausweis):
    CentreClosure.objects.create(
        centre=centre,
        date=MONDAY,
        starts=dt.time(9),
        ends=dt.time(11),
        reason="Betriebsversammlung",
    )
    free = starts(
        slots.slots_on(centre=centre, services=[ausweis], day=MONDAY, now=released(MONDAY))
    )
    assert free[-1] == "11:40" and "08:40" in free
    assert not [t for t in free if "08:50" <= t < "11:00"]  # 08:50 would run into 09:00


def test_a_whole_day_closure_has_no_slots(centre, ausweis):
    CentreClosure.objects.create(centre=centre, date=MONDAY, reason="Umzug")
    assert slots.slots_on(centre=centre, services=[ausweis], day=MONDAY, now=released(MONDAY)) == []


SUNDAY_NIGHT = {6: [(dt.time(1), dt.time(5))]}


def test_the_spring_forward_sunday_has_one_hour_less(anmelden):
    centre = make_centre(slug="nacht", hours=SUNDAY_NIGHT)
    day = dt.date(2027, 3, 28)  # last Sunday of March: 02:00 → 03:00
    found = slots.slots_on(centre=centre, services=[anmelden], day=day, now=released(day))
    # 01:00–05:00 local is three real hours: 01:00–01:59 and 03:00–04:59 (15 → 20 minutes).
    assert starts(found)[4:7] == ["01:40", "01:50", "03:00"]
    assert starts(found)[-1] == "04:40"
    assert len(found) == 3 * 6 - 1
    assert found[5].ends_at == at(2027, 3, 28, 3, 10)  # 01:50 + 20 real minutes: 03:10 CEST


def test_the_fall_back_sunday_has_one_hour_more(anmelden):
    centre = make_centre(slug="nacht", hours=SUNDAY_NIGHT)
    day = dt.date(2026, 10, 25)  # last Sunday of October: 03:00 → 02:00
    found = slots.slots_on(centre=centre, services=[anmelden], day=day, now=released(day))
    assert len(found) == 5 * 6 - 1  # five real hours
    assert starts(found).count("02:30") == 2  # 02:30 summer time and 02:30 winter time
    offsets = {s.starts_at.utcoffset() for s in found}
    assert offsets == {dt.timedelta(hours=2), dt.timedelta(hours=1)}


def test_earliest_anywhere_gives_each_centres_first_slot_earliest_first(ausweis):
    early = make_centre(slug="frueh", name="Früh", hours={1: [(dt.time(8), dt.time(12))]})
    late = make_centre(slug="spaet", name="Spät", hours={0: [(dt.time(14), dt.time(16))]})
    now = at(2027, 1, 18, 7, 1)  # a Monday
    found = slots.earliest(services=[ausweis], centres=[early, late], now=now)
    assert [(s.centre.slug, s.starts_at) for s in found] == [
        ("spaet", at(2027, 1, 18, 14)),
        ("frueh", at(2027, 1, 19, 8)),
    ]


def test_earliest_anywhere_reads_a_fixed_number_of_queries(ausweis, django_assert_max_num_queries):
    for i in range(5):
        make_centre(slug=f"z{i}", name=f"Z{i}")
    now = at(2027, 1, 18, 7, 1)
    with django_assert_max_num_queries(9):
        found = slots.earliest(services=[ausweis], now=now)
    assert {s.centre.slug for s in found} >= {f"z{i}" for i in range(5)}


def test_earliest_anywhere_passes_over_a_full_day(ausweis):
    centre = make_centre(slug="voll", hours={0: [(dt.time(8), dt.time(8, 40))]})
    now = at(2027, 1, 18, 7, 1)  # a Monday
    for minute in (0, 20):
        appointment_book(
            centre=centre,
            services=[ausweis],
            starts_at=at(2027, 1, 18, 8, minute),
            name="A",
            email=f"a{minute}@example.org",
            now=now,
        )
    found = slots.earliest(services=[ausweis], centres=[centre], now=now)
    assert [s.starts_at for s in found] == [at(2027, 1, 25, 8)]


@pytest.mark.parametrize(
    ("day", "release_utc"),
    [
        # Released on the Monday after the spring-forward Sunday: 07:00 CEST is 05:00 UTC
        # (the Friday before was released at 07:00 CET, 06:00 UTC).
        (dt.date(2026, 5, 11), dt.datetime(2026, 3, 30, 5, 0, tzinfo=dt.UTC)),
        (dt.date(2026, 5, 8), dt.datetime(2026, 3, 27, 6, 0, tzinfo=dt.UTC)),
        # Released on the Monday after the fall-back Sunday: 07:00 CET is 06:00 UTC.
        (dt.date(2026, 12, 7), dt.datetime(2026, 10, 26, 6, 0, tzinfo=dt.UTC)),
    ],
)
def test_the_release_stays_at_seven_local_time_across_a_clock_change(
    centre, ausweis, settings, day, release_utc
):
    settings.APPOINTMENT_RELEASE_DAYS = 42
    settings.APPOINTMENT_RELEASE_TIME = "07:00"
    assert slots.release_moment(day) == release_utc
    assert release_utc.astimezone(BERLIN).strftime("%H:%M") == "07:00"
    before = release_utc - dt.timedelta(seconds=1)
    assert slots.slots_on(centre=centre, services=[ausweis], day=day, now=before) == []
    assert slots.slots_on(centre=centre, services=[ausweis], day=day, now=release_utc)


@pytest.mark.parametrize(
    ("sunday", "seven"),
    [
        (dt.date(2026, 3, 29), dt.datetime(2026, 3, 29, 5, 0, tzinfo=dt.UTC)),  # CEST
        (dt.date(2026, 10, 25), dt.datetime(2026, 10, 25, 6, 0, tzinfo=dt.UTC)),  # CET
    ],
)
def test_on_a_clock_change_sunday_the_next_day_is_released_at_seven_local_time(
    settings, sunday, seven
):
    settings.APPOINTMENT_RELEASE_DAYS = 42
    settings.APPOINTMENT_RELEASE_TIME = "07:00"
    in_six_weeks = sunday + dt.timedelta(days=42)
    assert slots.last_released_day(seven - dt.timedelta(seconds=1)) == in_six_weeks - dt.timedelta(
        days=1
    )
    assert slots.last_released_day(seven) == in_six_weeks
