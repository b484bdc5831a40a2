"""A newcomer registers, confirms the address with the link from the development outbox,
logs in and manages the account: every new page is checked with axe-core."""

from __future__ import annotations

import re
import uuid

import pytest

from .test_journey_dog_registration import assert_accessible, log_in

pytestmark = pytest.mark.e2e

PASSWORD = "Rheinufer-Dom-2026!"


def confirmation_link(page, address: str) -> str:
    page.goto("/entwicklung/postausgang/")
    row = page.locator("tr", has_text=address).filter(has_text="Bitte bestätigen").first
    row.get_by_role("link").click()
    page.wait_for_load_state()
    match = re.search(r"https?://\S+/registrieren/bestaetigen/\S+/", page.content())
    assert match, "no confirmation link in the email"
    return re.sub(r"^https?://[^/]+", "", match.group(0))


def test_register_confirm_log_in_and_manage_the_account(page):
    address = f"lena-{uuid.uuid4().hex[:8]}@example.org"

    # The login page: a chooser, explained for a service that needs more
    page.goto("/anmelden/?niveau=substantial&next=/leistungen/")
    assert page.get_by_text("Vertrauensniveau substanziell").first.is_visible()
    assert_accessible(page, "login chooser (substantial)")
    page.goto("/anmelden/")
    assert_accessible(page, "login chooser")

    # Registration: a weak password first, then right
    page.get_by_role("link", name="Noch kein Konto? Jetzt registrieren").click()
    page.wait_for_load_state()
    assert_accessible(page, "registration")
    page.get_by_label("Vorname").fill("Lena")
    page.get_by_label("Nachname").fill("Krause")
    page.get_by_label("E-Mail-Adresse").fill(address)
    page.get_by_label("Passwort", exact=True).fill("12345678")
    page.get_by_label("Passwort wiederholen").fill("12345678")
    page.get_by_label(re.compile("Datenschutzhinweise")).check()
    page.get_by_role("button", name="Konto erstellen").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("E-Mail-Adresse").input_value() == address  # kept
    assert_accessible(page, "registration with errors")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    page.get_by_label(re.compile("Datenschutzhinweise")).check()
    page.get_by_role("button", name="Konto erstellen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Bitte bestätigen Sie Ihre E-Mail-Adresse").is_visible()

    # Not yet: the login says what to do
    log_in(page, address, PASSWORD)
    assert page.get_by_text("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse").first.is_visible()

    # The link from the email (development outbox)
    page.goto(confirmation_link(page, address))
    assert page.get_by_role("heading", name="E-Mail-Adresse bestätigt").is_visible()

    # Password reset pages (no email needed to check them)
    page.goto("/passwort-vergessen/")
    assert_accessible(page, "password reset")

    # Log in by email address, land in Mein Bürgerbüro, go to the account page
    log_in(page, address, PASSWORD)
    page.get_by_role("link", name=re.compile("Mein Konto: Ihre Angaben")).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Mein Konto").is_visible()
    assert page.get_by_text("Lena Krause").first.is_visible()
    assert_accessible(page, "account page")

    page.get_by_role("link", name="Zwei-Faktor-Anmeldung einschalten").click()
    page.wait_for_load_state()
    assert page.locator("svg[role=img]").is_visible()
    page.get_by_label("Code aus der App").fill("000000")
    page.get_by_role("button", name="Einschalten").click()
    page.wait_for_load_state()
    assert page.get_by_text("Der Code stimmt nicht").first.is_visible()
    assert_accessible(page, "TOTP setup with error")

    page.goto("/mein-buergerbuero/konto/meine-daten/")
    assert page.get_by_role("link", name=re.compile("Alle Daten herunterladen")).is_visible()
    assert_accessible(page, "export summary")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Alle Daten herunterladen")).click()
    assert download.value.suggested_filename.endswith(".json")

    page.goto("/mein-buergerbuero/konto/loeschen/")
    assert page.get_by_role("heading", name="Was die Stadt aufbewahren muss").is_visible()
    assert_accessible(page, "delete confirmation")
    page.get_by_label(re.compile("Ich habe gelesen")).check()
    page.get_by_label("Ihr Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Konto endgültig löschen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Ihr Konto ist gelöscht").is_visible()
    assert_accessible(page, "account deleted")

    log_in(page, address, PASSWORD)
    assert page.get_by_text("Benutzername oder Passwort stimmen nicht").first.is_visible()
    assert not page.console_errors, page.console_errors
