"""A video appointment in a real browser, on the demo's Bürgerservice: the office page
offers it, a day and a time, the form (a mistake first: everything typed stays), booked,
then cancelled from the appointment's page. axe-core checks every page of the way, in
German and on the English booking page. (Entering the waiting room at the appointment's
time and the order of the queue are tested in videooffice/tests/test_appointments.py:
a browser cannot wait for the time.)"""

from __future__ import annotations

import pytest

from .test_journey_dog_registration import assert_accessible

pytestmark = pytest.mark.e2e


def test_book_a_video_appointment_and_cancel_it(page):
    page.goto("/video-sprechstunde/buergerservice/")
    page.get_by_role("link", name="Video-Termin buchen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Video-Termin: Bürgerservice").is_visible()
    assert_accessible(page, "days and times")

    first_time = page.locator(".appointment-slots a").first
    chosen = first_time.inner_text().strip().replace(" Uhr", "")
    first_time.click()
    page.wait_for_load_state()
    assert_accessible(page, "booking form")

    page.get_by_label("Vor- und Nachname").fill("Erika Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("erika@example.org")
    page.get_by_label("Ihr Anliegen").fill("Ich ziehe nach Köln und habe Fragen zur Anmeldung.")
    page.get_by_label("nur Ton").check()
    page.get_by_role("button", name="Termin verbindlich buchen").click()
    page.wait_for_load_state()
    # The privacy notice was not confirmed: said, and nothing typed is lost.
    assert page.get_by_text("Bitte bestätigen Sie den Datenschutzhinweis").first.is_visible()
    assert page.get_by_label("Vor- und Nachname").input_value() == "Erika Mustermann"
    assert page.get_by_label("nur Ton").is_checked()
    assert_accessible(page, "booking form with an error")

    page.get_by_label("Ich habe den Datenschutzhinweis gelesen").check()
    page.get_by_role("button", name="Termin verbindlich buchen").click()
    page.wait_for_load_state()
    assert page.get_by_text("Ihr Video-Termin ist gebucht.").is_visible()
    assert page.get_by_text(chosen).first.is_visible()
    assert page.get_by_text("nur Ton").is_visible()
    assert_accessible(page, "booked")

    page.get_by_role("link", name="Termin absagen").click()
    page.wait_for_load_state()
    assert_accessible(page, "cancel: confirm")
    page.get_by_role("button", name="Ja, Termin absagen").click()
    page.wait_for_load_state()
    assert page.get_by_text("Ihr Termin ist abgesagt. Die Uhrzeit ist wieder frei.").is_visible()
    assert_accessible(page, "cancelled")

    page.goto("/en/video-sprechstunde/buergerservice/termin/")
    page.locator(".appointment-slots a").first.click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page, "booking form, English")
    assert page.console_errors == []
