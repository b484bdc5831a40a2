"""Journey 1 and 8: find a service by search and reach its next step, by keyboard only."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def tab_until(page, predicate, limit=60):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate):
            return
    raise AssertionError(f"focus never reached: {predicate}")


def test_keyboard_only_search_to_service_to_external_portal(page):
    page.goto("/")
    # The skip link is the first stop and jumps to the main content.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Zum Inhalt springen")
    page.keyboard.press("Enter")
    tab_until(page, "document.activeElement.name === 'q'")
    page.keyboard.type("Kita Platz")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/suche/\?q=Kita"))
    tab_until(page, "document.activeElement.getAttribute('href') === '/leistungen/kita-platz/'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kita")
    tab_until(page, "document.activeElement.textContent.includes('Zum Online-Portal')")
    link = page.locator(":focus")
    expect(link).to_have_attribute("href", re.compile(r"^https://"))
    expect(link).to_contain_text("verlässt diese Website")


def test_suggestions_appear_while_typing(page):
    page.goto("/")
    page.get_by_label("Was möchten Sie erledigen?").press_sequentially("Perso", delay=30)
    suggestion = page.locator("#suche-vorschlaege a", has_text="Personalausweis")
    expect(suggestion).to_be_visible()
    # Screen readers hear the count from the status line, not the whole list again.
    expect(page.get_by_role("status")).to_contain_text("Vorschl")
    suggestion.click()
    expect(page).to_have_url(re.compile(r"/leistungen/personalausweis/$"))


def test_colloquial_words_find_the_service(page):
    page.goto("/suche/?q=Kn%C3%B6llchen")
    expect(page.locator(".result-list a").first).to_have_text(re.compile("Verwarngeld"))


def test_switching_language_keeps_the_page(page):
    page.goto("/leistungen/reisepass/")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/en/leistungen/reisepass/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("[Pp]assport"))
