"""The walk-in queue in the browser: a citizen draws a ticket at the kiosk of Kundenzentrum
Kalk and opens its QR link on the phone; Herr Okafor calls numbers at his counter until it
is theirs — the status page says "Sie sind dran – Schalter 2" and the call display shows
the number, both without reloading. axe-core finds nothing on the kiosk and its ticket, the
status page, the call display, the online form (with an error; then drawn, the proof of work
solved by the browser), the counter screen and the waiting times.

The portal of this module is conftest.tickets_portal: the demo plus the tickets demo
(tickets/demo.py: groups, counters, five waiting tickets per centre), with Kalk open around
the clock so that the test does not depend on the hour (a public holiday in NRW still
closes it). test_kiosk_offline.py shares it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import TICKETS_CENTRE
from .test_journey_dog_registration import assert_accessible

pytestmark = pytest.mark.e2e

CENTRE = TICKETS_CENTRE


@pytest.fixture(scope="module")
def portal_url(tickets_portal):
    return tickets_portal[0]


def test_draw_at_the_kiosk_follow_on_the_phone_and_get_called(browser, portal_url, page):
    # The kiosk: big buttons, one per group.
    page.goto(f"/kiosk/{CENTRE}/")
    assert_accessible(page, "kiosk")
    page.get_by_role("button", name=re.compile("Ausweise und Pässe")).click()
    page.wait_for_load_state()
    number = page.locator(".ticket-number").inner_text().strip()
    assert re.fullmatch(r"A-\d{3}", number)
    expect(page.get_by_role("img", name=re.compile("QR-Code"))).to_be_visible()
    status_url = page.locator(".ticket-kiosk__url").inner_text().strip()
    assert_accessible(page, "kiosk ticket")

    # The phone opens the QR code's address; the call display hangs in the waiting room.
    phone = page.context.browser.new_context(base_url=portal_url, locale="de-DE").new_page()
    phone.goto(status_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Wartemarke {number}")
    expect(phone.get_by_text("Ihr Platz in der Warteschlange")).to_be_visible()
    assert_accessible(phone, "status page")
    display = page.context.browser.new_context(base_url=portal_url, locale="de-DE").new_page()
    display.goto(f"/aufrufanzeige/{CENTRE}/")
    assert_accessible(display, "call display")
    phone.wait_for_timeout(500)  # both sockets connected

    # Herr Okafor calls at Schalter 2 (passports only) until it is this ticket's turn.
    staff = page.context.browser.new_context(base_url=portal_url, locale="de-DE").new_page()
    staff.goto("/verwaltung/anmelden/")
    staff.get_by_label("Benutzername").fill("okafor")
    staff.get_by_label("Passwort").fill("koeln-okafor")
    staff.get_by_role("button", name="Anmelden").click()
    staff.wait_for_load_state()
    staff.goto("/sachbearbeitung/schalter/")
    staff.get_by_role("link", name=re.compile("Schalter 2")).click()
    for _ in range(10):
        staff.get_by_role("button", name=re.compile("Nummer aufrufen")).click()
        staff.wait_for_load_state()
        if staff.get_by_text(f"{number} ist aufgerufen.").count():
            break
    expect(staff.get_by_text(f"{number} ist aufgerufen.")).to_be_visible()

    # Live, without a reload: the phone says where to go, the display shows the number.
    expect(phone.get_by_role("heading", name="Sie sind dran – Schalter 2")).to_be_visible()
    expect(phone.locator("[data-live-say]")).to_contain_text("Sie sind dran – Schalter 2")
    expect(display.locator(".call-display__latest")).to_contain_text(number)
    expect(display.locator("[data-live-say]")).to_contain_text(f"Wartenummer {number}")
    assert_accessible(phone, "status page, called")
    assert_accessible(display, "call display, after a call")

    page.goto(f"/wartemarke/{CENTRE}/ziehen/")
    assert_accessible(page, "online draw")
    page.get_by_role("button", name="Wartemarke ziehen").click()
    expect(
        page.get_by_role("link", name=re.compile("Bitte wählen Sie Ihr Anliegen"))
    ).to_be_visible()
    assert_accessible(page, "online draw with an error")
    # Sent at once, while the proof of work is still running (it takes at least 0.5 s):
    # the form waits for it and then goes, with a real solution from chromium.
    page.get_by_label(re.compile("Meldeangelegenheiten")).check()
    page.get_by_role("button", name="Wartemarke ziehen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Wartemarke B-\d{3}"), timeout=30_000
    )
    assert_accessible(staff, "counter screen")

    page.goto("/wartezeiten/")
    expect(page.get_by_role("row", name=re.compile("Kundenzentrum Kalk"))).to_be_visible()
    assert_accessible(page, "waiting times")
    for tab in (page, phone, display, staff):
        assert getattr(tab, "console_errors", []) == []
    for tab in (phone, display, staff):
        tab.context.close()
