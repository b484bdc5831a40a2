"""BundID's button on the login page, when BundID is set up."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..login_options import LoginOption
from ..trust import TrustLevel
from .config import BUNDID, bundid_enabled


def login_options(next_url: str, level: TrustLevel) -> list[LoginOption]:
    if not (bundid_enabled() and settings.SAML_SHOW_BUNDID):
        return []
    from .views import login_url

    return [
        LoginOption(
            key="bundid",
            label=_("Mit BundID anmelden"),
            description=_(
                "Das Konto für digitale Verwaltungsleistungen in ganz Deutschland – mit "
                "Online-Ausweisfunktion, ELSTER-Zertifikat oder Benutzername und Passwort."
            ),
            url=login_url(next_url=next_url, level=level, idp=BUNDID),
            max_level=TrustLevel.HIGH,
        )
    ]
