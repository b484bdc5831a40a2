"""Driving a SAML login through Django's test client, the development IdP answering.

::

    browser = Client()
    seen = saml_login_start(browser, next_url="/leistungen/", level="substantial")
    answer = authn_response(seen, TEST_PERSONS["anna"], TrustLevel.HIGH, Faults(expired=True))
    finish = saml_answer_deliver(browser, answer)   # cross-site POST without cookie, then GET
"""

from __future__ import annotations

import base64
import html
import re
from urllib.parse import urlencode

from django.test import Client

from .idp import Answer, AuthnRequestSeen, authn_request_read

_FIELD = re.compile(r'name="(SAMLRequest|SAMLResponse|RelayState)" value="([^"]*)"')
_ACTION = re.compile(r'<form method="post" action="([^"]*)" data-autosubmit')


def posted_fields(response) -> tuple[str, dict[str, str]]:
    """The action and fields of an auto-submitting HTTP-POST binding page."""
    body = response.content.decode("utf-8")
    action = html.unescape(_ACTION.search(body).group(1))
    return action, {name: html.unescape(value) for name, value in _FIELD.findall(body)}


def saml_login_start(
    browser: Client, *, next_url: str = "/", level: str = "low", idp: str = "dev"
) -> AuthnRequestSeen:
    """GET the SP's login URL and hand the AuthnRequest to the dev IdP (signature checked)."""
    query = urlencode({"next": next_url, "niveau": level, "idp": idp})
    response = browser.get(f"/auth/saml/login/?{query}")
    assert response.status_code == 200, response.status_code
    _action, fields = posted_fields(response)
    return authn_request_read(fields["SAMLRequest"], relay_state=fields.get("RelayState", ""))


def authn_request_xml(browser: Client, **kwargs) -> str:
    query = urlencode({"next": "/", "niveau": "low", "idp": "dev", **kwargs})
    _action, fields = posted_fields(browser.get(f"/auth/saml/login/?{query}"))
    return base64.b64decode(fields["SAMLRequest"]).decode("utf-8")


def saml_answer_deliver(browser: Client, answer: Answer):
    """Post the answer as the IdP's page would: cross-site, so without the session cookie,
    then follow the 303 with the browser's session. Returns the final response."""
    stranger = Client()  # no cookies: SameSite=Lax keeps them off a cross-site POST
    parked = stranger.post(answer.path, answer.form())
    assert parked.status_code == 303, parked.status_code
    return browser.get(parked["Location"])
