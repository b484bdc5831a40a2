"""The counter screen through HTTP: who may, and each action."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from buergerbuero.organisation.models import Department
from buergerbuero.tickets.models import Counter, Ticket, TicketState

from .conftest import draw, make_centre

pytestmark = pytest.mark.django_db


def act(client, counter, action, **data):
    return client.post(reverse("ticketstaff:counter_action", args=[counter.pk, action]), data)


def test_anonymous_goes_to_the_staff_login(client, counters):
    response = client.get(reverse("ticketstaff:counter", args=[counters[0].pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:staff_login"))


def test_a_caseworker_of_a_department_is_refused(client, counters):
    user = get_user_model().objects.create_user("sb.x", password="x-geheim-1", is_staff=True)
    user.departments.add(Department.objects.get(slug="steueramt"))
    client.force_login(user)

    response = client.get(reverse("ticketstaff:counter", args=[counters[0].pk]))

    assert response.status_code == 403
    assert "nur das Personal" in response.content.decode()


def test_staff_of_another_centre_is_refused(client, counters, db):
    other = make_centre("anderes", "Anderes Zentrum")
    user = get_user_model().objects.create_user("sb.y", password="x-geheim-1", is_staff=True)
    user.centres.add(other)
    client.force_login(user)

    assert client.get(reverse("ticketstaff:counter", args=[counters[0].pk])).status_code == 403
    assert act(client, counters[0], "naechste").status_code == 403


def test_the_clerk_works_through_the_queue(client, clerk, centre, groups, counters):
    a, b = groups
    one, _ = counters
    client.force_login(clerk)
    first, second, third = draw(centre, a), draw(centre, a), draw(centre, a)

    assert act(client, one, "schliessen").status_code == 302
    page = client.get(reverse("ticketstaff:counter", args=[one.pk]), follow=True)
    assert "geschlossen" in page.content.decode()
    response = act(client, one, "naechste")
    assert "Der Schalter ist geschlossen" in client.get(response["Location"]).content.decode()

    act(client, one, "oeffnen")
    response = act(client, one, "naechste")
    html = client.get(response["Location"]).content.decode()
    assert "A-001 ist aufgerufen." in html
    assert "Insgesamt warten 2 Personen." in html
    act(client, one, "erneut")
    assert Ticket.objects.get(pk=first.pk).call_count == 2
    act(client, one, "nicht-erschienen")
    assert Ticket.objects.get(pk=first.pk).state == TicketState.NO_SHOW

    act(client, one, "naechste")
    act(client, one, "beginnen")
    assert Ticket.objects.get(pk=second.pk).state == TicketState.SERVING
    act(client, one, "erledigt")
    assert Ticket.objects.get(pk=second.pk).state == TicketState.DONE

    act(client, one, "naechste")
    act(client, one, "weiterleiten", group=b.pk)
    moved = Ticket.objects.get(pk=third.pk)
    assert (moved.state, moved.group) == (TicketState.WAITING, b)
    assert Counter.objects.get(pk=one.pk).staffed_by == clerk


def test_an_action_without_a_ticket_at_the_counter_says_so(client, clerk, counters):
    client.force_login(clerk)
    response = act(client, counters[0], "erledigt", follow=True)
    page = client.get(response["Location"]).content.decode()
    assert "An diesem Schalter ist gerade niemand aufgerufen." in page


def test_unknown_action_is_404(client, clerk, counters):
    client.force_login(clerk)
    assert act(client, counters[0], "zaubern").status_code == 404


def test_counter_list_shows_the_clerks_counters(client, clerk, counters):
    client.force_login(clerk)
    html = client.get(reverse("ticketstaff:counters")).content.decode()
    assert "Kundenzentrum Test: Schalter 1" in html and "Schalter 2" in html
