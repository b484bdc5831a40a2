"""The booking pages over HTTP: services → centre → day and time → contact data →
review → booked; the manage link: view, cancel, move."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from buergerbuero.appointments import services, slots
from buergerbuero.appointments.models import Appointment
from buergerbuero.core.testing import altcha_solve
from buergerbuero.notifications.models import OutgoingEmail

from .conftest import make_centre

pytestmark = pytest.mark.django_db

EVERY_DAY = {weekday: [(slots.dt.time(8), slots.dt.time(12))] for weekday in range(7)}
CONTACT = {"name": "Erika Mustermann", "email": "erika@example.org", "mobile": ""}


@pytest.fixture
def centre():
    return make_centre(slug="testzentrum", hours=EVERY_DAY)


def first_slot(centre, service):
    return slots.earliest(services=[service], centres=[centre])[0]


def param(slot):
    return slot.starts_at.astimezone(slots.dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def book_url(centre, *slugs):
    query = "&".join(f"leistung={s}" for s in slugs)
    return f"{reverse('appointments:book', args=[centre.slug])}?{query}"


def test_the_start_page_lists_bookable_services_with_durations_and_the_release_rule(client, centre):
    response = client.get(reverse("appointments:start"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Personalausweis beantragen" in html and "20 Minuten" in html
    assert "Jeden Morgen um 07:00 Uhr" in html and "42 Tage später" in html


def test_choosing_no_service_is_explained(client, centre):
    response = client.get(reverse("appointments:start"), {"weiter": "1"})
    assert "Bitte wählen Sie mindestens ein Anliegen aus." in response.content.decode()
    assert 'id="id_leistung_error"' in response.content.decode()


def test_an_unknown_service_is_explained_and_the_valid_choice_kept(client, centre):
    response = client.get(
        reverse("appointments:start"), {"leistung": ["reisepass", "gibt-es-nicht"], "weiter": "1"}
    )
    html = response.content.decode()
    assert "„gibt-es-nicht“ kann nicht als Termin gebucht werden." in html
    assert 'value="reisepass" id="leistung-reisepass" checked' in html


def test_going_back_to_the_services_keeps_them_ticked(client, centre):
    response = client.get(reverse("appointments:start"), {"leistung": ["reisepass"]})
    assert response.status_code == 200
    assert 'value="reisepass" id="leistung-reisepass" checked' in response.content.decode()


def test_choosing_services_leads_to_the_centres_with_the_earliest_slot(client, centre, ausweis):
    response = client.get(
        reverse("appointments:start"), {"leistung": ["personalausweis"], "weiter": "1"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    # The earliest of all centres (the demo's too: which one depends on the time of day),
    # and the test centre with its own first time.
    earliest = slots.earliest(services=[ausweis])[0]
    assert "Frühester Termin an einem beliebigen Standort" in page
    assert f"beginn={param(earliest)}" in page
    slot = first_slot(centre, ausweis)
    [item] = re.findall(rf"<li>.*?{centre.name}</a>.*?</li>", page, flags=re.S)
    assert timezone.localtime(slot.starts_at).strftime("%H:%M Uhr") in item


def test_the_centre_page_lists_days_and_times_that_link_to_the_contact_step(
    client, centre, ausweis
):
    url = reverse("appointments:centre", args=[centre.slug])
    page = client.get(url, {"leistung": "personalausweis"}).content.decode()
    slot = first_slot(centre, ausweis)
    assert slot.starts_at.strftime("%H:%M") + " Uhr" in page
    assert f"{book_url(centre, 'personalausweis')}&amp;beginn={param(slot)}" in page


def test_bad_contact_data_is_explained_next_to_the_field_and_kept(client, centre, ausweis):
    slot = first_slot(centre, ausweis)
    response = client.post(
        book_url(centre, "personalausweis"),
        {
            "beginn": param(slot),
            "name": "Erika Mustermann",
            "email": "erika@",
            "mobile": "0221 221-0",
            "schritt": "pruefen",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_email_error"' in html
    assert "Bitte geben Sie eine E-Mail-Adresse an" in html
    assert "keine Mobilfunknummer" in html
    assert 'value="Erika Mustermann"' in html and 'value="0221 221-0"' in html
    assert not Appointment.objects.exists()


def test_the_whole_path_books_mails_and_shows_the_appointment(client, centre, ausweis):
    slot = first_slot(centre, ausweis)
    review = client.post(
        book_url(centre, "personalausweis"),
        {"beginn": param(slot), **CONTACT, "mobile": "0171 1234567", "schritt": "pruefen"},
    )
    assert review.status_code == 200
    assert "Termin verbindlich buchen" in review.content.decode()
    assert "+491711234567" in review.content.decode()

    booked = client.post(
        book_url(centre, "personalausweis"),
        {"beginn": param(slot), **CONTACT, "mobile": "+491711234567", "schritt": "buchen"},
    )

    assert booked.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.starts_at == slot.starts_at and appointment.mobile == "+491711234567"
    page = client.get(booked["Location"]).content.decode()
    assert "Ihr Termin ist gebucht." in page
    assert centre.street in page and slot.starts_at.strftime("%H:%M") in page
    email = OutgoingEmail.objects.get(topic="appointment.booked")
    link = re.search(r"http\S+/termine/\S+", email.body_text).group(0)
    assert urlsplit(link).path == reverse("appointments:manage", args=[appointment.public_id])
    assert parse_qs(urlsplit(link).query)["t"] == parse_qs(urlsplit(booked["Location"]).query)["t"]


def test_a_time_taken_meanwhile_offers_the_next_ones_and_keeps_the_contact_data(
    client, centre, ausweis
):
    slot = first_slot(centre, ausweis)
    services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=slot.starts_at,
        name="Schneller",
        email="schnell@example.org",
    )

    response = client.post(
        book_url(centre, "personalausweis"),
        {"beginn": param(slot), **CONTACT, "schritt": "buchen"},
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "Dieser Termin ist leider gerade vergeben worden." in html
    assert 'value="Erika Mustermann"' in html and 'value="erika@example.org"' in html
    next_free = slots.next_free(centre=centre, services=[ausweis], after=slot.starts_at)
    assert f'value="{param(next_free[0])}"' in html
    assert Appointment.objects.filter(email="erika@example.org").count() == 0


def test_the_per_person_limit_is_explained_on_the_booking_page(client, centre, ausweis, settings):
    settings.APPOINTMENT_MAX_OPEN_PER_PERSON = 1
    slot = first_slot(centre, ausweis)
    services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=slot.starts_at,
        **{k: CONTACT[k] for k in ("name", "email")},
    )
    later = first_slot(centre, ausweis)

    response = client.post(
        book_url(centre, "personalausweis"),
        {"beginn": param(later), **CONTACT, "schritt": "buchen"},
    )

    assert response.status_code == 400
    assert "Sie haben schon 1 offenen Termin." in response.content.decode()


@pytest.fixture
def booked(centre, ausweis):
    slot = first_slot(centre, ausweis)
    appointment, token = services.appointment_book(
        centre=centre,
        services=[ausweis],
        starts_at=slot.starts_at,
        **{k: CONTACT[k] for k in ("name", "email")},
    )
    return appointment, token


def test_a_wrong_token_shows_nothing_of_the_appointment(client, booked):
    appointment, token = booked
    for name in ("manage", "cancel", "move"):
        url = reverse(f"appointments:{name}", args=[appointment.public_id])
        for wrong in ("", token[:-2] + "xx"):
            response = client.get(url, {"t": wrong})
            assert response.status_code == 404
            assert "Erika" not in response.content.decode()


def test_cancelling_asks_first_then_frees_the_time(client, booked, centre, ausweis):
    appointment, token = booked
    url = reverse("appointments:cancel", args=[appointment.public_id])

    ask = client.get(url, {"t": token})
    assert "Möchten Sie diesen Termin wirklich absagen?" in ask.content.decode()
    Appointment.objects.get(state=Appointment.State.BOOKED)

    done = client.post(url, {"t": token})

    assert "Ihr Termin ist abgesagt" in done.content.decode()
    assert Appointment.objects.get().state == Appointment.State.CANCELLED
    assert first_slot(centre, ausweis).starts_at == appointment.starts_at


def test_moving_to_another_offered_time(client, booked, centre, ausweis):
    appointment, token = booked
    url = reverse("appointments:move", args=[appointment.public_id])
    later = slots.next_free(centre=centre, services=[ausweis], after=appointment.starts_at)[-1]
    # (its day is chosen: late in the morning the later time is on the next day)
    day = timezone.localtime(later.starts_at).date().isoformat()
    page = client.get(url, {"t": token, "tag": day}).content.decode()
    assert f'value="{param(later)}"' in page

    response = client.post(f"{url}?t={token}", {"t": token, "beginn": param(later)})

    assert response.status_code == 302
    assert "Ihr Termin wurde verschoben." in client.get(response["Location"]).content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == later.starts_at
    assert timezone.localtime(appointment.starts_at).strftime("%H:%M") == later.starts_at.strftime(
        "%H:%M"
    )


def test_many_bookings_from_one_address_are_stopped_politely(client, centre, ausweis, settings):
    settings.APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR = 2
    settings.APPOINTMENT_MAX_OPEN_PER_PERSON = 10
    for i in range(2):
        slot = first_slot(centre, ausweis)
        response = client.post(
            book_url(centre, "personalausweis"),
            {"beginn": param(slot), **CONTACT, "email": f"p{i}@example.org", "schritt": "buchen"},
        )
        assert response.status_code == 302

    slot = first_slot(centre, ausweis)
    response = client.post(
        book_url(centre, "personalausweis"),
        {"beginn": param(slot), **CONTACT, "schritt": "buchen"},
    )

    html = response.content.decode()
    assert response.status_code == 429
    assert "sehr viele Termine gebucht" in html and 'value="Erika Mustermann"' in html
    assert Appointment.objects.count() == 2


# The proof of work (core/proof_of_work.py) on the booking step and on moving.


def _book(client, centre, slot, **extra):
    return client.post(
        book_url(centre, "personalausweis"),
        {"beginn": param(slot), **CONTACT, "schritt": "buchen", **extra},
    )


def _assert_refused_and_kept(response, status, text):
    html = response.content.decode()
    assert response.status_code == status
    assert text in html and "Ihre Angaben bleiben erhalten." in html
    # the review page again, the typed data in its hidden fields, ready to send once more
    assert 'value="Erika Mustermann"' in html and 'value="erika@example.org"' in html
    assert "Termin verbindlich buchen" in html and "<altcha-widget" in html
    assert not Appointment.objects.filter(email="erika@example.org").exists()


def test_the_review_page_carries_the_widget_and_says_what_it_does(client, centre, ausweis):
    slot = first_slot(centre, ausweis)
    html = client.post(
        book_url(centre, "personalausweis"),
        {"beginn": param(slot), **CONTACT, "schritt": "pruefen"},
    ).content.decode()

    assert f'challenge="{reverse("proof_of_work_challenge")}"' in html
    assert 'language="de"' in html
    assert "löst Ihr Browser auf dieser Seite eine kleine Rechenaufgabe" in html
    assert "<noscript>" in html and "höchstens 3 Anfragen pro Stunde" in html


def test_a_solved_challenge_books(client, centre, ausweis, settings):
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 0  # only the solution can let it through
    slot = first_slot(centre, ausweis)

    response = _book(client, centre, slot, altcha=altcha_solve(client))

    assert response.status_code == 302
    assert Appointment.objects.get(email="erika@example.org").starts_at == slot.starts_at


def test_a_forged_solution_books_nothing_and_keeps_the_data(client, centre, ausweis, settings):
    settings.ALTCHA_HMAC_KEY = "somebody else's key"
    forged = altcha_solve(client)
    settings.ALTCHA_HMAC_KEY = ""

    response = _book(client, centre, first_slot(centre, ausweis), altcha=forged)

    _assert_refused_and_kept(
        response, 400, "Die Sicherheitsprüfung Ihres Browsers konnte nicht bestätigt werden."
    )


def test_an_expired_solution_books_nothing_and_keeps_the_data(client, centre, ausweis, settings):
    settings.ALTCHA_EXPIRY_SECONDS = -1
    expired = altcha_solve(client)

    response = _book(client, centre, first_slot(centre, ausweis), altcha=expired)

    _assert_refused_and_kept(response, 400, "Die Sicherheitsprüfung ist abgelaufen.")


def test_a_solution_used_once_books_nothing_the_second_time(client, centre, ausweis, settings):
    settings.APPOINTMENT_MAX_OPEN_PER_PERSON = 10
    solved = altcha_solve(client)
    first = _book(
        client, centre, first_slot(centre, ausweis), altcha=solved, email="first@example.org"
    )
    assert first.status_code == 302

    response = _book(client, centre, first_slot(centre, ausweis), altcha=solved)

    _assert_refused_and_kept(response, 400, "Diese Sicherheitsprüfung wurde schon verwendet.")
    assert Appointment.objects.count() == 1


def test_without_javascript_a_few_bookings_go_through_then_a_clear_no(
    client, centre, ausweis, settings
):
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 1
    settings.APPOINTMENT_MAX_OPEN_PER_PERSON = 10
    first = _book(client, centre, first_slot(centre, ausweis), email="first@example.org")
    assert first.status_code == 302

    response = _book(client, centre, first_slot(centre, ausweis))

    _assert_refused_and_kept(
        response, 429, "Ohne JavaScript nehmen wir von Ihrem Anschluss gerade nichts mehr an."
    )
    assert "höchstens 1 Anfrage pro Stunde" in response.content.decode()
    # with the work done, the same address books at once
    solved = _book(client, centre, first_slot(centre, ausweis), altcha=altcha_solve(client))
    assert solved.status_code == 302


def test_moving_needs_the_proof_too_and_keeps_the_old_time_when_refused(
    client, booked, centre, ausweis, settings
):
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 0
    appointment, token = booked
    url = f"{reverse('appointments:move', args=[appointment.public_id])}?t={token}"
    later = slots.next_free(centre=centre, services=[ausweis], after=appointment.starts_at)[-1]

    refused = client.post(url, {"t": token, "beginn": param(later)})

    html = refused.content.decode()
    assert refused.status_code == 429
    assert "Ihr Termin wurde nicht verschoben." in html and "<altcha-widget" in html
    appointment.refresh_from_db()
    assert appointment.starts_at != later.starts_at

    moved = client.post(url, {"t": token, "beginn": param(later), "altcha": altcha_solve(client)})

    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == later.starts_at
