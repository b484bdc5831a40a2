"""The payments app's settings, read at call time (so ``override_settings`` works).

- ``PAYMENT_PROVIDER`` (default ``"test"``): key of the provider new payments go to.
- ``PAYMENT_TEST_PROVIDER_ENABLED`` (default: ``DEBUG or DEMO_MODE``): serve the built-in
  test provider's page. Off, the page answers 404, so production cannot "pay" without money.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_PROVIDER = "test"


def payment_provider_key() -> str:
    return getattr(settings, "PAYMENT_PROVIDER", DEFAULT_PROVIDER) or DEFAULT_PROVIDER


def is_test_provider_enabled() -> bool:
    enabled = getattr(settings, "PAYMENT_TEST_PROVIDER_ENABLED", None)
    if enabled is None:
        return bool(settings.DEBUG or getattr(settings, "DEMO_MODE", False))
    return bool(enabled)
