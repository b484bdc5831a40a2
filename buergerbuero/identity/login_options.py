"""The ways in that the login page offers: BundID, the city's OpenID Connect providers, the
development IdP (demo only), and the local account.

Each login method contributes its buttons through a function ``(next_url, level) ->
list[LoginOption]`` named in :data:`PROVIDERS`; a method that is not configured returns
none. ``level`` is what the page the citizen came from needs: a method that cannot deliver
it is still listed (the citizen may not know which to pick) but marked as not enough.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.module_loading import import_string

from .trust import TrustLevel

PROVIDERS = [
    "buergerbuero.identity.saml.options.login_options",
    "buergerbuero.identity.oidc.options.login_options",
    "buergerbuero.identity.devidp.options.login_options",
]


@dataclass(frozen=True)
class LoginOption:
    key: str  # "bundid", "oidc:keycloak", "dev-idp"
    label: str  # the button: "Mit BundID anmelden"
    description: str  # one sentence under it: what the citizen needs for it
    url: str  # GET starts the login and comes back to ``next``
    max_level: TrustLevel  # the highest level this way can deliver
    demo: bool = False  # the development IdP: shown with a clear "demo only" mark

    def enough_for(self, level: str | TrustLevel) -> bool:
        return self.max_level.satisfies(level)


def login_options(*, next_url: str, level: str | TrustLevel = TrustLevel.LOW) -> list[LoginOption]:
    level = TrustLevel(level)
    options: list[LoginOption] = []
    for path in PROVIDERS:
        options.extend(import_string(path)(next_url, level))
    return options
