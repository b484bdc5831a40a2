"""The service provider's pysaml2 configuration, built once from settings.

Which identity providers the SP trusts:

- ``bundid``: when ``SAML_BUNDID_ENVIRONMENT`` is set (test, production, custom), with the
  keys from ``SAML_IDP_METADATA``;
- ``dev``: the development IdP, only in demo mode (``identity.devidp``).

::

    client = sp_client()                    # a fresh pysaml2 Saml2Client per request
    idp = identity_provider("bundid")       # entity ID and endpoints
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT

from .crypto import DIGEST_SHA256, SIG_RSA_SHA256, SIGNATURE_ALGORITHMS, use_routed_backend
from .keys import key_pair

XMLSEC1 = "/usr/bin/xmlsec1"

# pysaml2's own error lines may quote whole SAML messages (names, birth dates): the
# operator gets ours instead ("saml login refused: reason=…"), which carry no content.
logging.getLogger("saml2").setLevel(logging.CRITICAL)
BUNDID = "bundid"
DEV = "dev"


@dataclass(frozen=True)
class Endpoints:
    entity_id: str
    sso_url: str
    slo_url: str


# BundID's two environments as the open-source connectors use them; the metadata file
# BundID hands out at registration is authoritative (docs/identity-bundid.md).
BUNDID_ENVIRONMENTS = {
    "test": Endpoints(
        "https://int.id.bund.de/idp",
        "https://int.id.bund.de/idp/profile/SAML2/POST/SSO",
        "https://int.id.bund.de/idp/profile/SAML2/Redirect/SLO",
    ),
    "production": Endpoints(
        "https://id.bund.de/idp",
        "https://id.bund.de/idp/profile/SAML2/POST/SSO",
        "https://id.bund.de/idp/profile/SAML2/Redirect/SLO",
    ),
}


def base_url() -> str:
    return (settings.SAML_SP_BASE_URL or settings.SITE_URL).rstrip("/")


def _path(name: str) -> str:
    from django.urls import reverse

    with translation.override("de"):
        return reverse(name)


def sp_entity_id() -> str:
    return settings.SAML_SP_ENTITY_ID or base_url() + _path("saml:metadata")


def acs_url() -> str:
    return base_url() + _path("saml:acs")


def slo_url() -> str:
    return base_url() + _path("saml:slo")


def signing_algorithm() -> str:
    try:
        return SIGNATURE_ALGORITHMS[settings.SAML_SIGNATURE_ALGORITHM]
    except KeyError:
        raise ImproperlyConfigured(
            f"SAML_SIGNATURE_ALGORITHM={settings.SAML_SIGNATURE_ALGORITHM!r}: use one of "
            f"{', '.join(SIGNATURE_ALGORITHMS)}."
        ) from None


def bundid_enabled() -> bool:
    return bool(settings.SAML_BUNDID_ENVIRONMENT)


def dev_idp_enabled() -> bool:
    """The development IdP runs only in demo mode, and not when switched off."""
    return bool(settings.DEMO_MODE) and settings.SAML_DEV_IDP not in {"false", "0", "no", "off"}


def bundid_endpoints() -> Endpoints:
    environment = settings.SAML_BUNDID_ENVIRONMENT
    preset = BUNDID_ENVIRONMENTS.get(environment)
    if preset is None and environment != "custom":
        raise ImproperlyConfigured(
            f"SAML_BUNDID_ENVIRONMENT={environment!r}: use test, production or custom."
        )
    preset = preset or Endpoints("", "", "")
    return Endpoints(
        settings.SAML_IDP_ENTITY_ID or preset.entity_id,
        settings.SAML_IDP_SSO_URL or preset.sso_url,
        settings.SAML_IDP_SLO_URL or preset.slo_url,
    )


def identity_providers() -> dict[str, Endpoints]:
    """The IdPs this SP trusts, by key; in order of preference."""
    providers = {}
    if bundid_enabled():
        providers[BUNDID] = bundid_endpoints()
    if dev_idp_enabled():
        from ..devidp.idp import devidp_endpoints

        providers[DEV] = devidp_endpoints()
    return providers


def identity_provider(key: str) -> Endpoints | None:
    return identity_providers().get(key)


def provider_key(entity_id: str) -> str | None:
    for key, endpoints in identity_providers().items():
        if endpoints.entity_id == entity_id:
            return key
    return None


def _base_config(*, with_metadata: bool) -> dict:
    signing = key_pair("sp-signing")
    encryption = key_pair("sp-encryption")
    config = {
        "entityid": sp_entity_id(),
        "xmlsec_binary": XMLSEC1,
        "key_file": str(signing.key),
        "cert_file": str(signing.cert),
        "encryption_keypairs": [
            {"key_file": str(encryption.key), "cert_file": str(encryption.cert)}
        ],
        "accepted_time_diff": settings.SAML_CLOCK_SKEW,
        "allow_unknown_attributes": True,
        "delete_tmpfiles": True,
        "service": {
            "sp": {
                "name": settings.SAML_ORGANIZATION_DISPLAY_NAME or "Virtuelles Bürgerbüro",
                "endpoints": {
                    "assertion_consumer_service": [(acs_url(), BINDING_HTTP_POST)],
                    "single_logout_service": [
                        (slo_url(), BINDING_HTTP_REDIRECT),
                        (slo_url(), BINDING_HTTP_POST),
                    ],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "logout_responses_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
            }
        },
    }
    if with_metadata:
        config["metadata"] = _idp_metadata()
    return config


def _idp_metadata() -> dict:
    inline, local, remote = [], [], []
    if bundid_enabled():
        source = settings.SAML_IDP_METADATA
        if not source:
            raise ImproperlyConfigured(
                "SAML_IDP_METADATA: set the file or https URL of BundID's metadata "
                "(docs/identity-bundid.md)."
            )
        if source.startswith(("https://", "http://")):
            remote.append({"url": source})
        else:
            local.append(source)
    if dev_idp_enabled():
        from ..devidp.idp import devidp_metadata_xml

        inline.append(devidp_metadata_xml())
    metadata = {}
    if inline:
        metadata["inline"] = inline
    if local:
        metadata["local"] = local
    if remote:
        metadata["remote"] = remote
    return metadata


@functools.cache
def sp_config() -> SPConfig:
    config = SPConfig()
    config.load(_base_config(with_metadata=True))
    return config


@functools.cache
def sp_metadata_xml() -> str:
    """This SP's metadata (entityID, ACS, SLO, signing and encryption certificates)."""
    config = SPConfig()
    config.load(_base_config(with_metadata=False))
    descriptor = entity_descriptor(config)
    return descriptor.to_string().decode("utf-8")


def sp_client() -> Saml2Client:
    client = Saml2Client(config=sp_config())
    use_routed_backend(client)
    return client


def forget() -> None:
    """Drop the cached configuration (settings changed, tests)."""
    sp_config.cache_clear()
    sp_metadata_xml.cache_clear()
    from ..devidp import idp

    idp.forget()


@receiver(setting_changed)
def _settings_changed(setting, **kwargs):
    if setting.startswith("SAML_") or setting in {"DEMO_MODE", "SITE_URL"}:
        forget()
