from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "buergerbuero.identity"
    verbose_name = _("Konten und Anmeldung")

    def ready(self) -> None:
        # System checks: the development IdP never under production settings; SAML keys.
        from .devidp import checks as _devidp  # noqa: F401
        from .saml import checks as _saml  # noqa: F401
