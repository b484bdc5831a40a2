"""The centre's day list for its staff: who may see it, check-in and no-show."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from buergerbuero.appointments.models import Appointment, AppointmentService
from buergerbuero.catalog.models import Service
from buergerbuero.organisation.models import CustomerCentre

pytestmark = pytest.mark.django_db


@pytest.fixture
def kalk():
    return CustomerCentre.objects.get(slug="kundenzentrum-kalk")


@pytest.fixture
def okafor():
    return get_user_model().objects.get(username="okafor")


@pytest.fixture
def appointment(kalk):
    # Today, whatever time the test runs (check-in is for the day of the appointment).
    starts = timezone.localtime().replace(hour=23, minute=30, second=0, microsecond=0)
    appointment = Appointment.objects.create(
        centre=kalk,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=20),
        name="Erika Mustermann",
        email="erika@example.org",
        mobile="+491711234567",
        token_hash="-",
    )
    AppointmentService.objects.create(
        appointment=appointment, service=Service.objects.get(slug="personalausweis"), minutes=20
    )
    return appointment


def day_url(centre, day=None):
    url = reverse("appointmentstaff:day", args=[centre.slug])
    return f"{url}?tag={(day or timezone.localdate()).isoformat()}"


def test_centre_staff_see_who_comes_when_for_what(client, okafor, kalk, appointment):
    client.force_login(okafor)
    assert client.get(reverse("appointmentstaff:index"))["Location"] == reverse(
        "appointmentstaff:day", args=[kalk.slug]
    )
    html = client.get(day_url(kalk)).content.decode()
    assert "Erika Mustermann" in html and "Personalausweis beantragen" in html
    assert timezone.localtime(appointment.starts_at).strftime("%H:%M") in html
    assert "gebucht" in html


def test_staff_of_another_centre_see_nothing(client, okafor, appointment):
    client.force_login(okafor)
    response = client.get(day_url(CustomerCentre.objects.get(slug="kundenzentrum-porz")))
    assert response.status_code == 403
    response = client.post(reverse("appointmentstaff:no_show", args=[appointment.public_id]))
    assert response.status_code == 302  # okafor works at Kalk: allowed
    other = get_user_model().objects.create_user("schalter.porz", password="x", is_staff=True)
    other.centres.add(CustomerCentre.objects.get(slug="kundenzentrum-porz"))
    client.force_login(other)
    assert client.get(day_url(appointment.centre)).status_code == 403
    assert "Erika" not in client.get(day_url(appointment.centre)).content.decode()


def test_no_show_is_recorded(client, okafor, appointment):
    client.force_login(okafor)
    response = client.post(
        reverse("appointmentstaff:no_show", args=[appointment.public_id]), follow=True
    )
    assert "als nicht erschienen vermerkt" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.NO_SHOW


def test_check_in_draws_a_due_ticket_in_the_centres_group(client, okafor, appointment, kalk):
    from buergerbuero.tickets.models import ServiceGroup
    from buergerbuero.tickets.selectors import group_for_services

    ausweis = Service.objects.get(slug="personalausweis")
    group = group_for_services(kalk, [ausweis])
    if group is None:  # (the tickets demo gives Kalk its groups; without it, one here)
        group = ServiceGroup.objects.create(centre=kalk, letter="T", name="Pass und Ausweis")
        group.services.add(ausweis)
    client.force_login(okafor)

    response = client.post(
        reverse("appointmentstaff:check_in", args=[appointment.public_id]), follow=True
    )

    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.CHECKED_IN
    ticket = appointment.ticket
    assert (ticket.source, ticket.due_at, ticket.group) == (
        "appointment",
        appointment.starts_at,
        group,
    )
    assert ticket.phone == "+491711234567"
    assert f"Wartenummer {ticket.display}" in response.content.decode()


def test_check_in_on_another_day_is_refused_with_a_reason(client, okafor, appointment):
    appointment.starts_at += dt.timedelta(days=2)
    appointment.ends_at += dt.timedelta(days=2)
    appointment.save()
    client.force_login(okafor)

    response = client.post(
        reverse("appointmentstaff:check_in", args=[appointment.public_id]), follow=True
    )

    assert "Einchecken geht nur am Tag des Termins." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.BOOKED and appointment.ticket is None
