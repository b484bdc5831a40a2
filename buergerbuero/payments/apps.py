from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "buergerbuero.payments"
    verbose_name = _("Zahlungen")

    def ready(self) -> None:
        from buergerbuero.catalog.next_steps import register_next_step

        from . import checks, provider_checks  # noqa: F401  (system checks)
        from .conf import lookup_page_for
        from .providers import epaybl, test, xbezahldienste  # noqa: F401  (register)

        register_next_step("online", lookup_page_for)
