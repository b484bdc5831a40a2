"""Step-up login in a real browser: a citizen fills in a service that needs trust level
"substantial" without being logged in, is asked to identify at the summary, logs in through
the development IdP (a real signed and encrypted SAML round trip) and lands on the same
summary with every answer still there — then submits."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_journey_dog_registration import assert_accessible, log_in, next_step, photo

pytestmark = pytest.mark.e2e


def test_anonymous_draft_survives_the_step_up_login_via_the_development_idp(page):
    page.goto("/antrag/gewerbesteuer/")
    assert page.get_by_text("Vertrauensniveau substanziell").first.is_visible()
    assert_accessible(page, "start page that asks for identification")
    page.get_by_role("button", name="Erst ausfüllen, vor dem Absenden anmelden").click()

    # Step 1: the application itself, with two uploads
    page.get_by_label("Kassenzeichen").fill("5420 2610 0181")
    page.get_by_label("Name des Betriebs").fill("Bäckerei Kalk")
    page.get_by_label("Für welches Jahr?").fill("2026")
    page.get_by_label("Voraussichtlicher Gewerbeertrag").fill("18000")
    page.get_by_label("Begründung").fill("Umsatzeinbruch durch die Baustelle vor dem Laden.")
    page.locator("input[type=file][name=bwa]").set_input_files(photo("bwa.png"))
    page.locator("input[type=file][name=prognose]").set_input_files(photo("prognose.png"))
    next_step(page)

    # Step 2: who applies (typed by hand: nobody is logged in yet)
    page.get_by_label("Vor- und Familienname").fill("Anna Schmitz")
    page.get_by_label("Straße und Hausnummer").fill("Kalker Hauptstraße 1")
    page.get_by_label("Postleitzahl").fill("51103")
    page.get_by_role("textbox", name="Ort", exact=True).fill("Köln")
    page.get_by_label("E-Mail-Adresse").fill("anna@example.org")
    page.get_by_role("group", name=re.compile("andere Person")).get_by_label("Nein").check()
    next_step(page)

    # The summary shows the answers but asks for identification instead of submitting
    assert page.get_by_role("heading", name="Prüfen und absenden").is_visible()
    summary_url = page.url
    assert "Bäckerei Kalk" in page.content()
    assert page.get_by_role("heading", name="Zum Absenden müssen Sie sich ausweisen").is_visible()
    assert not page.get_by_role("button", name="Verbindlich absenden").count()
    assert_accessible(page, "summary asking for identification")
    page.get_by_role("link", name="Mit BundID ausweisen").click()

    # The login page explains why, and offers the development IdP (marked as demo only)
    page.wait_for_url("**/anmelden/?**niveau=substantial**")
    assert page.get_by_text("Warum Sie sich anmelden müssen").is_visible()
    assert page.get_by_text("Nur Demo – keine echte Prüfung Ihrer Identität").is_visible()
    assert_accessible(page, "login page for level substantial")
    page.get_by_role("link", name="Test-Anmeldung (Entwicklungs-IdP)").click()

    page.wait_for_url("**/entwicklung/idp/anmelden/**")
    page.get_by_label("Anna Schmitz", exact=False).check()
    page.get_by_label("substanziell", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()

    # Back on the same summary, logged in, every answer still there, and now it submits
    page.wait_for_url(summary_url)
    assert page.get_by_role("button", name="Abmelden").is_visible()
    assert "Bäckerei Kalk" in page.content()
    assert "Umsatzeinbruch durch die Baustelle" in page.content()
    assert "bwa.png" in page.content()
    assert not page.get_by_role("heading", name="Zum Absenden müssen Sie sich ausweisen").count()
    page.get_by_label(re.compile("Ich versichere")).check()
    page.get_by_role("button", name="Verbindlich absenden").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Ihr Antrag ist eingegangen").is_visible()

    # The draft became the account's: the case is in "Mein Bürgerbüro"
    reference = page.locator(".reference").inner_text()
    page.goto("/mein-buergerbuero/")
    assert page.get_by_text(reference).first.is_visible()
    assert page.console_errors == []


def test_a_logged_in_citizen_confirms_before_a_bundid_joins_the_account(page):
    log_in(page, "buerger", "koeln-buerger")
    page.goto("/anmelden/?niveau=substantial&next=/mein-buergerbuero/konto/")
    assert page.get_by_text("Sie sind angemeldet, aber").first.is_visible()
    page.get_by_role("link", name="Test-Anmeldung (Entwicklungs-IdP)").click()
    page.wait_for_url("**/entwicklung/idp/anmelden/**")
    page.get_by_label("Mehmet Yılmaz", exact=False).check()
    page.get_by_label("substanziell", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()

    page.wait_for_url("**/anmelden/verknuepfen/**")
    assert page.get_by_role("heading", name="Anmeldung mit Ihrem Konto verknüpfen?").is_visible()
    assert_accessible(page, "link confirmation")
    page.get_by_role("button", name="Ja, mit diesem Konto verknüpfen").click()
    page.wait_for_url("**/mein-buergerbuero/konto/")
    assert page.get_by_text("Die Anmeldung ist jetzt mit Ihrem Konto verknüpft.").is_visible()
    assert page.console_errors == []
