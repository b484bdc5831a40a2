"""Booking, cancelling and moving: seats, limits, the email with its calendar file."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from buergerbuero.appointments import services, slots
from buergerbuero.appointments.models import Appointment, AppointmentSeat
from buergerbuero.appointments.services import SlotTaken
from buergerbuero.notifications.models import OutgoingEmail

from .conftest import at, released

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)
NOW = released(MONDAY)


def book(centre, services_, hour, minute=0, email="erika@example.org", **extra):
    return services.appointment_book(
        centre=centre,
        services=services_,
        starts_at=at(2027, 3, 1, hour, minute),
        name="Erika Mustermann",
        email=email,
        now=NOW,
        **extra,
    )


def test_booking_takes_one_seat_per_slot_unit_and_mails_the_manage_link(centre, ausweis, anmelden):
    appointment, token = book(centre, [ausweis, anmelden], 9)

    assert appointment.ends_at == at(2027, 3, 1, 9, 40)
    assert [s.starts_at for s in appointment.seats.order_by("starts_at")] == [
        at(2027, 3, 1, 9, m) for m in (0, 10, 20, 30)
    ]
    assert {(b.service.slug, b.minutes) for b in appointment.booked_services.all()} == {
        ("personalausweis", 20),
        ("wohnsitz-anmelden", 15),
    }
    assert token not in appointment.token_hash
    assert services.appointment_token_matches(appointment, token)
    assert not services.appointment_token_matches(appointment, token[:-1] + "x")
    email = OutgoingEmail.objects.get(topic="appointment.booked")
    assert email.to == "erika@example.org"
    assert f"/termine/{appointment.public_id}/?t={token}" in email.body_text
    assert "Montag, 1. März 2027, 09:00" in email.body_text
    ics = email.attachments.get()
    assert ics.filename == "termin.ics" and ics.content_type == "text/calendar"
    assert b"DTSTART:20270301T080000Z" in bytes(ics.content)


def test_a_taken_time_is_refused_with_the_next_free_times(centre, ausweis):
    book(centre, [ausweis], 9)

    with pytest.raises(SlotTaken) as taken:
        book(centre, [ausweis], 9, email="max@example.org")

    assert [s.starts_at for s in taken.value.alternatives] == [
        at(2027, 3, 1, 9, 20),
        at(2027, 3, 1, 9, 30),
        at(2027, 3, 1, 9, 40),
    ]
    assert Appointment.objects.filter(email="max@example.org").count() == 0


def test_the_seat_constraint_refuses_a_double_booking_even_past_the_slot_check(
    centre, ausweis, monkeypatch
):
    # As if a second booker had read the slot as free just before the first committed.
    book(centre, [ausweis], 9)
    monkeypatch.setattr(slots.SlotBook, "counters_at", lambda *args: (1,))

    with pytest.raises(SlotTaken) as taken:
        book(centre, [ausweis], 9, email="max@example.org")

    assert taken.value.alternatives[0].starts_at == at(2027, 3, 1, 9, 20)

    assert AppointmentSeat.objects.filter(centre=centre).count() == 2
    assert Appointment.objects.filter(email="max@example.org").count() == 0


def test_a_person_may_hold_two_open_appointments_by_email(centre, ausweis, settings):
    settings.APPOINTMENT_MAX_OPEN_PER_PERSON = 2
    book(centre, [ausweis], 8, email="erika@example.org")
    book(centre, [ausweis], 9, email="ERIKA@example.org")

    with pytest.raises(ValidationError) as refused:
        book(centre, [ausweis], 10, email="Erika@Example.org")

    assert "2 offene Termine" in refused.value.messages[0]
    assert AppointmentSeat.objects.filter(starts_at=at(2027, 3, 1, 10)).count() == 0


def test_the_limit_also_counts_the_mobile_number(centre, ausweis):
    book(centre, [ausweis], 8, email="a@example.org", mobile="+491711234567")
    book(centre, [ausweis], 9, email="b@example.org", mobile="+491711234567")

    with pytest.raises(ValidationError):
        book(centre, [ausweis], 10, email="c@example.org", mobile="+491711234567")
    book(centre, [ausweis], 10, email="c@example.org", mobile="+491727654321")


def test_cancelled_and_past_appointments_do_not_count(centre, ausweis):
    first, _ = book(centre, [ausweis], 8)
    book(centre, [ausweis], 9)
    services.appointment_cancel(appointment=first, now=NOW)

    assert book(centre, [ausweis], 10)[0].state == Appointment.State.BOOKED


def test_cancelling_frees_the_time_at_once(centre, ausweis):
    appointment, _ = book(centre, [ausweis], 9)

    services.appointment_cancel(appointment=appointment, now=NOW)

    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.CANCELLED and appointment.cancelled_at
    assert not appointment.seats.exists()
    assert slots.slot_free_counters(
        centre=centre, services=[ausweis], starts_at=at(2027, 3, 1, 9), now=NOW
    ) == (1,)
    assert OutgoingEmail.objects.filter(topic="appointment.cancelled").count() == 1
    with pytest.raises(services.AppointmentNotOpen):
        services.appointment_cancel(appointment=appointment, now=NOW)


def test_moving_takes_the_new_time_and_frees_the_old(centre, ausweis):
    appointment, token = book(centre, [ausweis], 9)

    services.appointment_move(
        appointment=appointment, starts_at=at(2027, 3, 1, 11), token=token, now=NOW
    )

    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.ends_at) == (
        at(2027, 3, 1, 11),
        at(2027, 3, 1, 11, 20),
    )
    assert sorted(s.starts_at for s in appointment.seats.all()) == [
        at(2027, 3, 1, 11),
        at(2027, 3, 1, 11, 10),
    ]
    assert OutgoingEmail.objects.filter(topic="appointment.moved").count() == 1


def test_moving_by_ten_minutes_may_overlap_its_own_old_time(centre, ausweis):
    appointment, token = book(centre, [ausweis], 9)

    services.appointment_move(
        appointment=appointment, starts_at=at(2027, 3, 1, 9, 10), token=token, now=NOW
    )

    assert sorted(s.starts_at for s in appointment.seats.all()) == [
        at(2027, 3, 1, 9, 10),
        at(2027, 3, 1, 9, 20),
    ]


def test_a_failed_move_keeps_the_old_appointment(centre, ausweis):
    appointment, token = book(centre, [ausweis], 9)
    book(centre, [ausweis], 11, email="max@example.org")

    with pytest.raises(SlotTaken):
        services.appointment_move(
            appointment=appointment, starts_at=at(2027, 3, 1, 11), token=token, now=NOW
        )

    appointment.refresh_from_db()
    assert appointment.starts_at == at(2027, 3, 1, 9)
    assert sorted(s.starts_at for s in appointment.seats.all()) == [
        at(2027, 3, 1, 9),
        at(2027, 3, 1, 9, 10),
    ]


def test_a_failed_move_past_the_slot_check_keeps_the_old_seats(centre, ausweis, monkeypatch):
    appointment, token = book(centre, [ausweis], 9)
    book(centre, [ausweis], 11, email="max@example.org")
    monkeypatch.setattr(slots, "slot_free_counters", lambda **kwargs: (1,))

    with pytest.raises(SlotTaken):
        services.appointment_move(
            appointment=appointment, starts_at=at(2027, 3, 1, 11), token=token, now=NOW
        )

    appointment.refresh_from_db()
    assert appointment.starts_at == at(2027, 3, 1, 9)
    assert appointment.seats.count() == 2
