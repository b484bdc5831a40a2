from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "buergerbuero.core"
    verbose_name = _("Stadt und Auftritt")

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401
