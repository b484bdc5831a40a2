"""A kiosk that loses the network, and a call display that has a hiccup, in the browser.

The kiosk: the server draws the ticket, then the network drops before the answer arrives.
The kiosk says "Keine Verbindung – bitte wenden Sie sich an den Empfang", keeps trying,
and when the network is back shows the number of that press — and the database holds one
ticket for it, not two. The ticket page does not send the kiosk to the browser's error page
when "Fertig" is pressed offline. The call display says it has lost its connection and
shows a call made meanwhile once it is back, without a reload.

The portal is the one of test_journey_ticket.py (conftest.tickets_portal).
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from .conftest import TICKETS_CENTRE as CENTRE
from .test_journey_dog_registration import assert_accessible

pytestmark = pytest.mark.e2e

NO_CONNECTION = "Keine Verbindung – bitte wenden Sie sich an den Empfang."


@pytest.fixture(scope="module")
def portal(tickets_portal):
    return tickets_portal


@pytest.fixture(scope="module")
def portal_url(tickets_portal):
    return tickets_portal[0]


def kalk_tickets(database) -> list[str]:
    """The numbers of Kalk's tickets in the portal's database, in the order drawn."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT t.display FROM tickets_ticket t JOIN organisation_customercentre c"
            " ON c.id = t.centre_id WHERE c.slug = ? ORDER BY t.id",
            [CENTRE],
        ).fetchall()
    return [display for (display,) in rows]


class Network:
    """The kiosk's network as the test wants it. While it is down every request fails the
    way a pulled cable fails — except the first press, which reaches the server (the ticket
    is drawn) and only its answer is lost."""

    def __init__(self, page):
        self.page = page
        self.down = False
        self.presses_through = 0
        page.route("**/*", self._route)

    def _route(self, route):
        if not self.down:
            route.continue_()
            return
        if route.request.method == "POST" and self.presses_through == 0:
            route.fetch(max_redirects=0)  # the server draws the ticket ...
            self.presses_through += 1
        route.abort("internetdisconnected")  # ... and the kiosk hears nothing

    def drop(self):
        self.down = True

    def cut_completely(self):
        self.page.context.set_offline(True)

    def restore(self):
        self.down = False
        self.page.context.set_offline(False)


def test_kiosk_loses_the_network_while_drawing_and_shows_the_one_ticket_when_it_is_back(
    portal, page
):
    _url, database = portal
    before = kalk_tickets(database)
    page.goto(f"/kiosk/{CENTRE}/")
    network = Network(page)

    network.drop()
    page.get_by_role("button", name=re.compile("Ausweise und Pässe")).click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(NO_CONNECTION)
    expect(alert).to_contain_text("Sie erhalten nur eine Wartemarke")
    drawn = kalk_tickets(database)
    assert len(drawn) == len(before) + 1  # the server did draw it
    network.cut_completely()
    assert_accessible(page, "kiosk without network")

    # The citizen taps again, with the keyboard this time: still the same press.
    page.get_by_role("button", name=re.compile("Ausweise und Pässe")).focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    expect(alert).to_contain_text(NO_CONNECTION)
    assert kalk_tickets(database) == drawn

    network.restore()
    number = drawn[-1]
    expect(page.locator(".ticket-number")).to_have_text(number)
    expect(page.get_by_role("alert")).to_have_text("")
    assert re.search(rf"/kiosk/{CENTRE}/marke/[0-9a-f-]{{36}}/$", page.url)
    assert kalk_tickets(database) == drawn  # one ticket for the press, shown on the screen
    assert_accessible(page, "kiosk ticket after the network came back")

    # The next person's press is a new one.
    page.get_by_role("link", name="Fertig").click()
    page.wait_for_url(f"**/kiosk/{CENTRE}/")
    page.get_by_role("button", name=re.compile("Ausweise und Pässe")).click()
    expect(page.locator(".ticket-number")).not_to_have_text(number)
    assert len(kalk_tickets(database)) == len(drawn) + 1
    assert page.console_errors == []


def test_kiosk_ticket_page_waits_for_the_network_before_going_back_to_the_start(portal, page):
    page.goto(f"/kiosk/{CENTRE}/")
    page.get_by_role("button", name=re.compile("Meldeangelegenheiten")).click()
    expect(page.locator(".ticket-number")).to_have_text(re.compile(r"B-\d{3}"))
    ticket_url = page.url

    page.context.set_offline(True)
    page.get_by_role("link", name="Fertig").click()

    expect(page.get_by_role("alert")).to_contain_text(NO_CONNECTION)
    assert page.url == ticket_url  # not the browser's error page
    assert_accessible(page, "kiosk ticket without network")
    page.context.set_offline(False)
    page.wait_for_url(f"**/kiosk/{CENTRE}/")
    expect(page.get_by_role("button", name=re.compile("Meldeangelegenheiten"))).to_be_visible()


def test_call_display_says_it_lost_the_connection_and_shows_a_call_made_meanwhile(
    browser, portal_url, page
):
    page.goto(f"/aufrufanzeige/{CENTRE}/")
    page.wait_for_timeout(500)  # the socket is connected
    banner = page.get_by_text("Verbindung unterbrochen")
    expect(banner).to_be_hidden()

    page.context.set_offline(True)
    expect(banner).to_be_visible()
    assert_accessible(page, "call display without network")

    # Meanwhile Herr Okafor calls the next number at Schalter 2.
    staff = browser.new_context(base_url=portal_url, locale="de-DE").new_page()
    staff.goto("/verwaltung/anmelden/")
    staff.get_by_label("Benutzername").fill("okafor")
    staff.get_by_label("Passwort").fill("koeln-okafor")
    staff.get_by_role("button", name="Anmelden").click()
    staff.wait_for_load_state()
    staff.goto("/sachbearbeitung/schalter/")
    staff.get_by_role("link", name=re.compile("Schalter 2")).click()
    staff.get_by_role("button", name=re.compile("Nummer aufrufen")).click()
    called = staff.get_by_text(re.compile(r"^[A-Z]-\d{3} ist aufgerufen\.$"))
    expect(called).to_be_visible()
    number = called.inner_text().split()[0]
    staff.context.close()
    page.wait_for_timeout(500)
    expect(page.locator("[data-live-block]")).not_to_contain_text(number)

    # The network is back: the display catches up by itself, no reload.
    page.context.set_offline(False)
    expect(page.locator(".call-display__latest")).to_contain_text(number)
    expect(banner).to_be_hidden()
    assert page.console_errors == []
