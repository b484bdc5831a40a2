"""The reminder the day before: email always, SMS with a mobile number, each once."""

from __future__ import annotations

import datetime as dt

import pytest

from buergerbuero.appointments import services
from buergerbuero.appointments.tasks import appointments_remind
from buergerbuero.notifications.models import OutgoingEmail, OutgoingSms

from .conftest import BERLIN, at, released

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


def hourly_runs(first: dt.datetime, last: dt.datetime):
    """The hourly housekeeping (at five past, by the real clock: a 23-hour day has 23
    runs, a 25-hour day 25)."""
    moment = first.astimezone(dt.UTC).replace(minute=5)
    while moment <= last:
        yield moment
        moment += dt.timedelta(hours=1)


@pytest.mark.parametrize(
    "monday",
    [
        dt.date(2026, 3, 30),  # after the spring-forward Sunday (23 hours)
        dt.date(2026, 10, 26),  # after the fall-back Sunday (25 hours)
    ],
)
def test_the_reminder_after_a_clock_change_goes_out_once_on_sunday_morning(centre, ausweis, monday):
    appointment, _ = services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=at(monday.year, monday.month, monday.day, 9),
        name="A",
        email="a@example.org",
        mobile="+491711234567",
        now=released(monday),
    )
    sunday = monday - dt.timedelta(days=1)
    saturday = sunday - dt.timedelta(days=1)

    sent_at = [
        run
        for run in hourly_runs(
            at(saturday.year, saturday.month, saturday.day, 0),
            at(monday.year, monday.month, monday.day, 12),
        )  # fmt: skip
        if appointments_remind(now=run) != {"email": 0, "sms": 0}
    ]

    assert len(sent_at) == 1
    local = sent_at[0].astimezone(BERLIN)
    assert (local.date(), local.strftime("%H:%M")) == (sunday, "08:05")
    assert OutgoingEmail.objects.filter(topic="appointment.reminder").count() == 1
    assert OutgoingSms.objects.filter(topic="appointment.reminder").count() == 1
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at == sent_at[0]


def test_a_booking_made_after_the_reminder_time_is_reminded_by_the_next_run(centre, ausweis):
    now = at(2027, 2, 28, 14)  # Sunday afternoon, for Monday
    services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=at(2027, 3, 1, 9),
        name="A",
        email="a@example.org",
        now=now,
    )
    assert appointments_remind(now=at(2027, 2, 28, 15)) == {"email": 1, "sms": 0}
