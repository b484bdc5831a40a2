"""System check: the development IdP never runs without demo mode."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def dev_idp_only_in_demo(app_configs, **kwargs):
    if settings.DEMO_MODE or settings.SAML_DEV_IDP in {"", "false", "0", "no", "off"}:
        return []
    return [
        Error(
            "SAML_DEV_IDP is on but DEMO_MODE is off: the development IdP logs anyone in "
            "as a test person at any trust level.",
            hint="Unset SAML_DEV_IDP (it follows DEMO_MODE) or set it to false.",
            id="identity.E101",
        )
    ]
