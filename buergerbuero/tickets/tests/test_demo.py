"""The demo data of the walk-in queue loads twice to the same result."""

import pytest

from buergerbuero.tickets.demo import demo_load_tickets, demo_tickets_draw_today
from buergerbuero.tickets.models import Counter, ServiceGroup, Ticket

pytestmark = pytest.mark.django_db


def test_demo_loads_twice_to_the_same_data():
    # (The suite's demo has the groups and counters already, and no tickets.)
    assert demo_load_tickets() == 9
    assert demo_tickets_draw_today() == 15
    first = (ServiceGroup.objects.count(), Counter.objects.count(), Ticket.objects.count())
    assert demo_load_tickets() == 9
    assert demo_tickets_draw_today() == 0
    second = (ServiceGroup.objects.count(), Counter.objects.count(), Ticket.objects.count())

    assert first == second == (9, 12, 15)
    passports = ServiceGroup.objects.get(centre__slug="kundenzentrum-kalk", letter="A")
    assert set(passports.services.values_list("slug", flat=True)) == {
        "personalausweis",
        "reisepass",
    }


def test_make_run_has_people_waiting_and_kalk_open_at_any_hour():
    import datetime as dt
    import io
    from zoneinfo import ZoneInfo

    from django.core.management import call_command

    from buergerbuero.organisation.hours import centre_status
    from buergerbuero.organisation.models import CustomerCentre

    call_command("load_demo", stdout=io.StringIO())

    kalk = CustomerCentre.objects.get(slug="kundenzentrum-kalk")
    sunday_night = dt.datetime(2026, 12, 6, 3, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert centre_status(kalk, sunday_night).open
    porz = CustomerCentre.objects.get(slug="kundenzentrum-porz")
    assert not centre_status(porz, sunday_night).open  # the others keep their hours
    assert Ticket.objects.filter(centre=kalk, state="waiting").count() == 5
