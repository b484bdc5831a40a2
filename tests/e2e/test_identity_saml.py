"""Logging in by SAML in a real browser: the portal's signed AuthnRequest goes to the
development IdP (auto-submitted by a static script), the citizen picks a test person and
a trust level there, and the signed, encrypted answer comes back and logs them in. Both
the dev IdP's page and the refusal page pass axe-core."""

from __future__ import annotations

import pytest

from tests.e2e.test_journey_dog_registration import assert_accessible

pytestmark = pytest.mark.e2e


def test_login_via_the_development_idp_and_a_refusal(page):
    page.goto("/auth/saml/login/?next=/leistungen/&niveau=substantial&idp=dev")
    page.wait_for_url("**/entwicklung/idp/anmelden/**")
    assert page.get_by_text("Nur für Entwicklung und Demo – keine echte Anmeldung").is_visible()
    assert_accessible(page, "dev IdP page")

    page.get_by_label("Anna Schmitz", exact=False).check()
    page.get_by_label("substanziell", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/leistungen/")
    assert page.get_by_role("button", name="Abmelden").is_visible()

    # Asking for "high" and getting "low" is refused, with a page that says what to do.
    page.goto("/auth/saml/login/?next=/leistungen/&niveau=high&idp=dev")
    page.wait_for_url("**/entwicklung/idp/anmelden/**")
    page.get_by_label("Anna Schmitz", exact=False).check()
    page.get_by_label("niedrig", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/auth/saml/acs/fertig/**")
    assert page.get_by_role("heading", name="Anmeldung nicht möglich").is_visible()
    assert page.get_by_text("Das Vertrauensniveau Ihrer Anmeldung reicht").is_visible()
    assert_accessible(page, "refusal page")
    assert page.console_errors == []


def test_the_dev_idp_page_works_without_javascript(browser, portal_url):
    context = browser.new_context(base_url=portal_url, locale="de-DE", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/auth/saml/login/?next=/leistungen/&niveau=low&idp=dev")
        page.get_by_role("button", name="Weiter").click()
        page.get_by_label("Jonas Becker", exact=False).check()
        page.get_by_label("hoch", exact=False).check()
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("button", name="Weiter").click()
        page.wait_for_url("**/leistungen/")
        assert page.get_by_role("button", name="Abmelden").is_visible()
    finally:
        context.close()
