"""BundID login over SAML, end to end through Django's test client against the development
IdP: real signatures and encryption by Debian's xmlsec1, real key pairs, no mocks.

The IdP's answer reaches the ACS as a cross-site POST *without* the session cookie (as
SameSite=Lax browsers send it); the login finishes on the same-site GET after it.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import subprocess

import pytest
from django.test import Client
from lxml import etree

from buergerbuero.identity.devidp.idp import Faults, authn_response, cancel_response
from buergerbuero.identity.devidp.persons import TEST_PERSONS
from buergerbuero.identity.devidp.testing import (
    authn_request_xml,
    posted_fields,
    saml_answer_deliver,
    saml_login_start,
)
from buergerbuero.identity.models import ExternalIdentity, SeenAssertion
from buergerbuero.identity.saml import akdb
from buergerbuero.identity.saml.keys import key_pair
from buergerbuero.identity.saml.replay import seen_assertions_purge
from buergerbuero.identity.trust import LoginMethod, TrustLevel, session_identity

pytestmark = pytest.mark.django_db

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture
def identity_log(caplog):
    """caplog for the identity logger ("buergerbuero" does not propagate to the root)."""
    logger = logging.getLogger("buergerbuero.identity")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="buergerbuero.identity"):
            yield caplog
    finally:
        logger.removeHandler(caplog.handler)


@pytest.fixture
def service_id(settings):
    settings.SAML_ONLINE_SERVICE_ID = "KOELN-BB-4711"
    return settings.SAML_ONLINE_SERVICE_ID


def logged_in_identity(browser: Client):
    request = type("R", (), {})()
    response = browser.get("/")
    request.user = response.wsgi_request.user
    request.session = response.wsgi_request.session
    return session_identity(request)


def test_round_trip_logs_in_at_the_delivered_level_and_returns_to_next(service_id, tmp_path):
    browser = Client()
    xml = authn_request_xml(browser, next="/leistungen/hund-anmelden/", niveau="substantial")

    # The AuthnRequest: signed (checked here by xmlsec1 itself, against the SP's
    # certificate), with BundID's extension, Version 2, and the minimum level.
    request_file = tmp_path / "authn-request.xml"
    request_file.write_text(xml)
    verified = subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--pubkey-cert-pem",
            str(key_pair("sp-signing").cert),
            "--id-attr:ID",
            f"{SAMLP}:AuthnRequest",
            str(request_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    root = etree.fromstring(xml.encode())
    extension = root.find(f"{{{SAMLP}}}Extensions/{{{akdb.AKDB}}}AuthenticationRequest")
    assert extension.get("Version") == "2"
    requested = {
        element.get("Name"): element.get("RequiredAttribute")
        for element in extension.iter(f"{{{akdb.AKDB}}}RequestedAttribute")
    }
    assert requested[akdb.BPK2] == "true"
    assert {akdb.GIVEN_NAME, akdb.SURNAME, akdb.BIRTH_DATE, akdb.POSTAL_ADDRESS} <= set(requested)
    assert {akdb.EMAIL, akdb.POSTKORB_HANDLE} <= set(requested)
    ui = extension.find(f"{{{akdb.AKDB}}}DisplayInformation/{{{akdb.CLASSIC_UI}}}Version")
    assert ui.findtext(f"{{{akdb.CLASSIC_UI}}}OnlineServiceId") == "KOELN-BB-4711"
    assert ui.findtext(f"{{{akdb.CLASSIC_UI}}}OrganizationDisplayName") == "Stadt Köln"
    context = root.find(f"{{{SAMLP}}}RequestedAuthnContext")
    assert context.get("Comparison") == "minimum"
    assert context.findtext(f"{{{SAML}}}AuthnContextClassRef") == "STORK-QAA-Level-3"

    # The IdP answers for Anna at level substantial; the ACS gets it without cookies.
    seen = saml_login_start(browser, next_url="/leistungen/hund-anmelden/", level="substantial")
    assert seen.requested_level == TrustLevel.SUBSTANTIAL
    assert seen.online_service_id == "KOELN-BB-4711" and seen.akdb_version == "2"
    anna = TEST_PERSONS["anna"]
    answer = authn_response(seen, anna, TrustLevel.SUBSTANTIAL)
    assert "EncryptedAssertion" in answer.xml and "xmlenc11#aes256-gcm" in answer.xml
    assert "Manipuliert" not in answer.xml and anna.bpk2 not in answer.xml  # encrypted
    finish = saml_answer_deliver(browser, answer)

    assert finish.status_code == 303
    assert finish["Location"] == "/leistungen/hund-anmelden/"
    identity = logged_in_identity(browser)
    assert identity.level == TrustLevel.SUBSTANTIAL
    assert identity.method == LoginMethod.DEV_IDP
    assert identity.attribute_levels["given_name"] == "substantial"
    assert identity.attribute_levels["email"] == "low"
    external = ExternalIdentity.objects.get(subject=anna.bpk2)
    assert external.method == LoginMethod.DEV_IDP
    assert external.last_level == TrustLevel.SUBSTANTIAL
    assert external.has_inbox is True
    user = external.user
    assert (user.first_name, user.last_name) == ("Anna", "Schmitz")
    assert user.birth_date == dt.date(1992, 11, 3)
    assert (user.street, user.postcode, user.city) == ("Aachener Straße 45", "50674", "Köln")
    assert user.email == "anna.schmitz@example.org"


def test_login_page_posts_on_with_a_static_script_and_a_button_without_javascript():
    response = Client().get("/auth/saml/login/?next=/&niveau=high&idp=dev")
    body = response.content.decode()
    action, fields = posted_fields(response)
    assert action == "/entwicklung/idp/sso/"
    assert set(fields) == {"SAMLRequest"}
    assert '<button type="submit"' in body and "Weiter" in body
    assert "<script>" not in body and "identity/autosubmit.js" in body


def test_the_same_person_logs_in_again_to_the_same_account():
    first, second = Client(), Client()
    for browser in (first, second):
        seen = saml_login_start(browser, level="low")
        saml_answer_deliver(browser, authn_response(seen, TEST_PERSONS["anna"], TrustLevel.HIGH))
    assert ExternalIdentity.objects.filter(subject=TEST_PERSONS["anna"].bpk2).count() == 1
    assert logged_in_identity(first).level == logged_in_identity(second).level == TrustLevel.HIGH


def test_guest_without_postbox_logs_in_without_inbox():
    browser = Client()
    seen = saml_login_start(browser, level="high")
    finish = saml_answer_deliver(browser, authn_response(seen, TEST_PERSONS["gast"], "high"))
    assert finish.status_code == 303
    external = ExternalIdentity.objects.get(subject=TEST_PERSONS["gast"].bpk2)
    assert external.has_inbox is False
    assert external.user.email == ""


def test_logged_in_citizen_links_bundid_to_their_account():
    browser = Client()
    assert browser.login(username="buerger", password="koeln-buerger")
    seen = saml_login_start(browser, level="high")
    finish = saml_answer_deliver(browser, authn_response(seen, TEST_PERSONS["mehmet"], "high"))
    # Linking waits for the person's yes: someone else may have left "buerger" logged in.
    assert finish["Location"].startswith("/anmelden/verknuepfen/")
    assert not ExternalIdentity.objects.filter(subject=TEST_PERSONS["mehmet"].bpk2).exists()
    page = browser.get(finish["Location"]).content.decode()
    assert "Nur verknüpfen, wenn beides Ihres ist" in page
    browser.post(finish["Location"], {"aktion": "verknuepfen", "next": "/mein-buergerbuero/"})
    external = ExternalIdentity.objects.get(subject=TEST_PERSONS["mehmet"].bpk2)
    assert external.user.username == "buerger"
    assert logged_in_identity(browser).level == TrustLevel.HIGH


def test_someone_else_left_logged_in_goes_on_alone_instead_of_linking():
    browser = Client()
    assert browser.login(username="buerger", password="koeln-buerger")
    seen = saml_login_start(browser, level="substantial")
    finish = saml_answer_deliver(browser, authn_response(seen, TEST_PERSONS["anna"], "substantial"))
    browser.post(finish["Location"], {"aktion": "allein"})
    external = ExternalIdentity.objects.get(subject=TEST_PERSONS["anna"].bpk2)
    assert external.user.username != "buerger"  # her own account, buerger's untouched
    assert int(browser.session["_auth_user_id"]) == external.user_id


def test_next_pointing_elsewhere_lands_in_my_office():
    browser = Client()
    seen = saml_login_start(browser, next_url="https://evil.example/steal", level="low")
    finish = saml_answer_deliver(browser, authn_response(seen, TEST_PERSONS["anna"], "low"))
    assert finish["Location"] == "/mein-buergerbuero/"


REFUSALS = [
    pytest.param(
        "substantial",
        "substantial",
        Faults(tamper=True),
        "signature",
        "keine gültige Signatur",
        id="tampered-signature",
    ),
    pytest.param(
        "substantial", "substantial", Faults(expired=True), "expired", "abgelaufen", id="expired"
    ),
    pytest.param(
        "substantial",
        "substantial",
        Faults(audience="https://andere-stadt.example/saml/metadata/"),
        "audience",
        "für einen anderen Dienst bestimmt",
        id="wrong-audience",
    ),
    pytest.param(
        "substantial",
        "low",
        Faults(),
        "level",
        "Vertrauensniveau Ihrer Anmeldung reicht für diesen Dienst nicht aus",
        id="level-too-low",
    ),
    pytest.param(
        "high",
        "high",
        Faults(attribute_level=TrustLevel.SUBSTANTIAL),
        "attribute_level",
        "nicht ausreichend geprüft",
        id="attribute-level-too-low",
    ),
    pytest.param(
        "low",
        "low",
        Faults(in_response_to="_a-request-of-someone-else"),
        "unsolicited",
        "keine Anfrage aus diesem Browser",
        id="wrong-in-response-to",
    ),
]


@pytest.mark.parametrize(("requested", "delivered", "faults", "code", "text"), REFUSALS)
def test_bad_answers_are_refused_with_a_clear_page_and_a_log_line(
    identity_log, requested, delivered, faults, code, text
):
    browser = Client()
    seen = saml_login_start(browser, next_url="/leistungen/hund-anmelden/", level=requested)
    answer = authn_response(seen, TEST_PERSONS["anna"], delivered, faults)

    page = saml_answer_deliver(browser, answer)

    assert page.status_code == 400
    body = page.content.decode()
    assert "Anmeldung nicht möglich" in body and text in body
    assert "Erneut anmelden" in body and 'href="/leistungen/hund-anmelden/"' in body
    assert logged_in_identity(browser) is None
    assert not ExternalIdentity.objects.filter(subject=TEST_PERSONS["anna"].bpk2).exists()
    refusals = [r for r in identity_log.records if "saml login refused" in r.getMessage()]
    assert {r.getMessage().split(" detail=")[0] for r in refusals} == {
        f"saml login refused: reason={code}"
    }
    assert refusals[0].levelno == logging.WARNING
    assert "Anna" not in refusals[0].getMessage() and "Schmitz" not in refusals[0].getMessage()


def test_a_replayed_assertion_is_refused(identity_log):
    browser = Client()
    seen = saml_login_start(browser, level="low")
    answer = authn_response(seen, TEST_PERSONS["anna"], "substantial")
    assert saml_answer_deliver(browser, answer).status_code == 303
    assert SeenAssertion.objects.count() == 1

    again = saml_answer_deliver(browser, answer)

    assert again.status_code == 400
    assert "Diese Anmeldung wurde bereits verwendet" in again.content.decode()
    assert any("reason=replay" in r.getMessage() for r in identity_log.records)


def test_a_replay_in_another_browser_is_refused_as_unsolicited(identity_log):
    browser = Client()
    seen = saml_login_start(browser, level="low")
    answer = authn_response(seen, TEST_PERSONS["anna"], "substantial")
    saml_answer_deliver(browser, answer)

    thief = Client()
    thief.get("/")
    page = saml_answer_deliver(thief, answer)

    assert page.status_code == 400
    assert logged_in_identity(thief) is None
    assert any("reason=unsolicited" in r.getMessage() for r in identity_log.records)


def test_the_parked_response_is_fetched_once():
    browser = Client()
    seen = saml_login_start(browser, level="low")
    answer = authn_response(seen, TEST_PERSONS["anna"], "low")
    parked = Client().post(answer.path, answer.form())
    assert browser.get(parked["Location"]).status_code == 303
    page = browser.get(parked["Location"])
    assert page.status_code == 400
    assert "keine Antwort des Anmeldedienstes erhalten" in page.content.decode()


def test_the_acs_post_alone_logs_nobody_in():
    browser = Client()
    seen = saml_login_start(browser, level="low")
    answer = authn_response(seen, TEST_PERSONS["anna"], "low")
    parked = browser.post(answer.path, answer.form())
    assert parked.status_code == 303 and parked["Location"].startswith("/auth/saml/acs/fertig/")
    assert logged_in_identity(browser) is None


def test_cancelled_at_the_idp_shows_a_friendly_way_back(identity_log):
    browser = Client()
    seen = saml_login_start(browser, next_url="/leistungen/hund-anmelden/", level="high")
    page = saml_answer_deliver(browser, cancel_response(seen))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Die Anmeldung wurde abgebrochen" in body
    assert 'href="/leistungen/hund-anmelden/"' in body
    assert "niveau=high" in body  # "Erneut anmelden" asks for the same level again
    assert any("reason=cancelled" in r.getMessage() for r in identity_log.records)


def test_garbage_at_the_acs_is_refused(identity_log):
    browser = Client()
    saml_login_start(browser, level="low")
    parked = Client().post(
        "/auth/saml/acs/", {"SAMLResponse": base64.b64encode(b"<nope/>").decode()}
    )
    page = browser.get(parked["Location"])
    assert page.status_code == 400
    assert "Anmeldung nicht möglich" in page.content.decode()


def test_one_address_cannot_flood_the_acs(identity_log):
    flood = Client(REMOTE_ADDR="203.0.113.9")
    junk = {"SAMLResponse": base64.b64encode(b"<nope/>" * 100).decode()}
    statuses = [flood.post("/auth/saml/acs/", junk).status_code for _ in range(31)]
    assert statuses[:30] == [303] * 30
    assert statuses[30] == 429
    last = flood.post("/auth/saml/acs/", junk)
    assert "sehr viele Anmeldeantworten" in last.content.decode()
    assert any("reason=too_many" in r.getMessage() for r in identity_log.records)
    # A citizen at another address is not affected.
    assert Client(REMOTE_ADDR="198.51.100.7").post("/auth/saml/acs/", junk).status_code == 303


def test_metadata_describes_the_service_provider():
    response = Client().get("/auth/saml/metadata/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    root = etree.fromstring(response.content)
    assert root.get("entityID") == "http://127.0.0.1:8000/auth/saml/metadata/"
    sp = root.find(f"{{{MD}}}SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true"
    assert sp.get("WantAssertionsSigned") == "true"
    acs = sp.findall(f"{{{MD}}}AssertionConsumerService")
    assert [(a.get("Binding"), a.get("Location")) for a in acs] == [
        (
            "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            "http://127.0.0.1:8000/auth/saml/acs/",
        )
    ]
    slo = {s.get("Binding"): s.get("Location") for s in sp.findall(f"{{{MD}}}SingleLogoutService")}
    assert slo["urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"].endswith("/auth/saml/slo/")
    certs = {
        kd.get("use"): kd.findtext(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
        for kd in sp.findall(f"{{{MD}}}KeyDescriptor")
    }
    assert certs["signing"].split() == [key_pair("sp-signing").cert_base64()]
    assert certs["encryption"].split() == [key_pair("sp-encryption").cert_base64()]
    assert certs["signing"] != certs["encryption"]


def test_expired_replay_cache_rows_are_purged():
    now = dt.datetime.now(dt.UTC)
    SeenAssertion.objects.create(assertion_id="_old", issuer="x", expires_at=now - dt.timedelta(1))
    SeenAssertion.objects.create(assertion_id="_new", issuer="x", expires_at=now + dt.timedelta(1))
    assert seen_assertions_purge() == 1
    assert list(SeenAssertion.objects.values_list("assertion_id", flat=True)) == ["_new"]


def test_a_logged_in_staff_account_is_not_linked_to_a_citizen_login():
    browser = Client()
    assert browser.login(username="becker", password="koeln-becker")
    seen = saml_login_start(browser, level="low")
    page = saml_answer_deliver(browser, authn_response(seen, TEST_PERSONS["anna"], "low"))
    assert page.status_code == 400
    assert "Dienstkonten der Verwaltung" in page.content.decode()
