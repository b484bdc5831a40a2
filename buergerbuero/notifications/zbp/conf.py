"""Which inbox backend the settings select: the HTTP adapter when ``ZBP_URL`` is set,
none otherwise (citizens then get emails only)."""

from __future__ import annotations

from django.conf import settings

from .base import InboxBackend
from .http import HttpZbpBackend, ZbpConfig


def inbox_enabled() -> bool:
    return bool(getattr(settings, "ZBP_URL", ""))


def inbox_backend() -> InboxBackend | None:
    if not inbox_enabled():
        return None
    return HttpZbpBackend(
        ZbpConfig(
            url=settings.ZBP_URL,
            token_url=settings.ZBP_TOKEN_URL,
            client_id=settings.ZBP_CLIENT_ID,
            client_secret=settings.ZBP_CLIENT_SECRET,
            scope=settings.ZBP_OAUTH_SCOPE,
            client_cert=settings.ZBP_CLIENT_CERT,
            client_key=settings.ZBP_CLIENT_KEY,
            ca_bundle=settings.ZBP_CA_BUNDLE,
            timeout=settings.ZBP_TIMEOUT,
        )
    )
