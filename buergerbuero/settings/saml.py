"""Settings of the identity work: saml (imported at the end of base.py).

BundID login over SAML 2.0 (docs/identity-bundid.md) and the development IdP. Nothing here
switches BundID on by itself: set SAML_BUNDID_ENVIRONMENT and the IdP metadata. In demo
mode without BundID the service provider trusts the development IdP instead.
"""

from pathlib import Path

from .env import env, env_bool

_BASE_DIR = Path(__file__).resolve().parent.parent.parent

SAML_BUNDID_ENVIRONMENT = (
    env(
        "SAML_BUNDID_ENVIRONMENT",
        "",
        "BundID login: empty (off), test (BundID's integration environment int.id.bund.de), "
        "production (id.bund.de) or custom (set SAML_IDP_ENTITY_ID, SAML_IDP_SSO_URL, "
        "SAML_IDP_SLO_URL yourself). Needs SAML_IDP_METADATA.",
    )
    or ""
).strip()
SAML_IDP_METADATA = env(
    "SAML_IDP_METADATA",
    "",
    "The IdP's SAML metadata: a file path or an https URL. Its signing certificate is the "
    "only key trusted for responses (BundID: the metadata file BundID hands out at "
    "registration).",
)
SAML_IDP_ENTITY_ID = env(
    "SAML_IDP_ENTITY_ID",
    "",
    "IdP entity ID; empty: the environment's (see docs/identity-bundid.md).",
)
SAML_IDP_SSO_URL = env(
    "SAML_IDP_SSO_URL", "", "IdP single sign-on URL (HTTP-POST binding); empty: the environment's."
)
SAML_IDP_SLO_URL = env(
    "SAML_IDP_SLO_URL",
    "",
    "IdP single logout URL (HTTP-Redirect binding); empty: the environment's.",
)
SAML_SP_BASE_URL = env(
    "SAML_SP_BASE_URL",
    "",
    "Public https address the IdP sends citizens back to (ACS, SLO); empty: SITE_URL.",
)
SAML_SP_ENTITY_ID = env(
    "SAML_SP_ENTITY_ID",
    "",
    "Entity ID of this service provider as registered at BundID; empty: "
    "<SAML_SP_BASE_URL>/auth/saml/metadata/.",
)
SAML_SP_SIGNING_KEY = env(
    "SAML_SP_SIGNING_KEY", "", "PEM private key that signs AuthnRequests and LogoutRequests."
)
SAML_SP_SIGNING_CERT = env("SAML_SP_SIGNING_CERT", "", "PEM certificate of SAML_SP_SIGNING_KEY.")
SAML_SP_ENCRYPTION_KEY = env(
    "SAML_SP_ENCRYPTION_KEY", "", "PEM private key that decrypts the IdP's encrypted assertions."
)
SAML_SP_ENCRYPTION_CERT = env(
    "SAML_SP_ENCRYPTION_CERT", "", "PEM certificate of SAML_SP_ENCRYPTION_KEY (in the metadata)."
)
SAML_KEY_DIR = Path(
    env(
        "SAML_KEY_DIR",
        str(_BASE_DIR / "var" / "saml"),
        "Demo mode only: where the service provider's and the development IdP's key pairs "
        "are generated at first use when no key files are set. Never used in production.",
    )
    or ""
)
SAML_SIGNATURE_ALGORITHM = env(
    "SAML_SIGNATURE_ALGORITHM",
    "rsa-sha256",
    "How AuthnRequests and LogoutRequests are signed: rsa-sha256 (xmlsec1) or rsa-pss-sha256 "
    "(RSASSA-PSS, through the python xmlsec binding; docs/decisions/0008-saml-and-xmlsec.md).",
)
SAML_ONLINE_SERVICE_ID = env(
    "SAML_ONLINE_SERVICE_ID",
    "",
    "Onlinedienst-ID that BundID assigned to this portal (sent as OnlineServiceId).",
)
SAML_ORGANIZATION_DISPLAY_NAME = env(
    "SAML_ORGANIZATION_DISPLAY_NAME",
    "",
    "Name BundID shows the citizen (DisplayInformation); empty: the municipality's name.",
)
SAML_CLOCK_SKEW = int(
    env(
        "SAML_CLOCK_SKEW",
        "60",
        "Seconds of clock difference to the IdP accepted on NotBefore/NotOnOrAfter.",
    )
    or 60
)
SAML_SHOW_BUNDID = env_bool(
    "SAML_SHOW_BUNDID", True, "Offer 'Mit BundID anmelden' on the login page when BundID is set up."
)
# Tri-state: empty follows DEMO_MODE; "true" with DEMO_MODE off is refused by a system check.
SAML_DEV_IDP = (
    (
        env(
            "SAML_DEV_IDP",
            "",
            "The development IdP (/entwicklung/idp/): empty = on in demo mode, false = off. It "
            "never runs without DEMO_MODE; true without DEMO_MODE fails the system check.",
        )
        or ""
    )
    .strip()
    .lower()
)
