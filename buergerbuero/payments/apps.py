from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "buergerbuero.payments"
    verbose_name = _("Zahlungen")

    def ready(self) -> None:
        from . import checks  # noqa: F401
        from .providers import test  # noqa: F401  (registers the built-in test provider)
