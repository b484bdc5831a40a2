from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "buergerbuero.organisation"
    verbose_name = _("Ämter und Kundenzentren")
