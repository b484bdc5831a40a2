"""System checks of the SAML settings (registered by the identity app's ``ready()``)."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .crypto import SIGNATURE_ALGORITHMS


@register(Tags.security)
def saml_settings(app_configs, **kwargs):
    problems = []
    if settings.SAML_SIGNATURE_ALGORITHM not in SIGNATURE_ALGORITHMS:
        problems.append(
            Error(
                f"SAML_SIGNATURE_ALGORITHM={settings.SAML_SIGNATURE_ALGORITHM!r} is unknown.",
                hint=f"Use one of {', '.join(SIGNATURE_ALGORITHMS)}.",
                id="identity.E110",
            )
        )
    environment = settings.SAML_BUNDID_ENVIRONMENT
    if not environment:
        return problems
    if environment not in {"test", "production", "custom"}:
        problems.append(
            Error(
                f"SAML_BUNDID_ENVIRONMENT={environment!r} is unknown.",
                hint="Use test, production or custom (docs/identity-bundid.md).",
                id="identity.E111",
            )
        )
    metadata = settings.SAML_IDP_METADATA
    if not metadata:
        problems.append(
            Error(
                "BundID is switched on but SAML_IDP_METADATA is empty: no IdP key to trust.",
                hint="Set it to BundID's metadata file or https URL (docs/identity-bundid.md).",
                id="identity.E112",
            )
        )
    elif not metadata.startswith("https://") and not Path(metadata).is_file():
        problems.append(Error(f"SAML_IDP_METADATA: no file at {metadata}.", id="identity.E113"))
    if environment == "custom" and not (settings.SAML_IDP_ENTITY_ID and settings.SAML_IDP_SSO_URL):
        problems.append(
            Error(
                "SAML_BUNDID_ENVIRONMENT=custom needs SAML_IDP_ENTITY_ID and SAML_IDP_SSO_URL.",
                id="identity.E114",
            )
        )
    if not settings.DEMO_MODE:
        for key, cert in (
            ("SAML_SP_SIGNING_KEY", "SAML_SP_SIGNING_CERT"),
            ("SAML_SP_ENCRYPTION_KEY", "SAML_SP_ENCRYPTION_CERT"),
        ):
            for name in (key, cert):
                value = getattr(settings, name)
                if not value or not Path(value).is_file():
                    problems.append(
                        Error(
                            f"{name} must name an existing PEM file when BundID is on.",
                            hint="Keys are generated only in demo mode; see "
                            "docs/identity-bundid.md, 'Keys'.",
                            id="identity.E115",
                        )
                    )
        base = settings.SAML_SP_BASE_URL or settings.SITE_URL
        if not base.startswith("https://"):
            problems.append(
                Warning(
                    f"The SAML endpoints are published as {base}: BundID needs https.",
                    hint="Set SITE_URL or SAML_SP_BASE_URL to the public https address.",
                    id="identity.W116",
                )
            )
    return problems
