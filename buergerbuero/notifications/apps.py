from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "buergerbuero.notifications"
    verbose_name = _("Benachrichtigungen")

    def ready(self):
        from .sms import checks as sms_checks  # noqa: F401  (system checks of SMS)
        from .zbp import checks  # noqa: F401  (system checks of the BundID inbox)
