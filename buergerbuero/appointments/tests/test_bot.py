"""A bot hammering the booking from one address: it gets its share and no more, a clear
429, and everybody else books as usual."""

from __future__ import annotations

import pytest

from buergerbuero.appointments import slots
from buergerbuero.appointments.models import Appointment
from buergerbuero.core import rate_limits

from .conftest import make_centre
from .test_citizen_views import book_url, first_slot, param

pytestmark = pytest.mark.django_db

EVERY_DAY = {weekday: [(slots.dt.time(8), slots.dt.time(12))] for weekday in range(7)}
BOT = "203.0.113.66"
CITIZEN = "198.51.100.7"


@pytest.fixture
def centre():
    return make_centre(slug="bot-zentrum", hours=EVERY_DAY)


@pytest.fixture(autouse=True)
def mid_window(monkeypatch):
    """The limits count in fixed windows: hold the clock 20 s into a minute (and an hour),
    so that no test straddles the start of a new window."""
    moment = 1_900_000_000 // 3600 * 3600 + 20.0
    monkeypatch.setattr(rate_limits, "_now", lambda: moment)
    return moment


def test_a_bot_books_up_to_the_limit_then_gets_429_while_others_still_book(
    client, centre, ausweis, settings
):
    settings.APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR = 5
    settings.APPOINTMENT_MAX_OPEN_PER_PERSON = 100  # each try under another name
    # A bot that does the proof of work (here: one without it, given the budget of one)
    # meets the limit of attempts; the budget without it is tested in test_proof_of_work.
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 100
    answers = []
    for i in range(12):
        response = client.post(
            book_url(centre, "personalausweis"),
            {
                "beginn": param(first_slot(centre, ausweis)),
                "name": f"Bot {i}",
                "email": f"bot{i}@example.org",
                "mobile": "0171 1234567",
                "schritt": "buchen",
            },
            REMOTE_ADDR=BOT,
        )
        answers.append(response.status_code)

    assert answers == [302] * 5 + [429] * 7
    assert Appointment.objects.filter(email__startswith="bot").count() == 5
    html = response.content.decode()
    assert "sehr viele Termine gebucht" in html
    assert 'value="Bot 11"' in html and 'value="bot11@example.org"' in html
    assert 'value="0171 1234567"' in html
    assert response["Retry-After"] == str(3600 - 20)

    citizen = client.post(
        book_url(centre, "personalausweis"),
        {
            "beginn": param(first_slot(centre, ausweis)),
            "name": "Erika Mustermann",
            "email": "erika@example.org",
            "mobile": "",
            "schritt": "buchen",
        },
        REMOTE_ADDR=CITIZEN,
    )
    assert citizen.status_code == 302
    assert Appointment.objects.filter(email="erika@example.org").exists()


def test_a_bot_polling_the_free_times_gets_429_with_retry_after(client, centre, settings):
    settings.APPOINTMENT_API_READS_PER_ADDRESS_MINUTE = 3
    earliest = "/api/v1/appointments/earliest"
    day = "/api/v1/appointments/centres/bot-zentrum/slots"
    query = {"services": ["personalausweis"]}

    answers = [
        client.get(earliest, query, REMOTE_ADDR=BOT).status_code,
        client.get(day, {**query, "day": "2030-01-07"}, REMOTE_ADDR=BOT).status_code,
        client.get(earliest, query, REMOTE_ADDR=BOT).status_code,
    ]
    refused = client.get(day, {**query, "day": "2030-01-07"}, REMOTE_ADDR=BOT)

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    body = refused.json()
    assert refused["Retry-After"] == "40" and body["retry_after"] == 40
    assert body["detail_de"] == (
        "Zu viele Anfragen von Ihrer Adresse: höchstens 3 pro Minute. Bitte versuchen Sie "
        "es in 40 Sekunden noch einmal."
    )
    assert body["detail"].startswith("Too many requests from your address: at most 3")
    assert client.get(earliest, query, REMOTE_ADDR=BOT).status_code == 429
    assert client.get(earliest, query, REMOTE_ADDR=CITIZEN).status_code == 200


def test_the_next_minute_the_bot_may_read_again(client, centre, settings, monkeypatch, mid_window):
    settings.APPOINTMENT_API_READS_PER_ADDRESS_MINUTE = 1
    earliest = "/api/v1/appointments/earliest"
    query = {"services": ["personalausweis"]}
    assert client.get(earliest, query, REMOTE_ADDR=BOT).status_code == 200
    assert client.get(earliest, query, REMOTE_ADDR=BOT).status_code == 429

    monkeypatch.setattr(rate_limits, "_now", lambda: mid_window + 40)

    assert client.get(earliest, query, REMOTE_ADDR=BOT).status_code == 200


def test_the_read_limit_can_be_switched_off(client, centre, settings):
    settings.APPOINTMENT_API_READS_PER_ADDRESS_MINUTE = 0
    for _ in range(5):
        response = client.get(
            "/api/v1/appointments/earliest", {"services": ["personalausweis"]}, REMOTE_ADDR=BOT
        )
        assert response.status_code == 200
