"""The video office in two browsers: a citizen checks camera and microphone, knocks at the
Bürgerservice and waits; Frau Becker sees the knock arrive on her dashboard and lets them
in; both pages decode each other's video (the fake camera's test pattern), they chat, the
citizen sends a PDF, Frau Becker hangs up — the citizen rates the call, she writes the
outcome. Every page of the way passes axe-core; the knock form works with the keyboard
alone; a caseworker who closes the tab mid-call sends the citizen back to the head of the
queue.

Against the demo on SQLite (one server process); the same journey across two processes on
PostgreSQL and Redis is test_video_two_servers.py.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from .test_journey_dog_registration import assert_accessible, log_in
from .video_helpers import (
    LIVE,
    admit,
    chat,
    in_call,
    knock,
    launch_media_browser,
    open_page,
    wait_for_decoded_frames,
)

pytestmark = pytest.mark.e2e

OFFICE = "/video-sprechstunde/buergerservice/"
DASHBOARD = "/sachbearbeitung/video/"


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def media_browser(browser):
    media_browser = launch_media_browser(browser)
    yield media_browser
    media_browser.close()


@pytest.fixture
def citizen(media_browser, portal_url):
    page = open_page(media_browser, portal_url)
    yield page
    leave_queue(page)
    page.context.close()


@pytest.fixture
def caseworker(media_browser, portal_url):
    page = open_page(media_browser, portal_url)
    log_in(page, "becker", "koeln-becker")
    page.goto(DASHBOARD)
    yield page
    end_open_call(page)
    page.context.close()


def end_open_call(page) -> None:
    """A test that failed mid-call ends the call the way that needs no socket: saving
    the outcome. Otherwise the call would send its citizen back to the head of the queue
    (the caseworker's page is gone), in front of the next test's citizen."""
    call = re.search(r"/sachbearbeitung/video/gespraech/[0-9a-f-]+/$", page.url)
    if page.is_closed() or call is None:
        return
    page.goto(call.group(0) + "ende/")
    page.get_by_label("Ergebnis des Gesprächs").fill("Test abgebrochen.")
    page.get_by_role("button", name="Ergebnis speichern").click()
    page.wait_for_load_state()


def leave_queue(page) -> None:
    """The portal server is shared by the session: a test that failed midway leaves no
    one waiting in front of the next test's citizen."""
    page.goto(OFFICE)
    back = page.get_by_role("link", name="Zurück in den Warteraum")
    if back.count():
        back.click()
        page.get_by_role("button", name="Warteraum verlassen").click()
        page.wait_for_load_state()


def test_knock_admit_talk_send_a_document_and_hang_up(citizen, caseworker):
    concern = "Ich möchte meinen Wohnsitz ummelden."

    # -- the citizen finds the office and checks the camera ------------------------------
    citizen.goto("/video-sprechstunde/")
    assert_accessible(citizen, "office list")
    citizen.get_by_role("link", name=re.compile("Zum virtuellen Amt Bürgerservice")).click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Bürgerservice")
    citizen.get_by_role("button", name="Kamera und Mikrofon prüfen").click()
    expect(citizen.get_by_text("Kamera und Mikrofon funktionieren")).to_be_visible()
    citizen.wait_for_function(
        "() => { const v = document.querySelector('[data-device-preview]');"
        " return v && !v.paused && v.readyState >= 2 && v.videoWidth > 0; }"
    )
    assert_accessible(citizen, "office page with the device check")

    # -- knocks, and waits first in line ----------------------------------------------------
    caseworker.evaluate("window.openBeforeTheKnock = true")  # gone if the page reloads
    knock(citizen, concern)
    expect(citizen.locator("[data-position]")).to_have_text("Sie sind als Nächstes dran.")
    assert_accessible(citizen, "waiting room")

    # -- Frau Becker's dashboard shows the knock without a reload; she lets them in -------
    row = caseworker.get_by_role("row").filter(has_text=concern)
    expect(row).to_be_visible(timeout=LIVE)
    assert caseworker.evaluate("window.openBeforeTheKnock")
    assert_accessible(caseworker, "dashboard with a knock")
    admit(caseworker, concern)
    in_call(citizen, caseworker)

    # -- each sees the other: video frames decoded on both pages --------------------------
    wait_for_decoded_frames(citizen)
    wait_for_decoded_frames(caseworker)
    assert_accessible(citizen, "citizen's call page")
    assert_accessible(caseworker, "caseworker's call page")

    # -- chat both ways -----------------------------------------------------------------------
    chat(citizen, caseworker, "Guten Tag")
    chat(caseworker, citizen, "Guten Tag, wie kann ich Ihnen helfen?")

    # -- a document reaches the caseworker's list, live ------------------------------------
    citizen.get_by_label("Dokument", exact=True).set_input_files(
        {"name": "mietvertrag.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    citizen.get_by_role("button", name="Dokument senden").click()
    expect(citizen.locator("[data-document-result]")).to_contain_text("wurde gesendet")
    expect(caseworker.locator("#gespraech-dokumente")).to_contain_text(
        "mietvertrag.pdf", timeout=LIVE
    )

    # -- Frau Becker hangs up: the citizen rates, she writes the outcome --------------------
    caseworker.get_by_role("button", name="Auflegen").click()
    caseworker.wait_for_url(re.compile(r"/gespraech/[0-9a-f-]+/ende/$"))
    citizen.wait_for_url(re.compile(r"/gespraech/[0-9a-f-]+/bewertung/$"), timeout=LIVE)
    assert_accessible(citizen, "rating page")
    citizen.get_by_label("5 – sehr zufrieden").check()
    citizen.get_by_role("button", name="Bewertung senden").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Vielen Dank für Ihre Bewertung")

    assert_accessible(caseworker, "outcome page")
    caseworker.get_by_label("Ergebnis des Gesprächs").fill(
        "Ummeldung besprochen, Termin im Kundenzentrum empfohlen."
    )
    caseworker.get_by_role("button", name="Ergebnis speichern").click()
    expect(caseworker.get_by_text("Das Ergebnis des Gesprächs ist gespeichert.")).to_be_visible()

    assert not citizen.console_errors, citizen.console_errors
    assert not caseworker.console_errors, caseworker.console_errors


def tab_to(page, selector: str, *, presses: int = 80) -> None:
    """Press Tab until ``selector`` has the focus, as someone without a mouse does."""
    target = page.locator(selector)
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("(node) => node === document.activeElement"):
            return
    raise AssertionError(f"{selector} never got the focus with Tab")


def test_knocking_with_the_keyboard_alone(citizen):
    citizen.goto(OFFICE)
    tab_to(citizen, "textarea[name=concern]")
    citizen.keyboard.type("Frage zum Personalausweis")
    tab_to(citizen, "input[name=mode][value=video]")  # the checked radio takes the focus …
    citizen.keyboard.press("ArrowDown")  # … and the arrow keys choose
    assert citizen.locator("input[name=mode][value=audio]").is_checked()
    tab_to(citizen, "input[name=consent]")
    citizen.keyboard.press("Space")
    assert citizen.locator("input[name=consent]").is_checked()
    tab_to(citizen, "form[data-knock-form] button[type=submit]")
    citizen.keyboard.press("Enter")

    citizen.wait_for_url(re.compile(r"/video-sprechstunde/warteraum/"))
    expect(citizen.get_by_text("Frage zum Personalausweis")).to_be_visible()
    expect(citizen.get_by_text("Gesprächsart: nur Ton")).to_be_visible()
    tab_to(citizen, "button:has-text('Warteraum verlassen')")
    citizen.keyboard.press("Enter")
    # The flash message, or — when the old page's socket reloads it first — the end state.
    expect(
        citizen.get_by_text(re.compile("Sie haben den Warteraum verlassen")).first
    ).to_be_visible()
    assert not citizen.console_errors, citizen.console_errors


def test_a_caseworker_closing_the_tab_sends_the_citizen_back_to_the_head(citizen, caseworker):
    """The call waits VIDEO_CASEWORKER_GRACE_SECONDS (20) for the caseworker's page, then
    puts the citizen first in line again."""
    concern = "Verbindungstest: Tab wird geschlossen"
    citizen.goto(OFFICE)
    knock(citizen, concern)
    admit(caseworker, concern)
    in_call(citizen, caseworker)
    wait_for_decoded_frames(citizen)

    caseworker.close()  # the tab, without a goodbye

    expect(citizen.locator("[data-call-status]")).to_have_text(
        re.compile("Die Sachbearbeitung hat die Verbindung verloren")
    )
    citizen.wait_for_url(re.compile(r"/video-sprechstunde/warteraum/"), timeout=40_000)
    expect(citizen.locator("[data-position]")).to_have_text("Sie sind als Nächstes dran.")
    assert not citizen.console_errors, citizen.console_errors
