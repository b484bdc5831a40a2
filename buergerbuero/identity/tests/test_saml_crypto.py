"""What Debian's xmlsec1 can do, and the route for RSASSA-PSS beside it
(docs/decisions/0007-saml-and-xmlsec.md)."""

from __future__ import annotations

import base64
import logging
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.test import Client
from lxml import etree

from buergerbuero.identity.devidp.idp import Faults, authn_response, devidp_config
from buergerbuero.identity.devidp.persons import TEST_PERSONS
from buergerbuero.identity.devidp.testing import (
    authn_request_xml,
    saml_answer_deliver,
    saml_login_start,
)
from buergerbuero.identity.saml.crypto import SIG_RSA_PSS_SHA256
from buergerbuero.identity.trust import TrustLevel

DS = "http://www.w3.org/2000/09/xmldsig#"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"


def transforms() -> set[str]:
    out = subprocess.run(
        ["xmlsec1", "--list-transforms"], capture_output=True, text=True, check=True
    )
    return {
        name.strip().strip('"') for name in (out.stdout + out.stderr).replace("\n", ",").split(",")
    }


def test_debian_xmlsec1_has_aes_gcm_and_rsa_oaep_but_no_rsassa_pss():
    known = transforms()
    assert {"aes128-gcm", "aes256-gcm", "aes128-cbc", "aes256-cbc", "rsa-oaep-mgf1p"} <= known
    assert "rsa-sha256" in known
    assert not {name for name in known if "pss" in name.lower() or "rsa-mgf1" in name.lower()}


def pss_check_independently(xml: str, cert_pem: bytes) -> None:
    """Verify the response's RSASSA-PSS SignatureValue with `cryptography` alone: it is
    real PSS over the exclusive-c14n SignedInfo (what RFC 6931 specifies)."""
    root = etree.fromstring(xml.encode())
    signature = root.find(f"{{{DS}}}Signature")
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    method = signed_info.find(f"{{{DS}}}SignatureMethod").get("Algorithm")
    assert method == SIG_RSA_PSS_SHA256
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True)
    value = base64.b64decode(signature.findtext(f"{{{DS}}}SignatureValue"))
    public_key = x509.load_pem_x509_certificate(cert_pem).public_key()
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    public_key.verify(value, canonical, pss, hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public_key.verify(value, canonical + b" ", pss, hashes.SHA256())


@pytest.mark.django_db
def test_rsassa_pss_signed_answers_are_verified_through_the_python_binding(tmp_path):
    browser = Client()
    seen = saml_login_start(browser, level="high")
    answer = authn_response(seen, TEST_PERSONS["anna"], TrustLevel.HIGH, Faults(pss=True))
    assert (
        answer.xml.count(SIG_RSA_PSS_SHA256) == 1
    )  # the response's (the assertion's is encrypted)
    cert_pem = Path(devidp_config().cert_file).read_bytes()
    pss_check_independently(answer.xml, cert_pem)

    # Debian's xmlsec1 cannot check it ...
    signed = tmp_path / "response.xml"
    signed.write_text(answer.xml)
    cert_file = tmp_path / "idp.pem"
    cert_file.write_bytes(cert_pem)
    xmlsec1 = subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--pubkey-cert-pem",
            str(cert_file),
            "--id-attr:ID",
            f"{SAMLP}:Response",
            str(signed),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert xmlsec1.returncode != 0
    assert "sha256-rsa-MGF1" in xmlsec1.stderr

    # ... the service provider does, and logs the citizen in.
    finish = saml_answer_deliver(browser, answer)
    assert finish.status_code == 303


@pytest.mark.django_db
def test_a_tampered_rsassa_pss_assertion_is_refused(caplog):
    logger = logging.getLogger("buergerbuero.identity")
    logger.addHandler(caplog.handler)
    try:
        browser = Client()
        seen = saml_login_start(browser, level="low")
        answer = authn_response(seen, TEST_PERSONS["anna"], "high", Faults(pss=True, tamper=True))
        page = saml_answer_deliver(browser, answer)
    finally:
        logger.removeHandler(caplog.handler)
    assert page.status_code == 400
    assert "keine gültige Signatur" in page.content.decode()
    assert any("reason=signature" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_authn_requests_can_be_signed_with_rsassa_pss(settings):
    settings.SAML_SIGNATURE_ALGORITHM = "rsa-pss-sha256"
    browser = Client()
    xml = authn_request_xml(browser, niveau="substantial")
    assert SIG_RSA_PSS_SHA256 in xml
    # The development IdP checks it (pysaml2 -> routed backend -> python binding).
    seen = saml_login_start(browser, level="substantial")
    assert seen.requested_level == TrustLevel.SUBSTANTIAL
