"""The admin screens of the appointments: what can be booked where and by how many
counters. A city's administrator changes capacity here; bookings are records only."""

from __future__ import annotations

import datetime as dt

import pytest

from buergerbuero.appointments import services, slots
from buergerbuero.appointments.models import CounterPlan
from buergerbuero.catalog.models import Service

from .conftest import released

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 8)


def test_the_admin_lists_bookable_services_plans_and_appointments(admin_client, centre):
    for path in ["bookableservice", "counterplan", "appointment"]:
        page = admin_client.get(f"/admin/appointments/{path}/")
        assert page.status_code == 200, path
    assert "Testzentrum" in admin_client.get("/admin/appointments/counterplan/").content.decode()
    # Appointments change through the citizen's link and the day list, not here.
    assert admin_client.get("/admin/appointments/appointment/add/").status_code == 403


def test_a_counter_plan_ending_before_it_starts_is_refused_in_german(admin_client, centre):
    response = admin_client.post(
        "/admin/appointments/counterplan/add/",
        {
            "centre": centre.pk,
            "weekday": 0,
            "starts": "12:00",
            "ends": "08:00",
            "first_counter": 1,
            "counters": 0,
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "„bis“ muss nach „von“ liegen." in html
    assert "Es muss mindestens ein Schalter sein" in html
    assert CounterPlan.objects.filter(centre=centre).count() == 5  # the fixture's, Mon–Fri


def test_a_second_counter_added_in_the_admin_takes_bookings_at_once(admin_client, centre):
    now = released(MONDAY)
    ausweis = Service.objects.get(slug="personalausweis")
    nine = slots.slots_on(centre=centre, services=[ausweis], day=MONDAY, now=now)[3]
    services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=nine.starts_at,
        name="A",
        email="a@example.org",
        now=now,
    )
    with pytest.raises(services.SlotTaken):  # one counter: that time is gone
        services.appointment_book(
            centre=centre,
            services=[ausweis],
            starts_at=nine.starts_at,
            name="B",
            email="b@example.org",
            now=now,
        )

    response = admin_client.post(
        "/admin/appointments/counterplan/add/",
        {
            "centre": centre.pk,
            "weekday": 0,
            "starts": "08:00",
            "ends": "12:00",
            "first_counter": 2,
            "counters": 1,
        },
    )

    assert response.status_code == 302
    second, _token = services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=nine.starts_at,
        name="B",
        email="b@example.org",
        now=now,
    )
    assert {seat.counter for seat in second.seats.all()} == {2}
