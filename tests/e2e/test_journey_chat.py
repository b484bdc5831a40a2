"""The chatbot in a real browser: the widget on every page, by keyboard alone and at 400 %
zoom, the chat page with and without JavaScript, and texts that stay text."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DOG_QUESTION = "Hab nen Hund gekauft, was muss ich tun?"


def tab_until(page, predicate: str, *, key: str = "Tab", limit: int = 150) -> None:
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(predicate):
            return
    raise AssertionError(f"focus never reached: {predicate}")


def opener(page):
    return page.get_by_role("button", name=re.compile("Chatbot öffnen"))


def open_widget_by_keyboard(page) -> None:
    tab_until(page, "document.activeElement.matches('[data-chatbot-open]')")
    expect(page.locator(":focus")).to_have_accessible_name(re.compile("Fragen\\? Chat"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()


def test_a_citizen_asks_the_widget_by_keyboard_and_follows_the_answer(page):
    page.goto("/")
    open_widget_by_keyboard(page)
    dialog = page.get_by_role("dialog", name=re.compile("Chatbot"))
    field = dialog.get_by_label("Ihre Frage")
    expect(field).to_be_focused()

    page.keyboard.type(DOG_QUESTION)
    page.keyboard.press("Enter")

    log = dialog.get_by_role("log")
    expect(log).to_contain_text("Hund anmelden", timeout=20_000)
    expect(log).to_contain_text(DOG_QUESTION)
    expect(field).to_be_focused()  # ready for the next question
    expect(field).to_have_value("")
    # Back through the answer to the way forward for a new dog, and along it.
    tab_until(
        page,
        "document.activeElement.closest('[role=log]') !== null"
        " && /hund-anmelden/.test(document.activeElement.getAttribute('href') || '')",
        key="Shift+Tab",
        limit=30,
    )
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/hund-anmelden/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hund")
    assert page.console_errors == []


def test_escape_closes_the_widget_and_the_focus_returns_to_its_button(page):
    page.goto("/leistungen/personalausweis/")
    open_widget_by_keyboard(page)
    expect(page.get_by_role("dialog").get_by_label("Ihre Frage")).to_be_focused()

    page.keyboard.press("Escape")

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(opener(page)).to_be_focused()
    # The visible close button does the same.
    page.keyboard.press("Enter")
    page.get_by_role("dialog").get_by_role("button", name="Schließen").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(opener(page)).to_be_focused()


def test_at_320_pixels_the_dialog_fills_the_screen_and_nothing_is_cut_off(browser, portal_url):
    # 1280 × 1024 at 400 % zoom: 320 × 256 CSS pixels.
    context = browser.new_context(base_url=portal_url, viewport={"width": 320, "height": 256})
    page = context.new_page()
    page.goto("/")
    open_widget_by_keyboard(page)
    dialog = page.get_by_role("dialog")

    page.keyboard.type(DOG_QUESTION)
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("log")).to_contain_text("Hund anmelden", timeout=20_000)

    box = dialog.bounding_box()
    assert box == {"x": 0, "y": 0, "width": 320, "height": 256}
    sideways = page.evaluate(
        "(d => d.scrollWidth - d.clientWidth)(document.querySelector('dialog[open]'))"
    )
    assert sideways <= 0, f"the dialog scrolls sideways by {sideways}px"
    for control in (
        dialog.get_by_role("button", name="Schließen"),
        dialog.get_by_label("Ihre Frage"),
        dialog.get_by_role("button", name="Frage senden"),
        dialog.get_by_role("link").last,
    ):
        control.scroll_into_view_if_needed()
        right = control.evaluate("e => e.getBoundingClientRect().right")
        assert right <= 320, f"{control} ends at {right}px"
    page.keyboard.press("Escape")
    expect(opener(page)).to_be_focused()
    context.close()


def test_the_reply_waits_with_a_progress_note_and_errors_keep_the_question(page):
    pending = []
    page.route("**/api/v1/chat", lambda route: pending.append(route))
    page.goto("/chat/")
    chat = page.locator("[data-chatbot]")
    field = chat.get_by_label("Ihre Frage")

    field.press("Enter")  # nothing typed: said at once, no request
    expect(chat.get_by_role("alert")).to_have_text("Bitte schreiben Sie eine Frage.")
    assert pending == []

    field.fill("Mein Perso läuft ab")
    field.press("Enter")
    expect(chat.get_by_role("status")).to_have_text("Ich suche …")
    expect(field).to_be_focused()
    expect(chat.get_by_role("alert")).to_have_text("")
    pending.pop().fulfill(
        status=429,
        headers={"Retry-After": "42"},
        content_type="application/json",
        body=json.dumps({"detail": "Bitte versuchen Sie es in 42 Sekunden noch einmal."}),
    )

    expect(chat.get_by_role("alert")).to_have_text(
        "Bitte versuchen Sie es in 42 Sekunden noch einmal."
    )
    expect(chat.get_by_role("status")).to_have_text("")
    expect(field).to_have_value("Mein Perso läuft ab")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(chat.get_by_role("log")).not_to_contain_text("Mein Perso läuft ab")


def test_the_chat_page_with_javascript_answers_without_reloading(page):
    page.goto("/chat/")
    page.evaluate("window.sameDocument = true")
    field = page.get_by_label("Ihre Frage")

    field.fill("Mein Perso läuft ab")
    page.get_by_role("button", name="Frage senden").click()

    log = page.get_by_role("log")
    expect(log).to_contain_text("Personalausweis beantragen", timeout=20_000)
    expect(log.get_by_role("link", name=re.compile("Personalausweis"))).to_have_attribute(
        "href", "/leistungen/personalausweis/"
    )
    assert page.evaluate("window.sameDocument") is True
    expect(field).to_be_focused()
    assert page.console_errors == []


def test_markup_in_questions_and_answers_stays_text(page):
    def answer(route):
        route.fulfill(
            content_type="application/json",
            body=json.dumps(
                {
                    "answer": "Erst <img src=x onerror=window.hacked=1> dann\n\n"
                    "<script>window.hacked=2</script>\n– <b>Punkt</b>",
                    "services": [
                        {"slug": "x", "score": 0.4, "name": "<i>Dienst</i>", "url": "/leistungen/x"}
                    ],
                    "confident": False,
                    "actions": [
                        {"kind": "external", "label": "Böse", "url": "javascript:window.hacked=3"},
                        {"kind": "service", "label": "<u>Weiter</u>", "url": "/leistungen/x/"},
                    ],
                    "lang": "de",
                    "note": "",
                    "intent": "off_topic",
                }
            ),
        )

    page.route("**/api/v1/chat", answer)
    page.goto("/")
    opener(page).click()
    field = page.get_by_role("dialog").get_by_label("Ihre Frage")

    field.fill('<img src=x onerror="window.hacked=4">')
    field.press("Enter")

    log = page.get_by_role("dialog").get_by_role("log")
    expect(log).to_contain_text("<script>window.hacked=2</script>")
    expect(log).to_contain_text('<img src=x onerror="window.hacked=4">')
    expect(log).to_contain_text("Erst <img src=x onerror=window.hacked=1> dann")
    expect(log.get_by_role("link", name="<i>Dienst</i>")).to_have_attribute("href", "/leistungen/x")
    expect(log.get_by_role("link", name="<u>Weiter</u>")).to_be_visible()
    assert log.locator("img, script, b, i, u").count() == 0
    assert log.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("window.hacked") is None


def test_without_javascript_the_button_leads_to_the_chat_page_which_answers(browser, portal_url):
    context = browser.new_context(base_url=portal_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")

    page.get_by_role("link", name=re.compile("Chatbot öffnen")).click()
    expect(page).to_have_url(re.compile(r"/chat/$"))
    page.get_by_label("Ihre Frage").fill("Mein Perso läuft ab")
    page.get_by_role("button", name="Frage senden").click()

    log = page.get_by_role("log")
    expect(log).to_contain_text("Mein Perso läuft ab")
    expect(log.get_by_role("link", name=re.compile("Personalausweis"))).to_be_visible()
    context.close()
