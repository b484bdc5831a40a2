"""Live case updates in real browsers: Frau Becker has a case open, Herr Schulz (same
department) takes it over in his own browser, and her page says so at once in a polite
live region with a link to reload — over the WebSocket of the uvicorn server, through
applications/case-live.js. The page with the notice is checked with axe-core."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_journey_dog_registration import assert_accessible, date_parts, log_in

pytestmark = pytest.mark.e2e


def submit_dog_deregistration(page) -> str:
    log_in(page, "buerger", "koeln-buerger")
    page.goto("/leistungen/hund-abmelden/")
    page.get_by_role("link", name="Online beantragen").click()
    page.get_by_role("button", name="Antrag beginnen").click()
    page.wait_for_load_state()
    page.get_by_label("Kassenzeichen").fill("5.100.123.456")
    page.get_by_label("Name des Hundes").fill("Bello")
    page.get_by_label("Der Hund ist gestorben").check()
    date_parts(page, "Datum", "2", "1", "2026")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Weiter", exact=True).click()  # prefilled from the account
    page.wait_for_load_state()
    page.get_by_label("Ich versichere, dass meine Angaben vollständig und richtig sind.").check()
    page.get_by_role("button", name="Verbindlich absenden").click()
    page.wait_for_load_state()
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"K-\d{4}-\d{6}", reference)
    return reference


def test_a_colleagues_change_is_announced_on_the_open_case_page(page, browser, portal_url):
    reference = submit_dog_deregistration(page)

    becker = browser.new_context(base_url=portal_url, locale="de-DE").new_page()
    schulz = browser.new_context(base_url=portal_url, locale="de-DE").new_page()
    script_errors: list[str] = []
    becker.on("pageerror", lambda error: script_errors.append(str(error)))
    try:
        log_in(becker, "becker", "koeln-becker")
        becker.goto(f"/sachbearbeitung/vorgaenge/{reference}/")
        becker.wait_for_load_state("networkidle")
        live = becker.locator("[data-case-live]")
        assert live.inner_text().strip() == ""  # nothing to say while the page is current

        log_in(schulz, "schulz", "koeln-schulz")
        schulz.goto(f"/sachbearbeitung/vorgaenge/{reference}/")
        schulz.get_by_role("button", name="Übernehmen").click()
        schulz.wait_for_load_state()

        notice = live.get_by_text(re.compile(r"Dieser Vorgang wurde soeben von Jan Schulz"))
        notice.wait_for(timeout=10_000)
        assert "(Zuständigkeit," in live.inner_text()
        assert_accessible(becker, "case page with the live notice")
        live.get_by_role("link", name="Seite neu laden").click()
        becker.wait_for_load_state()
        assert "Jan Schulz" in becker.locator(".case-facts").inner_text()
        assert becker.locator("[data-case-live]").inner_text().strip() == ""
        assert not script_errors
    finally:
        becker.context.close()
        schulz.context.close()
