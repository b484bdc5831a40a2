"""axe-core finds no violation on any public page, in German and in English."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAGES = [
    "/",
    "/leistungen/",
    "/leistungen/personalausweis/",
    "/leistungen/kita-platz/",
    "/leistungen/hund-anmelden/",
    "/lebenslagen/",
    "/lebenslagen/umzug/",
    "/themen/",
    "/themen/auto-und-verkehr/",
    "/suche/?q=Hundesteuer",
    "/suche/?q=xqzvbnm",
    "/kundenzentren/",
    "/impressum/",
    "/datenschutz/",
    "/barrierefreiheit/",
    "/leichte-sprache/",
    "/gebaerdensprache/",
    "/kontakt/",
    "/leistungen/gibt-es-nicht/",
    "/suche/?q=%00",
    "/komponenten/",
    "/anmelden/",
    "/antrag/hund-anmelden/",
    "/antrag/wohnberechtigungsschein/",
    "/bescheid-pruefen/",
    "/bescheid-pruefen/AAAA-BBBB-CCCC/",
    "/bezahlen/",
    "/leistungen/verwarngeld-bezahlen/",
    "/chat/",
]

axe = Axe()
RULESETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _report(results) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
    )


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("path", PAGES)
def test_no_axe_violations(page, path, prefix):
    page.goto(prefix + path)
    results = axe.run(page, options={"runOnly": RULESETS})
    assert results.violations_count == 0, _report(results)
    assert page.console_errors == []


def test_component_gallery_with_errors_has_no_violations(page):
    page.goto("/komponenten/")
    page.get_by_role("button", name="Prüfen").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.is_visible()
    results = axe.run(page, options={"runOnly": RULESETS})
    assert results.violations_count == 0, _report(results)


def test_feedback_form_with_errors_has_no_violations(page):
    page.goto("/barrierefreiheit/")
    page.get_by_role("button", name="Rückmeldung senden").click()
    page.wait_for_load_state()
    assert page.get_by_text("Bitte beschreiben Sie die Barriere.").first.is_visible()
    results = axe.run(page)
    assert results.violations_count == 0, _report(results)


def test_the_chat_with_an_answer_and_with_an_error_has_no_violations(page):
    page.goto("/chat/")
    field = page.get_by_label("Ihre Frage")
    field.fill("Hab nen Hund gekauft, was muss ich tun?")
    field.press("Enter")
    expect(page.get_by_role("log")).to_contain_text("Hund anmelden", timeout=20_000)
    field.press("Enter")  # empty: the error above the field
    expect(page.locator("#chat-frage-fehler")).to_be_visible()
    results = axe.run(page, options={"runOnly": RULESETS})
    assert results.violations_count == 0, _report(results)
    assert page.console_errors == []


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_open_chat_widget_with_an_answer_has_no_violations(page, prefix):
    page.goto(prefix + "/leistungen/personalausweis/")
    page.locator("[data-chatbot-open]").click()
    dialog = page.get_by_role("dialog")
    field = dialog.locator("textarea")
    field.fill("Wie wird das Wetter?")
    field.press("Enter")
    expect(dialog.get_by_role("log").locator(".chatbot-message")).to_have_count(3, timeout=20_000)
    results = axe.run(page, options={"runOnly": RULESETS})
    assert results.violations_count == 0, _report(results)
    assert page.console_errors == []


def test_the_page_works_at_400_percent_zoom(browser, portal_url):
    # 1280 px / 4 = 320 CSS px: WCAG 1.4.10 reflow, no horizontal scrolling.
    context = browser.new_context(base_url=portal_url, viewport={"width": 320, "height": 640})
    page = context.new_page()
    for path in ("/", "/leistungen/personalausweis/", "/kundenzentren/"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px width"
    context.close()
