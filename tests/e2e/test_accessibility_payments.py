"""The payment pages in a real browser: axe-core finds nothing (WCAG 2.1 AA and best
practice), no script or sub-resource fails, the look-up works by keyboard alone with a
visible focus, and the pages reflow at 320 CSS px (1280 px at 400 % zoom).

Demo state these tests leave behind, on purpose harmless for the other e2e tests: a
cancelled online payment and a partial bank credit (20,00 €) on 5420 2610 0375, which
stays open; an unmatched credit of 47,11 €; a revoked mandate on 5420 2610 0181.
5420 2610 0278 belongs to ``test_journey_payments`` and is not touched here.
"""

from __future__ import annotations

import re

import pytest

from buergerbuero.payments.tests.camt import camt_document, entry_xml

from .test_journey_dog_registration import assert_accessible, log_in

pytestmark = pytest.mark.e2e

OPEN_CODE = "5420 2610 0375"  # Gebühr Bauaufsicht, 120,00 €, nobody's
OWN_CODE = "5420 2610 0181"  # Verwarnungsgeld, 35,00 €, belongs to buerger
GOOD_IBAN = "DE89370400440532013000"

CASH_PAGES = ["/kasse/", "/kasse/zahlungen/", "/kasse/kontoauszuege/", "/kasse/eingaenge/"]
CASH_PAGES += ["/kasse/lastschriften/"]
NARROW = {"width": 320, "height": 640}  # 1280 px at 400 % zoom


def sideways_overflow(page) -> int:
    # clientWidth, not innerWidth: a vertical scrollbar must not hide an overflow.
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def assert_clean(page, where: str) -> None:
    """axe finds nothing, no script or sub-resource failed, and the page reflows: at
    320 px it does not scroll sideways (tables scroll inside their wrapper) and axe still
    finds nothing (e.g. a table wrapper that scrolls but cannot be focused)."""
    assert_accessible(page, where)
    assert page.console_errors == [], f"{where}: {page.console_errors}"
    size = page.viewport_size
    page.set_viewport_size(NARROW)
    try:
        overflow = sideways_overflow(page)
        assert overflow <= 0, f"{where} scrolls sideways by {overflow}px at 320px width"
        assert_accessible(page, f"{where} at 320px")
    finally:
        page.set_viewport_size(size)


def submit(page) -> None:
    """The page's main form, by its submit button, in either language."""
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").first.click()


def unlock(page, code: str = OPEN_CODE, amount: str = "120,00", prefix: str = "") -> None:
    page.goto(prefix + "/bezahlen/")
    page.locator("input[name=code]").fill(code)
    page.locator("input[name=amount]").fill(amount)
    submit(page)
    assert page.url.endswith(f"/bezahlen/kassenzeichen/{code.replace(' ', '')}/"), page.url


def a_cancelled_payment(page) -> None:
    """An online payment on OPEN_CODE given up at the test provider: the cash office's
    list has a row, the Kassenzeichen stays open."""
    unlock(page)
    page.get_by_role("button", name=re.compile("online bezahlen")).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Abbrechen").click()
    page.wait_for_load_state()


def statement_bytes() -> bytes:
    # Deterministic, so a second upload is "already imported" and leads to the same page.
    return camt_document(
        [
            entry_xml(
                amount="20.00",
                remittance=f"Kassenzeichen {OPEN_CODE} Teilzahlung",
                acct_svcr_ref="E2E-A11Y-0001",
            ),
            # No reference owes 47,11 €: stays unmatched, never a fuzzy match.
            entry_xml(
                amount="47.11",
                remittance="Spende Stadtfest",
                debtor="Erika Mustermann",
                debtor_iban="DE02500105170137075030",
                acct_svcr_ref="E2E-A11Y-0002",
            ),
        ],
        message_id="E2E-A11Y-2026-03-16",
    )


def upload_statement(page, content: bytes, name: str) -> None:
    page.goto("/kasse/kontoauszuege/")
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": name, "mimeType": "application/xml", "buffer": content}
    )
    page.get_by_role("button", name="Einlesen").click()
    page.wait_for_load_state()


# -- citizens -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_lookup_empty_and_with_errors(page, prefix):
    page.goto(prefix + "/bezahlen/")
    assert_clean(page, "look-up")

    submit(page)
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#id_code_error").is_visible()
    assert page.locator("#id_amount_error").is_visible()
    assert_clean(page, "look-up submitted empty")

    page.locator("input[name=code]").fill("5420 2610 0357")  # check digits swapped
    page.locator("input[name=amount]").fill("120,00")
    submit(page)
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#id_code_error").is_visible()  # at the field, not "no match"
    assert page.locator("input[name=code]").input_value() == "5420 2610 0357"
    assert page.locator("input[name=amount]").input_value() == "120,00"
    assert_clean(page, "look-up with a wrong check digit")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_reference_page(page, prefix):
    unlock(page, prefix=prefix)
    assert page.locator("svg.girocode").is_visible()
    assert_clean(page, "Kassenzeichen page")


def test_reference_page_with_a_cancelled_payment(page):
    a_cancelled_payment(page)
    assert page.locator("table").is_visible()  # the payments of this Kassenzeichen
    assert_clean(page, "Kassenzeichen page after a cancelled payment")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_my_office_lists_open_amounts(page, prefix):
    log_in(page, "buerger", "koeln-buerger")
    page.goto(prefix + "/mein-buergerbuero/")
    assert page.locator("#offene-betraege").is_visible()
    assert_clean(page, "Mein Bürgerbüro")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_mandate_page_empty_and_with_an_invalid_iban(page, prefix):
    log_in(page, "buerger", "koeln-buerger")
    page.goto(prefix + f"/bezahlen/kassenzeichen/{OWN_CODE.replace(' ', '')}/lastschrift/")
    # the mandate's text is the checkbox's hint: beside the box, not one word a line
    assert page.locator(".kern-form-check .kern-hint").bounding_box()["width"] > 300
    assert_clean(page, "mandate page")

    page.locator("input[name=debtor_name]").fill("Mehmet Yılmaz")
    page.locator("input[name=iban]").fill("DE89 3704 0044 0532 0130 01")  # check digits off
    page.locator("input[name=consent]").check()
    with page.expect_navigation():
        page.locator("form.mandate-form button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("input[name=iban]").input_value() == "DE89 3704 0044 0532 0130 01"
    assert page.locator("input[name=debtor_name]").input_value() == "Mehmet Yılmaz"
    assert_clean(page, "mandate page with an invalid IBAN")


def test_mandate_given_and_revoked(page):
    log_in(page, "buerger", "koeln-buerger")
    mandate_page = f"/bezahlen/kassenzeichen/{OWN_CODE.replace(' ', '')}/lastschrift/"
    page.goto(mandate_page)
    page.get_by_label("IBAN").fill(GOOD_IBAN)
    page.get_by_label(re.compile("Ich erteile")).check()
    page.get_by_role("button", name="Mandat erteilen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Ihr Lastschriftmandat ist erteilt").is_visible()
    assert_clean(page, "mandate confirmation")

    page.goto(mandate_page)
    assert page.get_by_role("heading", name="Ihr Mandat").is_visible()
    assert_clean(page, "mandate page with an active mandate")

    # the cash office's list of mandates and what is due
    page.context.clear_cookies()
    log_in(page, "kasse", "koeln-kasse")
    page.goto("/kasse/lastschriften/")
    assert page.get_by_role("table", name=re.compile("aktives Mandat")).is_visible()
    assert_clean(page, "direct debits with an active mandate")
    page.get_by_role("link", name=re.compile("^Widerrufen")).first.click()
    page.wait_for_load_state()
    assert_clean(page, "cash office: revoke a mandate (the question)")

    # the citizen revokes it himself: the demo is as it was
    page.context.clear_cookies()
    log_in(page, "buerger", "koeln-buerger")
    page.goto(mandate_page)
    page.get_by_role("button", name="Mandat widerrufen").click()
    page.wait_for_load_state()
    assert page.get_by_text(re.compile("ist widerrufen")).is_visible()
    assert not page.get_by_role("heading", name="Ihr Mandat").count()
    assert_clean(page, "mandate page after the revocation")


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_citizen_at_the_cash_office_sees_an_accessible_refusal(page, prefix):
    log_in(page, "buerger", "koeln-buerger")
    assert page.goto(prefix + "/kasse/").status == 403
    assert_clean(page, "no access to the cash office")


# -- the cash office --------------------------------------------------------------------------


def test_cash_office_pages(page):
    a_cancelled_payment(page)  # so the payments list has a table
    log_in(page, "kasse", "koeln-kasse")
    for path in CASH_PAGES:
        assert page.goto(path).status == 200, path
        assert_clean(page, path)


def test_broken_statement_is_refused_accessibly(page):
    log_in(page, "kasse", "koeln-kasse")
    upload_statement(page, b"<?xml version='1.0'?><Document><BkToCstmrStmt>", "kaputt.xml")
    assert page.locator(".error-summary").is_visible()
    assert page.url.endswith("/kasse/kontoauszuege/")
    assert_clean(page, "statement upload refused")


def test_statement_detail_and_credits_to_clear(page):
    log_in(page, "kasse", "koeln-kasse")
    upload_statement(page, statement_bytes(), "e2e-a11y.xml")
    assert re.search(r"/kasse/kontoauszuege/\d+/$", page.url), page.url
    assert page.locator("table").is_visible()
    assert_clean(page, "statement detail")

    page.goto("/kasse/eingaenge/")
    assert page.locator("table").is_visible()
    assert_clean(page, "credits to clear")
    page.get_by_role("link", name=re.compile("47,11")).click()
    page.wait_for_load_state()
    assert_clean(page, "one credit to clear")


# -- keyboard -----------------------------------------------------------------------------


def tab_to(page, selector: str, *, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} is not reachable by Tab")


def test_lookup_by_keyboard_alone(page):
    page.goto("/bezahlen/")
    tab_to(page, "input[name=code]")
    page.keyboard.type(OPEN_CODE)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "amount"
    page.keyboard.type("120,00")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/bezahlen/kassenzeichen/542026100375/")
    assert page.get_by_role("heading", name=re.compile("Bauaufsicht")).is_visible()


FOCUS_STYLE = """(el) => {
  const s = getComputedStyle(el);
  return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor,
          shadow: s.boxShadow};
}"""


def assert_visible_focus(page, locator, *, selector: str) -> None:
    """Tab from the top of the content to ``selector`` (which must be ``locator``); its
    outline or box shadow must change and be visible."""
    unfocused = locator.evaluate(FOCUS_STYLE)
    page.locator("h1").click()  # start tabbing from the top of the content
    tab_to(page, selector)
    assert locator.evaluate("(el) => el === document.activeElement")
    focused = locator.evaluate(FOCUS_STYLE)
    assert focused != unfocused, focused
    transparent = focused["color"] == "transparent" or focused["color"].endswith(", 0)")
    outline = focused["style"] != "none" and focused["width"] >= 2 and not transparent
    assert outline or focused["shadow"] != "none", focused


def test_pay_button_is_reached_by_tab_with_a_visible_focus(page):
    unlock(page)
    button = page.get_by_role("button", name=re.compile("online bezahlen"))
    assert_visible_focus(page, button, selector="main form[method=post] button[type=submit]")


def test_payments_table_scrolls_by_keyboard_at_320px(page):
    a_cancelled_payment(page)
    page.set_viewport_size(NARROW)
    region = page.get_by_role("region", name="Zahlungen zu diesem Kassenzeichen")
    assert_visible_focus(page, region, selector=".kern-table-responsive")
    page.keyboard.press("ArrowRight")
    # (the CSP forbids eval, so no wait_for_function: poll instead)
    for _ in range(20):
        if page.evaluate("document.activeElement.scrollLeft") > 0:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("document.activeElement.scrollLeft") > 0, "ArrowRight did not scroll"


# -- reflow (WCAG 1.4.10) -----------------------------------------------------------------


@pytest.fixture
def narrow_page(browser, portal_url):
    context = browser.new_context(base_url=portal_url, locale="de-DE", viewport=NARROW)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    page.console_errors = errors
    yield page
    context.close()


def test_reference_page_reflows_at_320px(narrow_page):
    unlock(narrow_page)
    assert narrow_page.locator("svg.girocode").is_visible()
    assert narrow_page.get_by_text("Verwendungszweck").first.is_visible()
    overflow = sideways_overflow(narrow_page)
    assert overflow <= 0, f"Kassenzeichen page scrolls sideways by {overflow}px"
    assert_clean(narrow_page, "Kassenzeichen page at 320px")


def test_cash_payments_reflow_at_320px(narrow_page):
    a_cancelled_payment(narrow_page)
    log_in(narrow_page, "kasse", "koeln-kasse")
    narrow_page.goto("/kasse/zahlungen/")
    assert narrow_page.locator(".kern-table-responsive table").is_visible()
    overflow = sideways_overflow(narrow_page)
    assert overflow <= 0, f"/kasse/zahlungen/ scrolls sideways by {overflow}px"
    assert_clean(narrow_page, "/kasse/zahlungen/ at 320px")
