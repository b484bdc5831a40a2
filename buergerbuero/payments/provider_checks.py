"""System check of the active payment provider's own settings.

Each provider says what is wrong with its configuration (``check_configuration``); only
the active one (``PAYMENT_PROVIDER``) is asked, so that a city with the test provider is
not warned about XBezahldienste settings it does not need. Imported by the provider
modules, so that the check exists whenever a provider does.
"""

from django.core.checks import register

from .conf import payment_provider_key
from .providers.registry import registry


@register()
def payment_provider_configured(app_configs, **kwargs):
    key = payment_provider_key()
    if key not in registry:
        return []  # payments.E001 says so
    return list(registry.get(key).check_configuration())
