"""The citizen's pages: the office with its device check and knock form, the waiting room,
the call page, sending a document, and the rating — through HTTP, as a browser uses them."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from buergerbuero.videooffice import hours, services
from buergerbuero.videooffice.models import ConsultationHours, Knock, KnockState

pytestmark = pytest.mark.django_db


def office_url(office) -> str:
    return reverse("videooffice:office", args=[office.slug])


def knock_url(office) -> str:
    return reverse("videooffice:knock", args=[office.slug])


def knock_data(**overrides) -> dict:
    return {"concern": "Ich möchte mich ummelden.", "language": "de", "mode": "video",
            "consent": "on", **overrides}  # fmt: skip


def knock_over_http(citizen, office, **overrides) -> Knock:
    response = citizen.client.post(knock_url(office), knock_data(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Knock.objects.latest("created_at")


def admitted_call(citizen, office, caseworker):
    knock = knock_over_http(citizen, office)
    return services.knock_admit(knock, caseworker=caseworker)


# -- the office page ---------------------------------------------------------------------


def test_office_page_shows_status_device_check_and_knock_form(client, office):
    page = client.get(office_url(office)).content.decode()
    assert "<h1" in page and "Bürgerservice" in page
    assert "geöffnet" in page
    assert "0 Personen warten." in page
    # the device check: preview, level meter with a label, the button, a live region
    assert "data-device-check" in page
    assert re.search(r"<video[^>]*muted[^>]*playsinline[^>]*aria-label=", page)
    assert '<label class="kern-label" for="mikrofon-pegel">' in page
    assert "Kamera und Mikrofon prüfen" in page
    assert 'role="status" aria-live="polite" data-device-message' in page
    assert "Ihr Browser unterstützt keine Videogespräche" in page  # ready for the script
    # the knock form, complete without JavaScript
    assert f'action="{knock_url(office)}"' in page
    for mode in ("video", "audio", "text"):
        assert f'value="{mode}"' in page
    assert "Datenschutzhinweis" in page
    assert "nicht aufgezeichnet" in page
    assert "Peer-to-Peer" in page
    assert "Anklopfen</span></button>" in page


def test_office_page_offers_the_page_language_first(client, office):
    office.languages = "de, tr"
    office.save()
    page = client.get("/en" + office_url(office)).content.decode()
    assert re.search(r'<option value="en" selected>English</option>', page)
    assert "Türkçe" in page


def test_a_closed_office_shows_the_next_opening_and_no_form(client, office):
    office.hours.all().delete()
    ConsultationHours.objects.create(
        office=office, weekday=0, opens=dt.time(8), closes=dt.time(8, 30)
    )
    office.department.phone = "0221 221-0"
    office.department.save()
    if hours.is_open(office):
        pytest.skip("Monday 08:00–08:30: the office happens to be open")
    page = client.get(office_url(office)).content.decode()
    assert "geschlossen" in page
    assert "Die nächste Sprechstunde beginnt am Montag" in page
    assert "um 08:00 Uhr" in page
    assert "Anklopfen</span></button>" not in page
    assert "data-device-check" not in page
    assert reverse("videooffice:offices") in page
    assert "Termin vereinbaren" in page and "0221 221-0" in page


def test_the_office_says_before_knocking_when_the_wait_outlasts_the_hours(client, office, citizens):
    local_now = timezone.localtime()
    closes = (local_now + dt.timedelta(minutes=10)).time()
    if closes < local_now.time():
        pytest.skip("too close to midnight for an office closing in ten minutes")
    office.hours.all().delete()
    ConsultationHours.objects.create(
        office=office, weekday=local_now.weekday(), opens=dt.time(0), closes=closes
    )
    if not hours.is_open(office):
        pytest.skip("today is a public holiday")
    for _ in range(3):  # 3 × 6 minutes ahead of the next one: past closing time
        citizens().knock(office)
    page = client.get(office_url(office)).content.decode()
    assert "Sie kommen heute wahrscheinlich nicht mehr an die Reihe" in page
    assert "Anklopfen</span></button>" in page  # still allowed


def test_an_inactive_office_is_not_found(client, office):
    office.is_active = False
    office.save()
    assert client.get(office_url(office)).status_code == 404


# -- knocking ----------------------------------------------------------------------------


def test_a_too_long_concern_is_refused_in_german_and_kept(citizens, office):
    anna = citizens()
    concern = "Meine Frage: " + "x" * 600
    response = anna.client.post(knock_url(office), knock_data(concern=concern, mode="audio"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "Bitte prüfen Sie 1 Angabe" in page
    assert "höchstens 500 Zeichen" in page
    assert concern in page  # what was typed is still there
    assert re.search(r'value="audio"[^>]*checked', page)
    assert not Knock.objects.exists()


def test_knocking_needs_consent_to_the_privacy_notice(citizens, office):
    response = citizens().client.post(knock_url(office), knock_data(consent=""))
    assert response.status_code == 422
    page = response.content.decode()
    assert "Bitte bestätigen Sie den Datenschutzhinweis" in page
    assert "Ich möchte mich ummelden." in page
    assert not Knock.objects.exists()


def test_knocking_leads_to_the_waiting_room(citizens, office):
    anna = citizens()
    response = anna.client.post(knock_url(office), knock_data(mode="audio"))
    knock = Knock.objects.get()
    assert response["Location"] == reverse("videooffice:waiting_room", args=[knock.public_id])
    assert (knock.concern, knock.mode, knock.language) == (
        "Ich möchte mich ummelden.",
        "audio",
        "de",
    )

    page = anna.client.get(response["Location"]).content.decode()
    assert "Warteraum: Bürgerservice" in page
    assert "Sie sind als Nächstes dran." in page
    assert 'role="status" aria-live="polite"' in page
    assert "Ich möchte mich ummelden." in page
    assert "Ihr Platz bleibt 2 Minuten erhalten" in page
    assert f'data-socket="/ws/video/warteraum/{knock.public_id}/"' in page
    assert "Warteraum verlassen" in page
    assert "Aktualisieren" in page  # inside <noscript>
    knock.refresh_from_db()
    assert knock.state == KnockState.WAITING  # the open waiting room keeps the place


def test_the_waiting_room_shows_the_place_in_line(citizens, office):
    for _ in range(2):
        citizens().knock(office)
    anna = citizens()
    knock = knock_over_http(anna, office)
    page = anna.client.get(reverse("videooffice:waiting_room", args=[knock.public_id]))
    page = page.content.decode()
    assert "Sie sind Nummer 3." in page
    assert "3 Personen warten." in page
    assert "etwa 12 Minuten" in page  # two ahead, six minutes each, one caseworker


def test_a_waiting_room_without_javascript_keeps_the_place_while_it_reloads(
    citizens, office, monkeypatch
):
    anna = citizens()
    knock = knock_over_http(anna, office)
    url = reverse("videooffice:waiting_room", args=[knock.public_id])
    page = anna.client.get(url).content.decode()
    # Without JavaScript the page reloads itself within the grace period …
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in page
    start = timezone.now()
    assert services.knocks_expire(now=start + dt.timedelta(seconds=100)) == 0
    # … and each load, a minute or so later, starts the grace period anew.
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=100))
    assert "Sie sind als Nächstes dran." in anna.client.get(url).content.decode()
    assert services.knocks_expire(now=start + dt.timedelta(seconds=200)) == 0
    # Closed without a word: the place is given up after the grace period.
    assert services.knocks_expire(now=start + dt.timedelta(seconds=221)) == 1
    knock.refresh_from_db()
    assert knock.state == KnockState.EXPIRED


def test_the_office_page_leads_back_to_an_active_knock(citizens, office):
    anna = citizens()
    knock = knock_over_http(anna, office)
    page = anna.client.get(office_url(office)).content.decode()
    assert "Sie warten bereits bei „Bürgerservice“." in page
    assert reverse("videooffice:waiting_room", args=[knock.public_id]) in page


def test_a_second_knock_elsewhere_is_refused_with_a_way_back(citizens, office, other_office):
    anna = citizens()
    first = knock_over_http(anna, office)
    response = anna.client.post(knock_url(other_office), knock_data(concern="Gewerbe anmelden"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Anklopfen nicht möglich" in page
    assert "Sie warten bereits bei „Bürgerservice“" in page
    assert reverse("videooffice:waiting_room", args=[first.public_id]) in page
    assert reverse("videooffice:leave", args=[first.public_id]) in page
    assert "Gewerbe anmelden" in page  # the form keeps what was typed
    assert Knock.objects.count() == 1

    # leaving the first door from here brings the citizen back to the second
    response = anna.client.post(
        reverse("videooffice:leave", args=[first.public_id]), {"next": office_url(other_office)}
    )
    assert response["Location"] == office_url(other_office)
    first.refresh_from_db()
    assert first.state == KnockState.LEFT


def test_leave_ignores_a_foreign_next_address(citizens, office):
    anna = citizens()
    knock = knock_over_http(anna, office)
    response = anna.client.post(
        reverse("videooffice:leave", args=[knock.public_id]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("videooffice:waiting_room", args=[knock.public_id])


@override_settings(VIDEO_KNOCKS_PER_CLIENT=0)
def test_too_many_knocks_get_status_429_and_a_german_page(citizens, office):
    response = citizens().client.post(knock_url(office), knock_data())
    assert response.status_code == 429
    page = response.content.decode()
    assert "zu oft angeklopft" in page
    assert "Ich möchte mich ummelden." in page


def test_knocking_at_a_closed_office_is_refused(citizens, office):
    office.hours.all().delete()
    response = citizens().client.post(knock_url(office), knock_data())
    assert response.status_code == 409
    assert "gerade geschlossen" in response.content.decode()


# -- the waiting room --------------------------------------------------------------------


def test_leaving_the_waiting_room_ends_the_knock(citizens, office):
    anna = citizens()
    knock = knock_over_http(anna, office)
    room = reverse("videooffice:waiting_room", args=[knock.public_id])
    response = anna.client.post(reverse("videooffice:leave", args=[knock.public_id]))
    assert response["Location"] == room
    page = anna.client.get(room).content.decode()
    assert "Sie haben den Warteraum verlassen" in page
    assert "Noch einmal bei „Bürgerservice“ anklopfen" in page
    assert "Warteraum verlassen</span>" not in page


def test_a_declined_knock_shows_the_caseworkers_message(citizens, office, caseworker):
    anna = citizens()
    knock = knock_over_http(anna, office)
    services.knock_decline(
        knock, caseworker=caseworker, message="Bitte wenden Sie sich ans Bauamt."
    )
    page = anna.client.get(reverse("videooffice:waiting_room", args=[knock.public_id]))
    page = page.content.decode()
    assert "Ihre Anfrage wurde abgelehnt" in page
    assert "Bitte wenden Sie sich ans Bauamt." in page


def test_the_waiting_room_is_not_found_from_another_browser(citizens, office):
    knock = knock_over_http(citizens(), office)
    room = reverse("videooffice:waiting_room", args=[knock.public_id])
    assert citizens().client.get(room).status_code == 404
    leave = reverse("videooffice:leave", args=[knock.public_id])
    assert citizens().client.post(leave).status_code == 404
    knock.refresh_from_db()
    assert knock.state == KnockState.KNOCKING


def test_an_admitted_citizen_goes_from_the_waiting_room_to_the_call(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    response = anna.client.get(reverse("videooffice:waiting_room", args=[call.knock.public_id]))
    assert response["Location"] == reverse("videooffice:call", args=[call.public_id])


# -- the call ----------------------------------------------------------------------------


def test_the_call_page_carries_what_the_script_needs(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    response = anna.client.get(reverse("videooffice:call", args=[call.public_id]))
    assert response.status_code == 200
    page = response.content.decode()
    config = json.loads(re.search(r'id="call-config"[^>]*>(.*?)</script>', page).group(1))
    assert config["role"] == "citizen"
    assert config["mode"] == "video"
    assert config["token"]
    assert "iceServers" in config["ice"]
    assert config["signalUrl"] == f"/ws/video/anruf/{call.public_id}/"
    assert config["nextUrl"] == reverse("videooffice:rating", args=[call.public_id])
    assert config["documentUrl"] == reverse("videooffice:call_document", args=[call.public_id])
    # the page itself: labelled videos, real buttons, a chat log, the document form
    assert re.search(r'<video[^>]*muted[^>]*aria-label="Ihr eigenes Bild"', page)
    assert 'aria-label="Video der Sachbearbeitung"' in page
    assert 'aria-pressed="false" data-toggle="audio"' in page
    assert "Bildschirm teilen" not in page  # the caseworker's button only
    assert 'role="log" aria-live="polite"' in page
    assert "Dokument senden" in page
    assert "Verbindung wird aufgebaut …" in page


def test_the_call_page_is_forbidden_to_strangers(citizens, office, caseworker):
    call = admitted_call(citizens(), office, caseworker)
    url = reverse("videooffice:call", args=[call.public_id])
    assert citizens().client.get(url).status_code == 403
    assert Client().get(url).status_code == 403
    ticket = reverse("videooffice:call_ticket", args=[call.public_id])
    assert citizens().client.post(ticket).status_code == 403


def test_a_fresh_ticket_for_a_reconnecting_page(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    response = anna.client.post(reverse("videooffice:call_ticket", args=[call.public_id]))
    assert response.status_code == 200
    assert response.json()["token"] and "iceServers" in response.json()["ice"]
    services.call_end(call, reason="hangup_citizen")
    response = anna.client.post(reverse("videooffice:call_ticket", args=[call.public_id]))
    assert response.status_code == 410


def test_an_ended_call_leads_to_the_rating(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    services.call_end(call, reason="hangup_caseworker")
    response = anna.client.get(reverse("videooffice:call", args=[call.public_id]))
    assert response["Location"] == reverse("videooffice:rating", args=[call.public_id])


# -- documents ---------------------------------------------------------------------------


def renamed_executable() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "ausweis.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="application/pdf"
    )


def test_a_renamed_executable_is_refused_in_german(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    url = reverse("videooffice:call_document", args=[call.public_id])
    response = anna.client.post(
        url, {"document": renamed_executable()}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    answer = response.json()
    assert answer["ok"] is False
    assert "kein PDF" in answer["error"] or "weder ein PDF" in answer["error"]
    assert not call.documents.exists()


def test_a_text_file_named_pdf_is_refused_without_javascript_too(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    url = reverse("videooffice:call_document", args=[call.public_id])
    upload = SimpleUploadedFile(
        "antrag.pdf", b"Nur Text, kein PDF.", content_type="application/pdf"
    )
    response = anna.client.post(url, {"document": upload}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[0][0] == reverse("videooffice:call", args=[call.public_id])
    assert "PDF" in page and "kern-alert--danger" in page
    assert not call.documents.exists()


def test_a_pdf_is_sent(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    url = reverse("videooffice:call_document", args=[call.public_id])
    pdf = SimpleUploadedFile("Meldebescheinigung.pdf", _tiny_pdf(), content_type="application/pdf")
    response = anna.client.post(url, {"document": pdf}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "name": call.documents.get().name}


def test_only_the_citizen_sends_documents(citizens, office, caseworker):
    call = admitted_call(citizens(), office, caseworker)
    url = reverse("videooffice:call_document", args=[call.public_id])
    response = citizens().client.post(url, {"document": renamed_executable()})
    assert response.status_code == 403


def _tiny_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# -- rating ------------------------------------------------------------------------------


def test_a_call_still_running_is_not_rated(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    url = reverse("videooffice:rating", args=[call.public_id])
    response = anna.client.post(url, {"rating": "1"})
    assert response["Location"] == reverse("videooffice:call", args=[call.public_id])
    call.refresh_from_db()
    assert call.rating is None
    with pytest.raises(services.NotAllowed):
        services.call_rate(call, rating=1)


def test_rating_refuses_a_bad_value_in_german(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    services.call_end(call, reason="hangup_citizen")
    url = reverse("videooffice:rating", args=[call.public_id])
    response = anna.client.post(url, {"rating": "7", "comment": "Sehr freundlich"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Bitte wählen Sie eine Bewertung von 1 bis 5." in page
    assert "Sehr freundlich" in page
    call.refresh_from_db()
    assert call.rating is None


def test_rating_thanks_and_can_be_skipped(citizens, office, caseworker):
    anna = citizens()
    call = admitted_call(anna, office, caseworker)
    services.call_end(call, reason="hangup_citizen")
    url = reverse("videooffice:rating", args=[call.public_id])
    page = anna.client.get(url).content.decode()
    assert "Überspringen" in page and reverse("videooffice:offices") in page
    response = anna.client.post(url, {"rating": "5", "comment": " Schnell erledigt. "})
    assert response["Location"] == url
    call.refresh_from_db()
    assert (call.rating, call.rating_comment) == (5, "Schnell erledigt.")
    assert "Vielen Dank für Ihre Bewertung" in anna.client.get(url).content.decode()
    assert citizens().client.get(url).status_code == 403
