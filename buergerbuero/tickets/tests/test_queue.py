"""The queue's rules: numbers, the order of calls, transfer, no-show, service time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from buergerbuero.tickets import selectors, services
from buergerbuero.tickets.models import Ticket, TicketState

from .conftest import draw

pytestmark = pytest.mark.django_db


def test_numbers_count_per_group_and_show_the_letter(centre, groups):
    a, b = groups
    first, second, other = draw(centre, a), draw(centre, a), draw(centre, b)

    assert [first.display, second.display, other.display] == ["A-001", "A-002", "B-001"]


def test_numbers_start_again_the_next_day(centre, groups, time_machine):
    a, _ = groups
    time_machine.move_to(dt.datetime(2026, 3, 28, 21, 0, tzinfo=dt.UTC))  # 22:00 in Köln
    assert draw(centre, a).display == "A-001"
    assert draw(centre, a).display == "A-002"
    time_machine.move_to(dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC))  # 00:30 next day
    ticket = draw(centre, a)
    assert (ticket.display, ticket.day) == ("A-001", dt.date(2026, 3, 29))


@pytest.mark.parametrize(
    ("utc", "local_day"),
    [
        # The last Sundays of March and October: 23 and 25 hours long.
        (dt.datetime(2026, 3, 29, 21, 59, tzinfo=dt.UTC), dt.date(2026, 3, 29)),  # 23:59 CEST
        (dt.datetime(2026, 3, 29, 22, 0, tzinfo=dt.UTC), dt.date(2026, 3, 30)),
        (dt.datetime(2026, 10, 25, 22, 59, tzinfo=dt.UTC), dt.date(2026, 10, 25)),  # 23:59 CET
        (dt.datetime(2026, 10, 25, 23, 0, tzinfo=dt.UTC), dt.date(2026, 10, 26)),
    ],
)
def test_the_day_of_a_ticket_is_the_local_day_on_clock_change_sundays(
    centre, groups, time_machine, utc, local_day
):
    time_machine.move_to(utc)
    assert draw(centre, groups[0]).day == local_day


def test_calls_go_in_order_of_drawing(centre, groups, counters):
    a, _ = groups
    one, _ = counters
    first, second = draw(centre, a), draw(centre, a)

    assert services.counter_call_next(counter=one).pk == first.pk
    assert services.counter_call_next(counter=one).pk == second.pk
    assert services.counter_call_next(counter=one) is None
    first.refresh_from_db()
    assert first.state == TicketState.DONE  # calling next finished the one before


def test_appointment_holders_whose_time_has_come_go_first(centre, groups, counters):
    a, _ = groups
    one, _ = counters
    walk_in = draw(centre, a)
    early = draw(centre, a, source="appointment", due_at=timezone.now() + dt.timedelta(hours=1))
    due = draw(centre, a, source="appointment", due_at=timezone.now() - dt.timedelta(minutes=1))

    called = [services.counter_call_next(counter=one).pk for _ in range(3)]

    assert called == [due.pk, walk_in.pk, early.pk]


def test_a_counter_calls_only_its_groups(centre, groups, counters):
    _, b = groups
    _, two = counters  # serves A only
    draw(centre, b)

    assert services.counter_call_next(counter=two) is None


def test_a_closed_counter_cannot_call(centre, groups, counters):
    one, _ = counters
    services.counter_close(counter=one)
    draw(centre, groups[0])

    with pytest.raises(services.TicketRefused, match="geschlossen"):
        services.counter_call_next(counter=one)


def test_call_again_no_show_and_done_with_service_time(centre, groups, counters, time_machine):
    a, _ = groups
    one, _ = counters
    time_machine.move_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC), tick=False)
    gone, there = draw(centre, a), draw(centre, a)
    ticket = services.counter_call_next(counter=one)
    ticket = services.ticket_call_again(ticket=ticket)
    assert ticket.call_count == 2
    services.ticket_no_show(ticket=ticket)
    assert Ticket.objects.get(pk=gone.pk).state == TicketState.NO_SHOW

    ticket = services.counter_call_next(counter=one)
    services.ticket_serve_start(ticket=ticket)
    time_machine.move_to(dt.datetime(2026, 12, 3, 9, 7, tzinfo=dt.UTC), tick=False)
    services.ticket_done(ticket=ticket)
    there.refresh_from_db()
    assert there.state == TicketState.DONE
    assert there.done_at - there.service_started_at == dt.timedelta(minutes=7)
    with pytest.raises(services.TicketRefused):
        services.ticket_no_show(ticket=there)


def test_transfer_keeps_the_place_by_drawn_time(centre, groups, counters):
    a, b = groups
    one, _ = counters
    first_in_a = draw(centre, a)
    b1, b2 = draw(centre, b), draw(centre, b)
    # Schalter 1 calls A-001, sees it belongs to B: it goes to B, before the B tickets
    # drawn after it.
    ticket = services.counter_call_next(counter=one)
    assert ticket.pk == first_in_a.pk
    services.ticket_transfer(ticket=ticket, group=b)

    queue = selectors.queue_of(centre.pk, ticket.day, b.pk)
    assert [t.pk for t in queue] == [first_in_a.pk, b1.pk, b2.pk]
    moved = Ticket.objects.get(pk=first_in_a.pk)
    assert (moved.state, moved.display, moved.counter) == (TicketState.WAITING, "A-001", None)


def test_status_shows_position_and_a_range(centre, groups, counters):
    a, _ = groups
    tickets = [draw(centre, a) for _ in range(5)]

    status = selectors.ticket_status(tickets[4])

    assert status.position == 5
    assert status.estimate.low <= status.estimate.minutes <= status.estimate.high
    assert status.estimate.minutes > 0


def test_group_for_services(centre, groups):
    from buergerbuero.catalog.models import Service

    a, b = groups
    assert selectors.group_for_services(centre, Service.objects.filter(slug="reisepass")) == a
    assert (
        selectors.group_for_services(centre, Service.objects.filter(slug="wohnsitz-anmelden")) == b
    )
    assert (
        selectors.group_for_services(centre, Service.objects.filter(slug="hund-anmelden")) is None
    )
