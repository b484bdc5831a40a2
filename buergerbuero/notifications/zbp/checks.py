"""System checks of the inbox configuration: said at every start (runserver, migrate,
the worker) instead of found out when the first notice does not arrive."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import inbox_enabled


def _bundid_configured() -> bool:
    """Whether BundID login is offered: its login option is the one source of truth."""
    try:
        from buergerbuero.identity.saml.options import login_options
        from buergerbuero.identity.trust import TrustLevel
    except ImportError:
        return False
    try:
        return bool(login_options("/", TrustLevel.LOW))
    except Exception:  # a misconfigured BundID is the SAML checks' business, not ours
        return False


@register()
def zbp_configuration(app_configs, **kwargs):
    problems = []
    if not inbox_enabled():
        if _bundid_configured():
            problems.append(
                Warning(
                    "BundID login is configured but the BundID inbox (ZBP) is not: notices "
                    "and status messages reach citizens by email only.",
                    hint="Set ZBP_URL and its credentials (docs/identity-zbp.md) to deliver "
                    "them to the BundID inbox as well.",
                    id="notifications.W101",
                )
            )
        return problems
    if not settings.ZBP_TOKEN_URL and not settings.ZBP_CLIENT_CERT:
        problems.append(
            Warning(
                "ZBP_URL is set but neither OAuth2 client credentials (ZBP_TOKEN_URL) nor a "
                "client certificate (ZBP_CLIENT_CERT): the ZBP will refuse every message.",
                hint="Configure the credentials your ZBP connection uses.",
                id="notifications.W102",
            )
        )
    if settings.ZBP_TOKEN_URL and not (settings.ZBP_CLIENT_ID and settings.ZBP_CLIENT_SECRET):
        problems.append(
            Error(
                "ZBP_TOKEN_URL is set but ZBP_CLIENT_ID or ZBP_CLIENT_SECRET is empty.",
                id="notifications.E101",
            )
        )
    for name in ("ZBP_CLIENT_CERT", "ZBP_CLIENT_KEY", "ZBP_CA_BUNDLE"):
        path = getattr(settings, name)
        if path and not Path(path).is_file():
            problems.append(
                Error(f"{name} names {path}, which is no file.", id="notifications.E102")
            )
    return problems


@register(Tags.security, deploy=True)
def zbp_over_https(app_configs, **kwargs):
    if not inbox_enabled() or settings.ZBP_URL.startswith("https://") or settings.DEBUG:
        return []
    return [
        Error(
            "ZBP_URL does not use https: notices with personal data would travel unencrypted.",
            id="notifications.E103",
        )
    ]
