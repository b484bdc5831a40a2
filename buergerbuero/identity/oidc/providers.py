"""The city's OpenID Connect providers as configured (settings.OIDC_PROVIDERS), and how
the claims a provider sends turn into a trust level.

A provider states how sure it is of the person in one claim (``acr`` by default). The
operator maps its values to trust levels and caps them at what the city vouches for from
that provider::

    OIDC_KEYCLOAK_LEVEL_MAP=0=low,1=low,2=substantial,3=high
    OIDC_KEYCLOAK_MAX_LEVEL=substantial

    provider.level_from_claims({"acr": "3"})  # -> TrustLevel.SUBSTANTIAL (capped)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from ..trust import TrustLevel


@dataclass(frozen=True)
class Provider:
    name: str  # in URLs and session keys: "keycloak"
    issuer: str
    client_id: str
    client_secret: str
    label: str
    description: str
    scopes: tuple[str, ...]
    level_claim: str
    level_map: tuple[tuple[str, TrustLevel], ...]  # claim value -> level, in config order
    max_level: TrustLevel
    userinfo: bool

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def level_from_claims(self, *claim_sets: dict) -> TrustLevel:
        """The level the first claim set that has the level claim delivers, capped at
        :attr:`max_level`. A missing or unknown value counts as low; a list of values
        (a custom claim) counts as its highest known one."""
        value = next(
            (c[self.level_claim] for c in claim_sets if c.get(self.level_claim) is not None), None
        )
        values = value if isinstance(value, list) else [value]
        mapping = dict(self.level_map)
        known = [mapping[str(v)] for v in values if v is not None and str(v) in mapping]
        delivered = TrustLevel.highest(*known)
        return delivered if self.max_level.satisfies(delivered) else self.max_level

    def level_claim_value(self, *claim_sets: dict) -> str:
        """The raw value of the level claim, for the log (no personal data)."""
        value = next(
            (c[self.level_claim] for c in claim_sets if c.get(self.level_claim) is not None), None
        )
        return "" if value is None else str(value)[:100]

    def acr_value_for(self, level: TrustLevel) -> str | None:
        """The acr value to ask for when ``level`` is needed: the first one mapped to that
        level, or else to the next higher one. None when the level claim is not acr."""
        if self.level_claim != "acr":
            return None
        for candidate in sorted(TrustLevel, key=lambda lv: lv.rank):
            if not candidate.satisfies(level):
                continue
            for value, mapped in self.level_map:
                if mapped == candidate:
                    return value
        return None


def _provider(name: str, config: dict) -> Provider:
    return Provider(
        name=name,
        issuer=config["issuer"],
        client_id=config["client_id"],
        client_secret=config.get("client_secret", ""),
        label=config.get("label") or "Mit Stadt-Konto anmelden",
        description=config.get("description", ""),
        scopes=tuple(config.get("scopes") or ("openid",)),
        level_claim=config.get("level_claim") or "acr",
        level_map=tuple(
            (str(k), TrustLevel(v)) for k, v in (config.get("level_map") or {}).items()
        ),
        max_level=TrustLevel(config.get("max_level") or TrustLevel.LOW),
        userinfo=bool(config.get("userinfo", True)),
    )


def providers_all() -> list[Provider]:
    return [_provider(name, config) for name, config in settings.OIDC_PROVIDERS.items()]


def provider_get(name: str) -> Provider | None:
    config = settings.OIDC_PROVIDERS.get(name)
    return _provider(name, config) if config else None
