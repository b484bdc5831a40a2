from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "buergerbuero.applications"
    verbose_name = _("Anträge und E-Akte")

    def ready(self) -> None:
        from buergerbuero.catalog.next_steps import register_next_step

        from . import signals  # noqa: F401
        from .selectors import online_start_url

        register_next_step("online", online_start_url)
