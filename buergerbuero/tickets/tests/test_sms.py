"""The two text messages: "few ahead" recomputed on every change of the queue, "called";
each sent once, only to tickets with a number."""

from __future__ import annotations

import pytest

from buergerbuero.notifications.models import OutgoingSms
from buergerbuero.tickets import services

from .conftest import draw

pytestmark = pytest.mark.django_db

PHONE = "+491711234567"


def texts():
    return list(OutgoingSms.objects.order_by("pk").values_list("topic", "body"))


def test_few_ahead_is_sent_when_the_queue_moves_up_not_at_drawing(
    centre, groups, counters, settings
):
    settings.TICKETS_FEW_AHEAD = 2
    a, _ = groups
    one, _ = counters
    for _ in range(4):
        draw(centre, a)
    mine = draw(centre, a, phone=PHONE)  # 4 ahead: too early
    assert texts() == []

    services.counter_call_next(counter=one)  # 3 ahead
    assert texts() == []
    services.counter_call_next(counter=one)  # 2 ahead: now

    [(topic, body)] = texts()
    assert topic == "tickets.few_ahead"
    assert mine.display in body and "noch 2 Personen" in body
    services.counter_call_next(counter=one)  # 1 ahead: not again
    assert len(texts()) == 1


def test_a_ticket_drawn_near_the_front_is_told_at_once(centre, groups, settings):
    settings.TICKETS_FEW_AHEAD = 3
    draw(centre, groups[0])
    draw(centre, groups[0], phone=PHONE)
    assert [topic for topic, _ in texts()] == ["tickets.few_ahead"]


def test_called_is_sent_once_with_the_counter(centre, groups, counters):
    ticket = draw(centre, groups[0], phone=PHONE)
    called = services.counter_call_next(counter=counters[0])
    services.ticket_call_again(ticket=called)

    called_texts = [body for topic, body in texts() if topic == "tickets.called"]
    assert len(called_texts) == 1
    assert ticket.display in called_texts[0] and "Schalter 1" in called_texts[0]


def test_without_a_number_nothing_is_sent(centre, groups, counters):
    draw(centre, groups[0])
    services.counter_call_next(counter=counters[0])
    assert texts() == []


def test_a_transfer_starts_a_new_few_ahead_in_the_new_queue(centre, groups, counters, settings):
    settings.TICKETS_FEW_AHEAD = 0
    a, b = groups
    ticket = draw(centre, a, phone=PHONE)  # first in A: told at once
    draw(centre, b)
    called = services.counter_call_next(counter=counters[1])
    assert called.pk == ticket.pk
    # To B, where it is first by drawn time: the new queue's "few ahead" is sent.
    services.ticket_transfer(ticket=called, group=b)

    assert [topic for topic, _ in texts()] == [
        "tickets.few_ahead",
        "tickets.called",
        "tickets.few_ahead",
    ]


def test_numbers_are_forgotten_after_their_day(centre, groups, time_machine):
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC))
    yesterday = draw(centre, groups[0], phone=PHONE)
    time_machine.move_to(dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC))
    today = draw(centre, groups[0], phone=PHONE)

    yesterday.refresh_from_db()
    today.refresh_from_db()
    assert (yesterday.phone, today.phone) == ("", PHONE)
