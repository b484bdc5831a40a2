"""The development identity provider: a real SAML IdP (pysaml2 ``Server``) for the demo and
the tests, standing in for BundID. Demo mode only (see ``checks.py`` and the views).

It has its own key pair (generated into var/saml/), publishes metadata that the service
provider trusts in demo mode, checks the signature of every AuthnRequest against the SP's
metadata, and answers like BundID: a signed assertion with the bPK2 and person data, the
trust level as STORK-QAA AuthnContextClassRef and ``akdb:TrustLevel`` per attribute,
encrypted to the SP's encryption certificate (AES-256-GCM, RSA-OAEP), in a signed response.

Tests drive it from Python, including deliberately broken answers::

    seen = authn_request_read(saml_request)               # what the SP asked for
    answer = authn_response(seen, TEST_PERSONS["anna"], TrustLevel.HIGH)
    answer = authn_response(seen, person, level, Faults(tamper=True))   # or expired=True, …
    client.post(answer.acs_path, answer.form())
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import translation
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import UnknownPrincipal
from saml2.saml import NAMEID_FORMAT_TRANSIENT, NameID
from saml2.server import Server
from saml2.sigver import pre_encryption_part, pre_signature_part

from ..saml import akdb
from ..saml.config import XMLSEC1, Endpoints, base_url
from ..saml.crypto import (
    AES256_GCM,
    DIGEST_SHA256,
    RSA_OAEP_MGF1P,
    SIG_RSA_PSS_SHA256,
    SIG_RSA_SHA256,
    parse_xml,
    use_routed_backend,
)
from ..saml.keys import generated_pair
from ..trust import STORK_QAA, TrustLevel, level_from_stork
from .persons import TestPerson

logger = logging.getLogger("buergerbuero.identity")

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
ATTRNAME_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
STATUS_AUTHN_FAILED = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"


class DevIdpRefused(Exception):
    """The development IdP will not answer this request (bad signature, unknown SP)."""


def _path(name: str) -> str:
    from django.urls import reverse

    with translation.override("de"):
        return reverse(f"identity:{name}")


def devidp_endpoints() -> Endpoints:
    return Endpoints(
        base_url() + _path("devidp_metadata"),
        base_url() + _path("devidp_sso"),
        base_url() + _path("devidp_slo"),
    )


def _config(*, with_metadata: bool) -> IdPConfig:
    endpoints = devidp_endpoints()
    pair = generated_pair(settings.SAML_KEY_DIR, "devidp-signing", common_name="Entwicklungs-IdP")
    config = {
        "entityid": endpoints.entity_id,
        "xmlsec_binary": XMLSEC1,
        "key_file": str(pair.key),
        "cert_file": str(pair.cert),
        "accepted_time_diff": settings.SAML_CLOCK_SKEW,
        "delete_tmpfiles": True,
        "service": {
            "idp": {
                "name": "Entwicklungs-IdP (nur Demo)",
                "endpoints": {
                    "single_sign_on_service": [(endpoints.sso_url, BINDING_HTTP_POST)],
                    "single_logout_service": [
                        (endpoints.slo_url, BINDING_HTTP_REDIRECT),
                        (endpoints.slo_url, BINDING_HTTP_POST),
                    ],
                },
                "want_authn_requests_signed": True,
                "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
            }
        },
    }
    if with_metadata:
        from ..saml.config import sp_metadata_xml

        config["metadata"] = {"inline": [sp_metadata_xml()]}
    idp_config = IdPConfig()
    idp_config.load(config)
    return idp_config


@functools.cache
def devidp_config() -> IdPConfig:
    return _config(with_metadata=True)


@functools.cache
def devidp_metadata_xml() -> str:
    return entity_descriptor(_config(with_metadata=False)).to_string().decode("utf-8")


def devidp_server() -> Server:
    server = Server(config=devidp_config())
    use_routed_backend(server)
    return server


def forget() -> None:
    devidp_config.cache_clear()
    devidp_metadata_xml.cache_clear()


# -- AuthnRequest --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthnRequestSeen:
    """What the service provider asked for, after its signature was checked."""

    id: str
    sp_entity_id: str
    acs_url: str
    relay_state: str
    requested_level: TrustLevel
    akdb_version: str = ""
    requested_attributes: tuple[str, ...] = ()
    online_service_id: str = ""
    display_name: str = ""


def authn_request_read(saml_request: str, *, relay_state: str = "") -> AuthnRequestSeen:
    """Check and read an AuthnRequest that came by HTTP-POST. Unsigned or wrongly signed
    requests, and requests from SPs not in the metadata, are refused."""
    server = devidp_server()
    try:
        parsed = server.parse_authn_request(saml_request, BINDING_HTTP_POST)
    except Exception as error:  # pysaml2 raises many types for a bad message
        raise DevIdpRefused(f"AuthnRequest refused: {type(error).__name__}") from error
    if parsed is None:
        raise DevIdpRefused("AuthnRequest refused: unreadable")
    message = parsed.message
    sp_entity_id = message.issuer.text.strip()
    try:
        binding_info = server.response_args(message, [BINDING_HTTP_POST])
    except UnknownPrincipal as error:
        raise DevIdpRefused(f"unknown service provider {sp_entity_id}") from error
    requested = TrustLevel.LOW
    context = message.requested_authn_context
    if context is not None:
        levels = [level_from_stork(ref.text) for ref in context.authn_context_class_ref]
        requested = TrustLevel.highest(*[level for level in levels if level])
    extension = _akdb_extension(parsed.xmlstr)
    return AuthnRequestSeen(
        id=message.id,
        sp_entity_id=sp_entity_id,
        acs_url=binding_info["destination"],
        relay_state=relay_state,
        requested_level=requested,
        **extension,
    )


def _akdb_extension(xml: str | bytes) -> dict:
    root = parse_xml(xml)
    found = root.find(f"{{{SAMLP}}}Extensions/{{{akdb.AKDB}}}AuthenticationRequest")
    if found is None:
        return {}
    ui = f"{{{akdb.AKDB}}}DisplayInformation/{{{akdb.CLASSIC_UI}}}Version/{{{akdb.CLASSIC_UI}}}"
    return {
        "akdb_version": found.get("Version", ""),
        "requested_attributes": tuple(
            element.get("Name", "")
            for element in found.iterfind(
                f"{{{akdb.AKDB}}}RequestedAttributes/{{{akdb.AKDB}}}RequestedAttribute"
            )
        ),
        "online_service_id": found.findtext(ui + "OnlineServiceId", default=""),
        "display_name": found.findtext(ui + "OrganizationDisplayName", default=""),
    }


# -- Response -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Faults:
    """Ways to make a deliberately bad answer, for the tests of the service provider."""

    tamper: bool = False  # change the given name after the assertion was signed
    expired: bool = False  # issued 15 minutes ago, valid until 10 minutes ago
    audience: str | None = None  # another audience than the SP's entity ID
    in_response_to: str | None = None  # answer another request than the one asked
    attribute_level: TrustLevel | None = None  # akdb:TrustLevel of the identifying values
    pss: bool = False  # sign with RSASSA-PSS (sha256-rsa-MGF1) instead of rsa-sha256
    encrypt: bool = True


@dataclass(frozen=True)
class Answer:
    """A SAML message for the browser to post to the service provider."""

    url: str
    field_name: str  # SAMLResponse or SAMLRequest
    message: str  # base64
    relay_state: str = ""
    name_id: str = ""
    session_index: str = ""
    xml: str = field(default="", repr=False)

    @property
    def path(self) -> str:
        """The same site's path: the demo's SP lives in this process, whatever host and
        port the browser uses (SITE_URL may not name them)."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def form(self) -> dict[str, str]:
        data = {self.field_name: self.message}
        if self.relay_state:
            data["RelayState"] = self.relay_state
        return data


def authn_response(
    seen: AuthnRequestSeen,
    person: TestPerson,
    level: str | TrustLevel,
    faults: Faults = Faults(),  # noqa: B008 (frozen)
) -> Answer:
    """A signed (and encrypted) answer to ``seen`` logging in ``person`` at ``level``."""
    level = TrustLevel(level)
    server = devidp_server()
    name_id = NameID(format=NAMEID_FORMAT_TRANSIENT, text="_" + secrets.token_hex(16))
    response = server.create_authn_response(
        identity={},
        in_response_to=faults.in_response_to or seen.id,
        destination=seen.acs_url,
        sp_entity_id=seen.sp_entity_id,
        name_id=name_id,
        authn={"class_ref": STORK_QAA[level], "authn_instant": _now_epoch()},
        sign_response=False,
        sign_assertion=False,
        encrypt_assertion=False,
    )
    root = parse_xml(str(response))
    assertion = root.find(f"{{{SAML}}}Assertion")
    statement = assertion.find(f"{{{SAML}}}AuthnStatement")
    session_index = statement.get("SessionIndex", "") if statement is not None else ""
    _attributes_add(assertion, person, level, faults.attribute_level or level)
    if faults.audience:
        for audience in assertion.iter(f"{{{SAML}}}Audience"):
            audience.text = faults.audience
    if faults.expired:
        _times_shift(root, dt.timedelta(minutes=-15))
    algorithm = SIG_RSA_PSS_SHA256 if faults.pss else SIG_RSA_SHA256
    xml = _sign(server, root, assertion, "Assertion", algorithm)
    if faults.tamper:
        xml = _tamper(xml)
    if faults.encrypt:
        xml = _encrypt(server, xml, seen.sp_entity_id)
    root = parse_xml(xml)
    xml = _sign(server, root, root, "Response", algorithm)
    logger.info("dev-idp: answered request for level=%s with level=%s", seen.requested_level, level)
    return Answer(
        url=seen.acs_url,
        field_name="SAMLResponse",
        message=base64.b64encode(xml.encode("utf-8")).decode("ascii"),
        relay_state=seen.relay_state,
        name_id=name_id.text,
        session_index=session_index,
        xml=xml,
    )


def cancel_response(seen: AuthnRequestSeen) -> Answer:
    """The citizen cancelled at the IdP: a signed response without an assertion."""
    server = devidp_server()
    response = server.create_error_response(
        seen.id,
        seen.acs_url,
        (STATUS_AUTHN_FAILED, "Die Anmeldung wurde abgebrochen."),
        sign=False,
    )
    root = parse_xml(str(response))
    xml = _sign(server, root, root, "Response", SIG_RSA_SHA256)
    return Answer(
        url=seen.acs_url,
        field_name="SAMLResponse",
        message=base64.b64encode(xml.encode("utf-8")).decode("ascii"),
        relay_state=seen.relay_state,
        xml=xml,
    )


def _now_epoch() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())


def _attribute(name: str, value: str, level: TrustLevel | None) -> etree._Element:
    attribute = etree.Element(
        f"{{{SAML}}}Attribute", Name=name, NameFormat=ATTRNAME_URI, nsmap={"akdb": akdb.AKDB}
    )
    if level is not None:
        attribute.set(akdb.TRUST_LEVEL_ATTRIBUTE, akdb.AKDB_LEVEL_NAMES[level])
    value_element = etree.SubElement(attribute, f"{{{SAML}}}AttributeValue")
    value_element.text = value
    return attribute


def _attributes_add(assertion, person: TestPerson, level: TrustLevel, identifying: TrustLevel):
    values = [
        (akdb.BPK2, person.bpk2, level),
        (akdb.GIVEN_NAME, person.given_name, identifying),
        (akdb.SURNAME, person.family_name, identifying),
        (akdb.BIRTH_DATE, person.birth_date.isoformat() if person.birth_date else "", identifying),
        (akdb.POSTAL_ADDRESS, person.street, identifying),
        (akdb.POSTAL_CODE, person.postcode, identifying),
        (akdb.LOCALITY, person.city, identifying),
        # The email address is what the person typed into their BundID account.
        (akdb.EMAIL, person.email, TrustLevel.LOW),
        (akdb.POSTKORB_HANDLE, person.postkorb_handle, None),
        (akdb.CITIZEN_QAA_LEVEL, STORK_QAA[level], None),
    ]
    statement = assertion.find(f"{{{SAML}}}AttributeStatement")
    if statement is None:
        statement = etree.SubElement(assertion, f"{{{SAML}}}AttributeStatement")
    for name, value, attribute_level in values:
        if value:
            statement.append(_attribute(name, value, attribute_level))


def _times_shift(root, delta: dt.timedelta) -> None:
    for element in root.iter():
        for attribute in ("IssueInstant", "NotBefore", "NotOnOrAfter", "AuthnInstant"):
            value = element.get(attribute)
            if value:
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                if attribute == "NotOnOrAfter":
                    moment = dt.datetime.now(dt.UTC) + delta + dt.timedelta(minutes=5)
                else:
                    moment = moment + delta
                element.set(attribute, moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _sign(server: Server, root, element, local_name: str, algorithm: str) -> str:
    """Add a signature template right after the element's Issuer (as the SAML schema
    wants it) and sign it: xmlsec1, or the python binding for RSASSA-PSS."""
    template = pre_signature_part(
        element.get("ID"), server.sec.my_cert, 1, sign_alg=algorithm, digest_alg=DIGEST_SHA256
    )
    signature = parse_xml(str(template))
    issuer = element.find(f"{{{SAML}}}Issuer")
    issuer.addnext(signature)
    namespace = SAML if local_name == "Assertion" else SAMLP
    return server.sec.sign_statement(
        etree.tostring(root, encoding="unicode"),
        node_name=f"{namespace}:{local_name}",
        node_id=element.get("ID"),
    )


def _tamper(xml: str) -> str:
    root = parse_xml(xml)
    for attribute in root.iter(f"{{{SAML}}}Attribute"):
        if attribute.get("Name") == akdb.GIVEN_NAME:
            attribute.find(f"{{{SAML}}}AttributeValue").text = "Manipuliert"
    return etree.tostring(root, encoding="unicode")


def _encrypt(server: Server, xml: str, sp_entity_id: str) -> str:
    """Replace the signed assertion by an EncryptedAssertion for the SP's encryption
    certificate: AES-256-GCM for the content, RSA-OAEP for the key (xmlsec1)."""
    certs = server.metadata.certs(sp_entity_id, "spsso", use="encryption")
    if not certs:
        raise DevIdpRefused(f"no encryption certificate for {sp_entity_id}")
    cert_b64 = certs[0][1]
    root = parse_xml(xml)
    assertion = root.find(f"{{{SAML}}}Assertion")
    wrapper = etree.Element(f"{{{SAML}}}EncryptedAssertion")
    assertion.addprevious(wrapper)
    wrapper.append(assertion)
    template = pre_encryption_part(
        msg_enc=AES256_GCM, key_enc=RSA_OAEP_MGF1P, encrypt_cert=cert_b64
    )
    from saml2.sigver import make_temp, pem_format

    cert_file = make_temp(pem_format(cert_b64), suffix=".pem", decode=False)
    return server.sec.crypto.encrypt_assertion(
        etree.tostring(root, encoding="unicode"),
        cert_file.name,
        template,
        key_type="aes-256",
        node_xpath="/*[local-name()='Response']/*[local-name()='EncryptedAssertion']"
        "/*[local-name()='Assertion']",
    )


# -- Logout ---------------------------------------------------------------------------------


def logout_request_answer(
    saml_request: str, *, binding: str, relay_state: str | None = None, **signed
):
    """Check a LogoutRequest from the SP and return (url, binding_info) of the
    LogoutResponse: the dev IdP holds no sessions of its own, so every logout succeeds."""
    server = devidp_server()
    try:
        request = server.parse_logout_request(
            saml_request, binding, relay_state=relay_state, **signed
        )
    except Exception as error:
        raise DevIdpRefused(f"LogoutRequest refused: {type(error).__name__}") from error
    if request is None:
        raise DevIdpRefused("LogoutRequest refused: unreadable")
    message = request.message
    sp_entity_id = message.issuer.text.strip()
    destinations = server.metadata.single_logout_service(
        sp_entity_id, BINDING_HTTP_REDIRECT, "spsso"
    )
    if not destinations:
        raise DevIdpRefused(f"no logout endpoint for {sp_entity_id}")
    destination = destinations[0]["location"]
    response = server.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
    info = server.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        destination,
        relay_state or "",
        response=True,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    location = dict(info["headers"])["Location"]
    logger.info("dev-idp: logout answered for %s", sp_entity_id)
    return location


def logout_request_create(*, sp_entity_id: str, name_id: str, session_index: str) -> Answer:
    """An IdP-initiated LogoutRequest for the SP (HTTP-POST), e.g. the citizen logged out
    at BundID."""
    server = devidp_server()
    destinations = server.metadata.single_logout_service(sp_entity_id, BINDING_HTTP_POST, "spsso")
    destination = destinations[0]["location"]
    _id, request = server.create_logout_request(
        destination,
        issuer_entity_id=sp_entity_id,
        name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text=name_id),
        session_indexes=[session_index],
        sign=False,
    )
    root = parse_xml(str(request))
    xml = _sign(server, root, root, "LogoutRequest", SIG_RSA_SHA256)
    return Answer(
        url=destination,
        field_name="SAMLRequest",
        message=base64.b64encode(xml.encode("utf-8")).decode("ascii"),
        xml=xml,
    )
