"""The login page's buttons for the city's OpenID Connect providers (one per provider)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from ..login_options import LoginOption
from ..trust import TrustLevel
from .providers import providers_all


def login_options(next_url: str, level: TrustLevel) -> list[LoginOption]:
    query = {"next": next_url} if next_url else {}
    if TrustLevel(level) != TrustLevel.LOW:
        query["niveau"] = TrustLevel(level).value
    suffix = f"?{urlencode(query)}" if query else ""
    return [
        LoginOption(
            key=f"oidc:{provider.name}",
            label=provider.label,
            description=provider.description,
            url=reverse("identity:oidc_start", args=[provider.name]) + suffix,
            max_level=provider.max_level,
        )
        for provider in providers_all()
    ]
