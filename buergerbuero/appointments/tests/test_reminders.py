"""The reminder the day before: email always, SMS with a mobile number, each once."""

from __future__ import annotations

import datetime as dt

import pytest

from buergerbuero.appointments import services
from buergerbuero.appointments.tasks import appointments_remind
from buergerbuero.notifications.models import OutgoingEmail, OutgoingSms

from .conftest import at, released

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)


def test_tomorrows_appointments_are_reminded_once_by_email_and_sms(centre, ausweis):
    now = released(MONDAY)
    with_mobile, _ = services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=at(2027, 3, 1, 9),
        name="A",
        email="a@example.org",
        mobile="+491711234567",
        now=now,
    )
    services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=at(2027, 3, 1, 10),
        name="B",
        email="b@example.org",
        now=now,
    )
    cancelled, _ = services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=at(2027, 3, 1, 11),
        name="C",
        email="c@example.org",
        now=now,
    )
    services.appointment_cancel(appointment=cancelled, now=now)

    assert appointments_remind(now=at(2027, 2, 27, 18)) == {"email": 0, "sms": 0}  # Saturday
    assert appointments_remind(now=at(2027, 2, 28, 8)) == {"email": 2, "sms": 1}
    assert appointments_remind(now=at(2027, 2, 28, 9)) == {"email": 0, "sms": 0}

    reminders = OutgoingEmail.objects.filter(topic="appointment.reminder")
    assert sorted(reminders.values_list("to", flat=True)) == ["a@example.org", "b@example.org"]
    assert "Montag, 1. März 2027, 09:00" in reminders.get(to="a@example.org").body_text
    sms = OutgoingSms.objects.get(topic="appointment.reminder")
    assert sms.to == "+491711234567"
    assert "Personalausweis beantragen" in sms.body and "09:00" in sms.body
    with_mobile.refresh_from_db()
    assert with_mobile.reminder_sent_at == at(2027, 2, 28, 8)
