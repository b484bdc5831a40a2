"""OpenID Connect login in a real browser: the portal (its own process, configured with one
provider) and the stand-in provider (a thread of this test process, signing real JWTs);
chromium follows every redirect itself. The refusal page is checked with axe-core and
left by keyboard."""

from __future__ import annotations

import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from buergerbuero.core.portal_process import running_portal
from buergerbuero.identity.testing.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcStandIn

from .conftest import prepare_demo_database

pytestmark = pytest.mark.e2e

axe = Axe()
RULESETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture(scope="module")
def oidc_portal(tmp_path_factory):
    """(portal URL, stand-in provider): a portal whose login offers the stand-in."""
    workdir = tmp_path_factory.mktemp("portal-oidc")
    with OidcStandIn() as provider:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base",
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "MEDIA_ROOT": str(workdir / "media"),
            "PRIVATE_ROOT": str(workdir / "private"),
            "DEMO_MODE": "true",
            "OIDC_PROVIDERS": "stadt",
            "OIDC_STADT_ISSUER": provider.issuer,
            "OIDC_STADT_CLIENT_ID": CLIENT_ID,
            "OIDC_STADT_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_STADT_LEVEL_MAP": "0=low,1=low,substantial=substantial,high=high",
            "OIDC_STADT_MAX_LEVEL": "substantial",
        }
        env.pop("REDIS_URL", None)
        prepare_demo_database(env)
        with running_portal(env, log_path=workdir / "server.log", with_worker=False) as (url, _):
            provider.redirect_uris = {f"{url}/anmelden/oidc/stadt/rueckkehr/"}
            yield url, provider


@pytest.fixture
def oidc_page(browser, oidc_portal):
    url, _provider = oidc_portal
    context = browser.new_context(base_url=url, locale="de-DE")
    yield context.new_page()
    context.close()


def test_a_citizen_logs_in_with_the_city_account_and_lands_where_they_were(oidc_page, oidc_portal):
    _url, provider = oidc_portal
    provider.fault, provider.acr = None, "substantial"

    oidc_page.goto("/anmelden/oidc/stadt/?next=/leistungen/&niveau=substantial")

    oidc_page.wait_for_url(re.compile(r"/leistungen/$"))
    assert oidc_page.get_by_role("link", name="Mein Bürgerbüro").is_visible()


def test_a_too_low_level_is_explained_accessibly_and_the_way_back_works_by_keyboard(
    oidc_page, oidc_portal
):
    _url, provider = oidc_portal
    provider.fault, provider.acr = None, "1"

    oidc_page.goto("/anmelden/oidc/stadt/?next=/leistungen/&niveau=substantial")

    oidc_page.wait_for_url(re.compile(r"/anmelden/oidc/stadt/rueckkehr/"))
    assert oidc_page.get_by_role("heading", name="Anmeldung nicht möglich").is_visible()
    assert oidc_page.get_by_role("alert").filter(has_text="Vertrauensniveau").is_visible()
    results = axe.run(oidc_page, options={"runOnly": {"type": "tag", "values": RULESETS}})
    assert not results.response["violations"], results.generate_report()

    back = oidc_page.get_by_role("link", name="Zurück zur Anmeldung")
    back.focus()
    oidc_page.keyboard.press("Enter")
    oidc_page.wait_for_url(re.compile(r"/anmelden/\?next=%2Fleistungen%2F&niveau=substantial$"))


def test_a_forged_token_is_refused_in_the_browser_too(oidc_page, oidc_portal):
    _url, provider = oidc_portal
    provider.fault = "wrong_key"
    try:
        oidc_page.goto("/anmelden/oidc/stadt/?next=/leistungen/")
    finally:
        provider.fault = None

    assert oidc_page.get_by_text("konnte nicht als echt und aktuell bestätigt werden").is_visible()
    assert oidc_page.get_by_role("link", name="Anmelden", exact=True).is_visible()
