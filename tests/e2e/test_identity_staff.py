"""The staff login in a real browser: a team lead logs in with the password (demo), sets up
an authenticator app from the secret shown on the page, saves the backup codes, and next
time confirms the login with a code. Every page is checked with axe-core; the lockout
page after five wrong passwords too."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django_otp.oath import totp

from tests.e2e.test_journey_dog_registration import assert_accessible, log_in, log_out

pytestmark = pytest.mark.e2e


def code_for(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the secret typed in by hand."""
    secret = "".join(secret.split())
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return str(totp(key, drift=steps_ahead)).zfill(6)


def time_step() -> int:
    return int(time.time()) // 30


def test_a_team_lead_sets_up_the_app_and_then_logs_in_with_a_code(page):
    page.goto("/verwaltung/anmelden/")
    assert_accessible(page, "staff login")
    log_in(page, "leitung", "koeln-leitung")
    assert page.url.endswith("/sachbearbeitung/")  # the demo: password only, the inbox

    page.goto("/verwaltung/konto/")
    assert_accessible(page, "staff account")
    assert page.get_by_text(re.compile(r"^Teamleitung: .*Steueramt")).count() == 1
    page.get_by_role("link", name="Authenticator-App einrichten").click()
    page.wait_for_load_state()
    assert_accessible(page, "second factor setup")
    assert page.locator("svg[role=img] title").text_content().startswith("QR-Code")
    secret = page.locator("#totp-schluessel").inner_text()

    page.get_by_label("Code aus der App").fill("000000" if code_for(secret) != "000000" else "1")
    page.get_by_role("button", name="Einrichten und bestätigen").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1
    page.wait_for_timeout(1100)  # after a wrong code the next try waits a second
    setup_step = time_step()
    page.get_by_label("Code aus der App").fill(code_for(secret))
    page.get_by_role("button", name="Einrichten und bestätigen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Ihre Backup-Codes").count() == 1
    assert_accessible(page, "backup codes")
    assert page.locator(".backup-codes li").count() == 10
    page.get_by_role("link", name=re.compile("Codes gesichert")).click()
    page.wait_for_load_state()
    assert page.get_by_text("Unbenutzte Backup-Codes: 10").count() == 1

    log_out(page)
    log_in(page, "leitung", "koeln-leitung")
    assert page.url.endswith("/verwaltung/anmelden/code/")
    assert_accessible(page, "code step")
    # A code is good once: in the setup's time step the app's next code is typed. (Always
    # typing the next one failed when the setup crossed into a new step: the server then
    # learnt a drift of one step back, and two steps ahead was too far.)
    page.get_by_label("Code").fill(code_for(secret, steps_ahead=int(time_step() == setup_step)))
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_load_state()
    assert page.url.endswith("/sachbearbeitung/")


def test_five_wrong_passwords_show_the_lockout_page(page):
    for _ in range(5):
        log_in(page, "sb-niemand", "falsch")
    assert page.get_by_role("heading", name="Anmeldung vorübergehend gesperrt").count() == 1
    assert_accessible(page, "lockout page")
