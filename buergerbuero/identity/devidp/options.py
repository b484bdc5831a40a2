"""The development IdP's button on the login page (demo mode only)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ..login_options import LoginOption
from ..saml.config import DEV, dev_idp_enabled
from ..trust import TrustLevel


def login_options(next_url: str, level: TrustLevel) -> list[LoginOption]:
    if not dev_idp_enabled():
        return []
    from ..saml.views import login_url

    return [
        LoginOption(
            key="dev-idp",
            label=_("Test-Anmeldung (Entwicklungs-IdP)"),
            description=_(
                "Nur für Entwicklung und Demo: eine echte SAML-Anmeldung mit Testpersonen, "
                "ohne Ausweis. Wählbar ist jedes Vertrauensniveau."
            ),
            url=login_url(next_url=next_url, level=level, idp=DEV),
            max_level=TrustLevel.HIGH,
            demo=True,
        )
    ]
