"""Live data in the chatbot's answers: waiting times, opening hours, the next free
appointment, my application, a person to talk to."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model

from buergerbuero.applications.tests.test_backoffice import dog_definition, make_case
from buergerbuero.organisation.models import CustomerCentre
from buergerbuero.tickets import services as tickets
from buergerbuero.tickets.models import TicketSource
from buergerbuero.tickets.tests.conftest import (
    make_centre,
    make_groups,
)

pytestmark = pytest.mark.django_db


def ask(client, message, lang="de"):
    response = client.post(
        "/api/v1/chat",
        json.dumps({"message": message, "lang": lang}),
        content_type="application/json",
    )
    assert response.status_code == 200
    return response.json()


def test_the_waiting_time_of_a_named_centre_counts_who_is_waiting_now(client):
    centre = make_centre(slug="kundenzentrum-wolkenheim", name="Kundenzentrum Wolkenheim")
    ausweise, _ = make_groups(centre)
    for _ in range(4):
        tickets.ticket_draw(centre=centre, group=ausweise, source=TicketSource.KIOSK)

    body = ask(client, "Wie lange muss ich gerade in Wolkenheim warten?")

    assert body["intent"] == "waiting_time"
    assert body["confident"] is True
    assert "Kundenzentrum Wolkenheim: 4 Personen warten, etwa" in body["answer"]
    assert "/wartemarke/kundenzentrum-wolkenheim/ziehen/" in [a["url"] for a in body["actions"]]

    tickets.ticket_draw(centre=centre, group=ausweise, source=TicketSource.KIOSK)
    assert "5 Personen warten" in ask(client, "wartezeit wolkenheim")["answer"]


def test_the_waiting_time_in_english_and_without_a_centre_lists_the_open_ones(client):
    centre = make_centre(slug="kundenzentrum-wolkenheim", name="Kundenzentrum Wolkenheim")
    make_groups(centre)

    body = ask(client, "What is the waiting time at the citizens' office right now?", lang="en")

    assert body["intent"] == "waiting_time"
    assert "shortest" in body["answer"]
    assert "/en/wartezeiten/" in [a["url"] for a in body["actions"]]


def test_opening_hours_say_when_a_closed_centre_opens_again(client, time_machine):
    centre = make_centre(
        slug="kundenzentrum-wolkenheim", name="Kundenzentrum Wolkenheim", open_=False
    )
    centre.opening_hours.create(weekday=0, opens=dt.time(8), closes=dt.time(12))
    time_machine.move_to(dt.datetime(2026, 12, 5, 20, 0, tzinfo=dt.UTC))  # a Saturday

    body = ask(client, "Hat das Kundenzentrum Wolkenheim morgen geöffnet?")

    assert body["intent"] == "opening_hours"
    assert body["answer"] == (
        "Kundenzentrum Wolkenheim: jetzt geschlossen, öffnet Montag, 7. Dezember um 08:00 Uhr."
    )


def test_the_next_free_appointment_for_the_service_asked_about(client):
    body = ask(client, "Wann ist der nächste freie Termin für einen Reisepass?")

    assert body["intent"] == "next_appointment"
    assert body["services"][0]["slug"] == "reisepass"
    assert body["answer"].startswith("Die nächsten freien Termine für Reisepass beantragen:")
    booking = [a["url"] for a in body["actions"] if a["kind"] == "appointment"]
    assert booking and all(url.endswith("?leistung=reisepass") for url in booking)
    first_centre = body["answer"].splitlines()[1].removeprefix("– ").split(":")[0]
    assert CustomerCentre.objects.filter(name=first_centre).exists()


def test_a_service_without_appointments_is_answered_from_the_catalog(client):
    body = ask(client, "Wann bekomme ich den nächsten Termin für die Briefwahl?")

    assert body["intent"] == "service"
    assert body["services"][0]["slug"] == "briefwahl"


def test_my_applications_only_when_logged_in_and_only_mine(client):
    anonymous = ask(client, "Wie ist der Stand meines Antrags?")
    assert anonymous["intent"] == "application_status"
    assert "angemeldet" in anonymous["answer"]
    assert anonymous["actions"][0]["url"] == "/anmelden/?next=/mein-buergerbuero/"

    from buergerbuero.applications.services import definition_import

    dogs = definition_import(dog_definition())[0]
    erika = get_user_model().objects.create_user("erika", password="geheim-123")
    mine = make_case(dogs)
    mine.application.user = erika
    mine.application.save()
    someone_elses = make_case(dogs, name="Max Muster")
    client.force_login(erika)

    body = ask(client, "Wie ist der Stand meines Antrags?")

    assert mine.reference in body["answer"]
    assert "eingegangen" in body["answer"]
    assert someone_elses.reference not in body["answer"]
    assert f"/mein-buergerbuero/antraege/{mine.reference}/" in [a["url"] for a in body["actions"]]


def test_asking_for_a_person_offers_the_video_office_of_the_service(client):
    body = ask(client, "Ich möchte zur Einbürgerung mit einem Sachbearbeiter sprechen")

    assert body["intent"] == "human"
    assert "/video-sprechstunde/auslaenderbehoerde/" in [a["url"] for a in body["actions"]]


def test_asking_for_a_person_without_a_subject_offers_all_video_offices(client):
    body = ask(client, "Kann ich mit einem Menschen sprechen?")

    assert body["intent"] == "human"
    assert {"/video-sprechstunde/", "/kontakt/"} <= {a["url"] for a in body["actions"]}


@pytest.mark.parametrize(
    ("message", "not_intent"),
    [
        ("Wie lange muss ich auf meinen neuen Reisepass warten?", "waiting_time"),
        ("Wie lange muss ich morgens auf die Bahn warten?", "waiting_time"),
        ("Hat der Zoo am Sonntag offen?", "opening_hours"),
        ("Ein Mensch aus meiner Familie ist gestorben, was muss ich tun?", "human"),
        ("Kann ich mich im Bürgeramt auf einen neuen Namen ummelden?", "opening_hours"),
        ("Was kostet ein Aufenthaltstitel, mein Status ist Flüchtling?", "application_status"),
    ],
)
def test_words_of_an_intent_in_another_sense_do_not_trigger_it(client, message, not_intent):
    assert ask(client, message)["intent"] != not_intent
