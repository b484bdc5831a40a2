"""A kiosk that loses the network: the server drew the ticket but the answer never reached
the kiosk, so the kiosk sends the same press again (kiosk.js retries; a citizen taps again).
Each press carries its own key (``draw_key``), and a key the centre has seen gets the
ticket it drew, never a second one. The browser side is tests/e2e/test_kiosk_offline.py."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from buergerbuero.tickets.models import Ticket

from .conftest import draw, make_centre, make_groups

pytestmark = pytest.mark.django_db


def press(client, centre, group, key, **data):
    return client.post(
        reverse("tickets:kiosk", args=[centre.slug]),
        {"group": group.pk, "draw_key": str(key), **data},
    )


def test_every_kiosk_form_carries_a_fresh_key(client, centre, groups):
    keys = []
    for _ in range(2):
        html = client.get(reverse("tickets:kiosk", args=[centre.slug])).content.decode()
        start = html.index('name="draw_key" value="') + len('name="draw_key" value="')
        keys.append(uuid.UUID(html[start : start + 36]))
    assert keys[0] != keys[1]


def test_the_same_press_sent_again_gets_the_same_ticket_and_no_second_one(client, centre, groups):
    a, _ = groups
    key = uuid.uuid4()

    first = press(client, centre, a, key, phone="0171 1234567")
    again = press(client, centre, a, key, phone="0171 1234567")

    ticket = Ticket.objects.get()
    assert (ticket.display, ticket.draw_key, ticket.phone) == ("A-001", key, "+491711234567")
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert "A-001" in client.get(again["Location"]).content.decode()
    # The repeat took no number: the next press is A-002, not A-003.
    press(client, centre, a, uuid.uuid4())
    assert sorted(Ticket.objects.values_list("display", flat=True)) == ["A-001", "A-002"]


def test_a_repeat_with_another_group_still_gets_the_ticket_of_the_first_press(
    client, centre, groups
):
    a, b = groups
    key = uuid.uuid4()
    press(client, centre, a, key)
    press(client, centre, b, key)

    assert list(Ticket.objects.values_list("display", flat=True)) == ["A-001"]


def test_two_presses_with_different_keys_are_two_tickets(client, centre, groups):
    a, _ = groups
    press(client, centre, a, uuid.uuid4())
    press(client, centre, a, uuid.uuid4())

    assert sorted(Ticket.objects.values_list("display", flat=True)) == ["A-001", "A-002"]


def test_the_key_of_another_centre_draws_a_ticket_of_its_own(client, centre, groups):
    other = make_centre("anderes-zentrum", "Kundenzentrum Anders")
    other_a, _ = make_groups(other)
    key = uuid.uuid4()

    press(client, centre, groups[0], key)
    response = press(client, other, other_a, key)

    there = Ticket.objects.get(centre=other)
    assert there.display == "A-001" and there.draw_key == key
    assert Ticket.objects.filter(draw_key=key).count() == 2
    assert str(there.public_id) in response["Location"]


def test_a_press_without_a_key_or_with_a_broken_one_still_draws(client, centre, groups):
    a, _ = groups
    for key in ("", "kein-uuid"):
        response = press(client, centre, a, key)
        assert response.status_code == 302
    assert list(Ticket.objects.values_list("draw_key", flat=True)) == [None, None]


def test_a_press_sent_again_after_closing_time_still_gets_its_ticket(client, centre, groups):
    a, _ = groups
    key = uuid.uuid4()
    first = press(client, centre, a, key)
    centre.opening_hours.all().delete()  # the network came back after closing time

    again = press(client, centre, a, key)
    new = press(client, centre, a, uuid.uuid4())

    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert new.status_code == 400 and "ist gerade geschlossen" in new.content.decode()
    assert Ticket.objects.count() == 1


def test_the_service_answers_a_known_key_with_its_ticket_whatever_group_is_asked(centre, groups):
    a, b = groups
    key = uuid.uuid4()
    first = draw(centre, a, draw_key=key)
    draw(centre, a)  # somebody else

    again = draw(centre, b, draw_key=key)

    assert again.pk == first.pk
    assert (again.group_id, again.display) == (a.pk, "A-001")
    assert Ticket.objects.count() == 2
