from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "buergerbuero.identity"
    verbose_name = _("Konten und Anmeldung")
