"""System checks: a known payment provider, and no test provider in production."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import payment_provider_key
from .providers.registry import registry


@register()
def payment_provider_known(app_configs, **kwargs):
    key = payment_provider_key()
    if key in registry:
        return []
    return [
        Error(
            f"PAYMENT_PROVIDER is {key!r}, which is no registered payment provider.",
            hint=f"Use one of {registry.keys()}.",
            id="payments.E001",
        )
    ]


@register(Tags.security, deploy=True)
def no_test_provider_in_production(app_configs, **kwargs):
    if payment_provider_key() != "test" or settings.DEBUG:
        return []
    return [
        Warning(
            "The built-in test payment provider is active: fees are 'paid' without money "
            "changing hands (or, with PAYMENT_TEST_PROVIDER_ENABLED off, cannot be paid).",
            hint="Set PAYMENT_PROVIDER to a real provider. Only a public demo should run "
            "the test provider without DEBUG.",
            id="payments.W001",
        )
    ]
