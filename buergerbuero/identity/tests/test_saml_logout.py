"""Single logout over SAML: started here (the logout button) and started at the IdP."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from lxml import etree

from buergerbuero.identity.devidp.idp import authn_response, logout_request_create
from buergerbuero.identity.devidp.persons import TEST_PERSONS
from buergerbuero.identity.devidp.testing import saml_answer_deliver, saml_login_start
from buergerbuero.identity.saml.sso import SESSION_LOGIN

pytestmark = pytest.mark.django_db


def logged_in(browser: Client) -> bool:
    return browser.get("/").wsgi_request.user.is_authenticated


def saml_logged_in_browser() -> Client:
    browser = Client()
    seen = saml_login_start(browser, level="substantial")
    saml_answer_deliver(browser, authn_response(seen, TEST_PERSONS["anna"], "substantial"))
    assert logged_in(browser)
    return browser


def test_logout_here_also_ends_the_session_at_the_idp():
    browser = saml_logged_in_browser()
    login = browser.session[SESSION_LOGIN]
    assert login["name_id"] and login["session_index"]

    to_idp = browser.post("/auth/saml/logout/", {"next": "/leistungen/"})

    assert to_idp.status_code == 303
    assert not logged_in(browser)  # logged out here at once, whatever the IdP does
    location = urlsplit(to_idp["Location"])
    assert location.path == "/entwicklung/idp/slo/"
    query = parse_qs(location.query)
    assert {"SAMLRequest", "SigAlg", "Signature"} <= set(query)  # signed redirect binding
    back = browser.get(to_idp["Location"])  # the IdP checks the signature and answers
    assert back.status_code == 303 and urlsplit(back["Location"]).path == "/auth/saml/slo/"
    done = browser.get(back["Location"], follow=True)
    assert done.redirect_chain[-1][0] == "/leistungen/"
    assert "Sie sind abgemeldet." in done.content.decode()


def test_the_idp_refuses_a_logout_request_with_a_broken_signature():
    browser = saml_logged_in_browser()
    to_idp = browser.post("/auth/saml/logout/", {"next": "/"})
    broken = re.sub(r"Signature=[^&]+", "Signature=AAAA", to_idp["Location"])
    assert browser.get(broken).status_code == 400


def test_logout_at_the_idp_ends_the_session_here():
    browser = saml_logged_in_browser()
    login = browser.session[SESSION_LOGIN]
    request = logout_request_create(
        sp_entity_id="http://127.0.0.1:8000/auth/saml/metadata/",
        name_id=login["name_id"].rpartition("4=")[2],
        session_index=login["session_index"],
    )

    # Cross-site POST from the IdP's page: no session cookie comes along.
    answer = Client().post(request.path, request.form())

    assert answer.status_code == 303
    assert urlsplit(answer["Location"]).path == "/entwicklung/idp/slo/"
    assert "SAMLResponse" in parse_qs(urlsplit(answer["Location"]).query)
    assert not logged_in(browser)


def test_an_unsigned_logout_request_from_the_idp_is_refused():
    browser = saml_logged_in_browser()
    login = browser.session[SESSION_LOGIN]
    request = logout_request_create(
        sp_entity_id="http://127.0.0.1:8000/auth/saml/metadata/",
        name_id=login["name_id"].rpartition("4=")[2],
        session_index=login["session_index"],
    )
    root = etree.fromstring(request.xml.encode())
    root.remove(root.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    unsigned = etree.tostring(root, encoding="unicode")

    answer = Client().post(
        request.path, {"SAMLRequest": base64.b64encode(unsigned.encode()).decode()}
    )

    assert answer.status_code == 400
    assert logged_in(browser)


def test_logout_of_a_local_login_needs_no_idp():
    browser = Client()
    browser.login(username="buerger", password="koeln-buerger")
    response = browser.post("/auth/saml/logout/", {"next": "/leistungen/"})
    assert response.status_code == 303 and response["Location"] == "/leistungen/"
    assert not logged_in(browser)
