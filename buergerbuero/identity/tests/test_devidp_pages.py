"""The development IdP: its pages (demo mode only), its login options, its system check."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.checks import Error
from django.test import Client
from lxml import etree

from buergerbuero.identity.devidp.checks import dev_idp_only_in_demo
from buergerbuero.identity.devidp.testing import authn_request_xml, posted_fields
from buergerbuero.identity.login_options import login_options
from buergerbuero.identity.models import ExternalIdentity
from buergerbuero.identity.trust import TrustLevel

pytestmark = pytest.mark.django_db


def to_idp_page(browser: Client, *, level: str = "substantial", next_url: str = "/leistungen/"):
    start = browser.get(f"/auth/saml/login/?next={next_url}&niveau={level}&idp=dev")
    action, fields = posted_fields(start)
    handed = browser.post(action, fields)
    assert handed.status_code == 303
    return handed["Location"]


def test_citizen_logs_in_on_the_dev_idp_page():
    browser = Client()
    page_url = to_idp_page(browser)
    page = browser.get(page_url)
    body = page.content.decode()
    assert "Nur für Entwicklung und Demo – keine echte Anmeldung" in body
    assert "Mehmet Yılmaz" in body and "Anna Schmitz" in body and "Jonas Becker" in body
    assert "substanziell" in body  # what the portal asked for

    back = browser.post(page_url, {"person": "gast", "level": "high", "aktion": "anmelden"})

    action, fields = posted_fields(back)
    assert action == "/auth/saml/acs/"
    assert set(fields) == {"SAMLResponse"}
    assert "Weiter" in back.content.decode()
    parked = Client().post(action, fields)  # cross-site: no cookie
    finish = browser.get(parked["Location"])
    assert finish.status_code == 303 and finish["Location"] == "/leistungen/"
    assert ExternalIdentity.objects.get(subject__contains="jonas-becker").last_level == "high"


def test_the_form_says_what_is_missing_and_keeps_the_choice():
    browser = Client()
    page_url = to_idp_page(browser)
    page = browser.post(page_url, {"level": "low", "aktion": "anmelden"})
    body = page.content.decode()
    assert page.status_code == 400
    assert "Bitte wählen Sie eine Testperson." in body
    assert re.search(r'<input type="radio" name="level" value="low"[^>]* checked>', body)


def test_cancel_on_the_dev_idp_page_returns_with_a_friendly_page():
    browser = Client()
    page_url = to_idp_page(browser, next_url="/leistungen/hund-anmelden/")
    back = browser.post(page_url, {"aktion": "abbrechen"})
    action, fields = posted_fields(back)
    finish = browser.get(Client().post(action, fields)["Location"])
    assert finish.status_code == 200
    assert "Die Anmeldung wurde abgebrochen." in finish.content.decode()
    assert browser.get(page_url).status_code == 404  # the request was answered


def test_an_unsigned_authn_request_is_refused():
    browser = Client()
    xml = authn_request_xml(browser)
    root = etree.fromstring(xml.encode())
    root.remove(root.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    unsigned = base64.b64encode(etree.tostring(root)).decode()
    refused = browser.post("/entwicklung/idp/sso/", {"SAMLRequest": unsigned})
    assert refused.status_code == 400
    assert "nicht angenommen" in refused.content.decode()


def test_dev_idp_is_not_there_without_demo_mode(settings):
    settings.DEMO_MODE = False
    for url in ("/entwicklung/idp/metadata/", "/entwicklung/idp/anmelden/x/"):
        assert Client().get(url).status_code == 404
    assert Client().post("/entwicklung/idp/sso/", {"SAMLRequest": "x"}).status_code == 404
    assert Client().get("/auth/saml/login/?idp=dev").status_code == 404
    assert [o.key for o in login_options(next_url="/", level="high")] == []


def test_dev_idp_can_be_switched_off_in_demo_mode(settings):
    settings.SAML_DEV_IDP = "false"
    assert Client().get("/entwicklung/idp/metadata/").status_code == 404
    assert [o for o in login_options(next_url="/", level="low") if o.demo] == []


def test_system_check_refuses_the_dev_idp_without_demo_mode(settings):
    settings.DEMO_MODE = False
    settings.SAML_DEV_IDP = "true"
    errors = dev_idp_only_in_demo(None)
    assert [type(e) for e in errors] == [Error] and errors[0].id == "identity.E101"
    settings.SAML_DEV_IDP = ""
    assert dev_idp_only_in_demo(None) == []
    settings.DEMO_MODE, settings.SAML_DEV_IDP = True, "true"
    assert dev_idp_only_in_demo(None) == []


def test_login_options_in_demo_mode():
    options = login_options(next_url="/leistungen/hund-anmelden/", level=TrustLevel.SUBSTANTIAL)
    dev = [o for o in options if o.key == "dev-idp"]
    assert len(dev) == 1 and dev[0].demo and dev[0].max_level == TrustLevel.HIGH
    assert dev[0].label == "Test-Anmeldung (Entwicklungs-IdP)"
    assert dev[0].url == (
        "/auth/saml/login/?next=%2Fleistungen%2Fhund-anmelden%2F&niveau=substantial&idp=dev"
    )
    assert not [o for o in options if o.key == "bundid"]  # BundID is not set up


def test_bundid_option_when_configured(settings, tmp_path):
    settings.SAML_BUNDID_ENVIRONMENT = "test"
    settings.SAML_IDP_METADATA = str(tmp_path / "bundid-metadata.xml")
    options = {o.key: o for o in login_options(next_url="/", level=TrustLevel.HIGH)}
    assert options["bundid"].label == "Mit BundID anmelden"
    assert options["bundid"].max_level == TrustLevel.HIGH and not options["bundid"].demo
    assert options["bundid"].url.endswith("niveau=high&idp=bundid")
    settings.SAML_SHOW_BUNDID = False
    assert "bundid" not in {o.key for o in login_options(next_url="/", level=TrustLevel.HIGH)}


def test_dev_idp_metadata_is_served_in_demo_mode():
    response = Client().get("/entwicklung/idp/metadata/")
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    idp = root.find(f"{{{md}}}IDPSSODescriptor")
    assert idp.get("WantAuthnRequestsSigned") == "true"
