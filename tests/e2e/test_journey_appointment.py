"""An appointment in a real browser: Personalausweis at Kundenzentrum Kalk — services,
centre, day and time, contact data (a mistake first), review, booked; the confirmation
email arrives at a real SMTP server with the calendar file, and its link cancels the
appointment; Herr Okafor sees it on his day list in Kalk. axe-core checks every page of
the way. The proof of work on the booking step is solved by the widget in chromium; without
JavaScript the same booking goes through (within the small budget for that)."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from buergerbuero.core.portal_process import manage, running_portal
from buergerbuero.notifications.testing import SmtpServer

from .conftest import prepare_demo_database
from .test_journey_dog_registration import assert_accessible

pytestmark = pytest.mark.e2e

CENTRE = "kundenzentrum-kalk"
SETUP = """
from buergerbuero.appointments.demo import demo_load_appointments
demo_load_appointments()
"""


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def portal_url(tmp_path_factory, smtp):
    workdir = tmp_path_factory.mktemp("portal-appointments")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_ROOT": str(workdir / "private"),
        "DEMO_MODE": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
    }
    env.pop("REDIS_URL", None)
    prepare_demo_database(env)
    manage(env, "shell", "-c", SETUP)
    with running_portal(env, log_path=workdir / "server.log") as (url, _pid):
        env["SITE_URL"] = url
        yield url


def wait_for_message(smtp, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if smtp.messages:
            return smtp.messages[0]
        time.sleep(0.2)
    raise AssertionError("no email arrived at the SMTP server")


def test_book_receive_the_email_and_cancel_with_its_link(page, portal_url, smtp):
    page.goto("/termine/")
    assert_accessible(page, "services")
    page.get_by_role("button", name="Weiter zum Standort").click()
    page.wait_for_load_state()
    assert page.get_by_text("Bitte wählen Sie mindestens ein Anliegen aus.").first.is_visible()
    assert_accessible(page, "services with an error")
    page.get_by_label(re.compile("Personalausweis beantragen")).check()
    page.get_by_role("button", name="Weiter zum Standort").click()
    page.wait_for_load_state()
    assert_accessible(page, "centres")

    page.get_by_role("link", name="Kundenzentrum Kalk").click()
    page.wait_for_load_state()
    assert_accessible(page, "day and time")
    first_time = page.locator(".appointment-slots a").first
    chosen = first_time.inner_text().strip()  # "09:10 Uhr"
    beginn = re.search(r"beginn=([0-9T:Z-]+)", first_time.get_attribute("href")).group(1)
    day = dt.datetime.fromisoformat(beginn).astimezone(ZoneInfo("Europe/Berlin")).date()
    first_time.click()
    page.wait_for_load_state()
    assert_accessible(page, "contact data")

    page.get_by_label("Vor- und Nachname").fill("Erika Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("erika@")
    page.get_by_role("button", name="Weiter zur Prüfung").click()
    page.wait_for_load_state()
    assert page.locator("#id_email_error").is_visible()
    assert page.get_by_label("Vor- und Nachname").input_value() == "Erika Mustermann"
    assert_accessible(page, "contact data with an error")
    page.get_by_label("E-Mail-Adresse").fill("erika@example.org")
    page.get_by_role("button", name="Weiter zur Prüfung").click()
    page.wait_for_load_state()
    assert_accessible(page, "review")

    # The proof of work solves itself, in chromium, for real: nobody ticks anything. The
    # checkbox says so by its name (what a screen reader reads) and is in the tab order.
    proof = page.get_by_role("checkbox", name="Überprüft", exact=True)
    expect(proof).to_be_checked(timeout=30_000)
    assert page.locator("altcha-widget input[name=altcha]").input_value()
    page.get_by_role("button", name="Termin verbindlich buchen").focus()
    page.keyboard.press("Shift+Tab")
    expect(proof).to_be_focused()
    assert_accessible(page, "review, proof of work solved")

    page.get_by_role("button", name="Termin verbindlich buchen").click()
    # (booking and writing the email take a moment: wait for the page, not only the click)
    expect(page.get_by_text("Ihr Termin ist gebucht.")).to_be_visible()
    assert page.get_by_text(chosen.replace(" Uhr", "")).first.is_visible()
    assert_accessible(page, "booked")

    # Herr Okafor, at the counter in Kalk, sees her on that day's list.
    staff = page.context.browser.new_context(base_url=portal_url, locale="de-DE").new_page()
    staff.goto("/verwaltung/anmelden/")
    staff.get_by_label("Benutzername").fill("okafor")
    staff.get_by_label("Passwort").fill("koeln-okafor")
    staff.get_by_role("button", name="Anmelden").click()
    staff.wait_for_load_state()
    staff.goto(f"/sachbearbeitung/termine/{CENTRE}/?tag={day.isoformat()}")
    row = staff.get_by_role("row", name=re.compile("Erika Mustermann"))
    assert "Personalausweis beantragen" in row.inner_text() and "gebucht" in row.inner_text()
    assert_accessible(staff, "staff: day list")
    staff.context.close()

    message = wait_for_message(smtp)
    assert message["To"] == "erika@example.org"
    assert message["Subject"] == "Ihr Termin ist gebucht"
    body = message.get_body(preferencelist=("plain",)).get_content()
    [ics] = [part for part in message.iter_attachments() if part.get_filename() == "termin.ics"]
    calendar = ics.get_content()
    calendar = calendar.decode() if isinstance(calendar, bytes) else calendar
    assert "BEGIN:VEVENT" in calendar and "Kundenzentrum Kalk" in calendar
    link = re.search(r"https?://\S+/termine/[0-9a-f-]+/\?t=\S+", body).group(0)
    parts = urlsplit(link)

    page.goto(f"{parts.path}?{parts.query}")
    page.get_by_role("link", name="Termin verschieben").click()
    page.wait_for_load_state()
    expect(page.get_by_role("checkbox", name="Überprüft", exact=True)).to_be_checked(
        timeout=30_000
    )
    assert_accessible(page, "move, proof of work solved")
    page.go_back()
    page.get_by_role("link", name="Termin absagen").click()
    page.wait_for_load_state()
    assert_accessible(page, "cancel: confirm")
    page.get_by_role("button", name="Ja, Termin absagen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Ihr Termin ist abgesagt").is_visible()
    assert_accessible(page, "cancelled")
    assert page.console_errors == []


def test_without_javascript_the_wizard_still_books(browser, portal_url):
    context = browser.new_context(base_url=portal_url, locale="de-DE", java_script_enabled=False)
    page = context.new_page()
    page.goto("/termine/")
    page.get_by_label(re.compile("Personalausweis beantragen")).check()
    page.get_by_role("button", name="Weiter zum Standort").click()
    page.get_by_role("link", name="Kundenzentrum Kalk").click()
    page.locator(".appointment-slots a").first.click()
    page.get_by_label("Vor- und Nachname").fill("Max Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("max@example.org")
    page.get_by_role("button", name="Weiter zur Prüfung").click()
    expect(page.get_by_role("button", name="Termin verbindlich buchen")).to_be_visible()
    # (Playwright's text locators skip <noscript>: the rendered text is read instead)
    assert "Ohne JavaScript kann Ihr Browser die Rechenaufgabe" in page.locator("main").inner_text()

    page.get_by_role("button", name="Termin verbindlich buchen").click()

    expect(page.get_by_text("Ihr Termin ist gebucht.")).to_be_visible()
    context.close()
