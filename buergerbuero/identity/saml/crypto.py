"""XML signatures and encryption for SAML: Debian's xmlsec1, and RSASSA-PSS beside it.

pysaml2 signs, verifies and decrypts by running the ``xmlsec1`` binary. Debian's xmlsec1
1.2.37 knows rsa-sha256, AES-GCM and RSA-OAEP (mgf1p) but not RSASSA-PSS, which BundID
uses for newer signatures (``…xmldsig-more#sha256-rsa-MGF1``). :class:`RoutedXmlSec` is
pysaml2's xmlsec1 backend with one change: a signature whose algorithm xmlsec1 does not
know is signed or verified with the python ``xmlsec`` binding instead (it bundles
libxmlsec1 1.3.9, which has RSASSA-PSS). pysaml2's own checks — one reference, pointing
at the signed element, only the enveloped/exclusive-c14n transforms, keys from metadata
only — run before either; see docs/decisions/0008-saml-and-xmlsec.md.

Install it on a pysaml2 entity with :func:`use_routed_backend`::

    client = Saml2Client(config)
    use_routed_backend(client)
"""

from __future__ import annotations

import functools
import logging
import os

import xmlsec
from lxml import etree
from saml2 import sigver
from saml2.sigver import CryptoBackendXmlSec1, SignatureError

logger = logging.getLogger("buergerbuero.identity")


# pysaml2 reads the SP's private key from its file for every client it builds — every
# login — and cryptography checks an RSA key thoroughly on each load: ~120 ms of the
# ~350 ms a login request took (bench/saml_login.py). A loaded key is immutable, so it is
# kept per file version (a rotated key file has another mtime and is read anew).
_import_rsa_key_from_file = sigver.import_rsa_key_from_file


@functools.lru_cache(maxsize=8)
def _private_key(path: str, mtime_ns: int, size: int):
    return _import_rsa_key_from_file(path)


def _private_key_cached(filename: str):
    version = os.stat(filename)
    return _private_key(filename, version.st_mtime_ns, version.st_size)


sigver.import_rsa_key_from_file = _private_key_cached

DS = "http://www.w3.org/2000/09/xmldsig#"
SIG_RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SIG_RSA_PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
DIGEST_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
AES128_GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
AES256_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"

# Signature methods Debian's xmlsec1 1.2.37 does not register (`xmlsec1 --list-transforms`):
# the RSASSA-PSS family of RFC 6931 and XML Signature 1.1.
PSS_ALGORITHMS = frozenset(
    {
        "http://www.w3.org/2007/05/xmldsig-more#sha224-rsa-MGF1",
        SIG_RSA_PSS_SHA256,
        "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1",
        "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1",
        "http://www.w3.org/2007/05/xmldsig-more#rsa-pss",
    }
)
SIGNATURE_ALGORITHMS = {"rsa-sha256": SIG_RSA_SHA256, "rsa-pss-sha256": SIG_RSA_PSS_SHA256}

# No DTDs, no entities, no network: SAML messages come from strangers.
PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)


def parse_xml(text: str | bytes) -> etree._Element:
    if isinstance(text, str):
        text = text.encode("utf-8")
    return etree.fromstring(text, parser=PARSER)


def _signed_element(root: etree._Element, node_name: str, node_id: str | None):
    """The element pysaml2 means by ``node_name`` (``ns:LocalName``) and ``node_id``; None
    unless exactly one element in the document carries that ID (no wrapping games)."""
    namespace, _, local = node_name.rpartition(":")
    if node_id:
        found = root.xpath("//*[@ID=$id]", id=node_id)
        if len(found) != 1:
            return None
        element = found[0]
    else:
        element = root
    if etree.QName(element).localname != local or etree.QName(element).namespace != namespace:
        return None
    return element


def _own_signature(element):
    return element.find(f"{{{DS}}}Signature")


def signature_algorithm(text: str | bytes, node_name: str, node_id: str | None) -> str:
    """The SignatureMethod of the signature directly inside the named element, or ""."""
    try:
        element = _signed_element(parse_xml(text), node_name, node_id)
    except etree.XMLSyntaxError:
        return ""
    signature = _own_signature(element) if element is not None else None
    method = (
        signature.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod")
        if signature is not None
        else None
    )
    return method.get("Algorithm", "") if method is not None else ""


def binding_sign(text: str, node_name: str, node_id: str | None, key_file: str) -> str:
    """Sign the prepared (empty) signature of one element with the python xmlsec binding."""
    root = parse_xml(text)
    element = _signed_element(root, node_name, node_id)
    if element is None or _own_signature(element) is None:
        raise SignatureError(f"No signature template in {node_name} {node_id}")
    xmlsec.tree.add_ids(root, ["ID"])
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_file(key_file, xmlsec.constants.KeyDataFormatPem)
    context.sign(_own_signature(element))
    return etree.tostring(root, encoding="unicode")


def binding_verify(text: str | bytes, node_name: str, node_id: str | None, cert_file: str) -> bool:
    """Verify the signature of one element with the python xmlsec binding, trusting only
    the certificate in ``cert_file`` (never keys carried in the message)."""
    root = parse_xml(text)
    element = _signed_element(root, node_name, node_id)
    if element is None or _own_signature(element) is None:
        return False
    xmlsec.tree.add_ids(root, ["ID"])
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_file(cert_file, xmlsec.constants.KeyDataFormatCertPem)
    try:
        context.verify(_own_signature(element))
    except xmlsec.Error:
        return False
    return True


class RoutedXmlSec(CryptoBackendXmlSec1):
    """pysaml2's xmlsec1 backend; RSASSA-PSS signatures go through the python binding."""

    def sign_statement(self, statement, node_name, key_file, node_id):
        if isinstance(statement, bytes):
            statement = statement.decode("utf-8")
        elif not isinstance(statement, str):
            statement = str(statement)
        if signature_algorithm(statement, node_name, node_id) in PSS_ALGORITHMS:
            return binding_sign(statement, node_name, node_id, key_file)
        return super().sign_statement(statement, node_name, key_file, node_id)

    def validate_signature(self, signedtext, cert_file, cert_type, node_name, node_id):
        algorithm = signature_algorithm(signedtext, node_name, node_id)
        if algorithm in PSS_ALGORITHMS:
            if cert_type != "pem":
                raise SignatureError("RSASSA-PSS: only PEM certificates")
            verified = binding_verify(signedtext, node_name, node_id, cert_file)
            logger.debug("RSASSA-PSS signature of %s checked by the xmlsec binding", node_name)
            return verified
        return super().validate_signature(signedtext, cert_file, cert_type, node_name, node_id)


def use_routed_backend(entity) -> None:
    """Swap a pysaml2 entity's xmlsec1 backend for :class:`RoutedXmlSec` (same binary)."""
    current = entity.sec.crypto
    routed = RoutedXmlSec(current.xmlsec, delete_tmpfiles=current.delete_tmpfiles)
    entity.sec.crypto = routed
