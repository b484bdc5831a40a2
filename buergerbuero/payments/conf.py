"""The payments app's settings, read at call time (so ``override_settings`` works).

- ``PAYMENT_PROVIDER`` (default ``"test"``): key of the provider new payments go to.
- ``PAYMENT_TEST_PROVIDER_ENABLED`` (default: ``DEBUG or DEMO_MODE``): serve the built-in
  test provider's page. Off, the page answers 404, so production cannot "pay" without money.
- ``PAYMENT_LOOKUP_SERVICES`` (default ``["verwarngeld-bezahlen"]``): services whose online
  channel is "pay a Kassenzeichen from a letter" (``/bezahlen/``) rather than a form.
- ``PAYMENT_REFERENCE_PREFIX`` (default ``"53"``): the first digits of every Kassenzeichen
  this installation makes (``references.py``).
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


DEFAULT_LOOKUP_SERVICES = ("verwarngeld-bezahlen",)


def lookup_page_for(service) -> tuple[str, str] | None:
    """The service page's button for paying a Kassenzeichen (catalog next step)."""
    from django.urls import reverse
    from django.utils.translation import gettext

    slugs = getattr(settings, "PAYMENT_LOOKUP_SERVICES", DEFAULT_LOOKUP_SERVICES)
    if service.slug not in slugs:
        return None
    return reverse("payments:lookup"), gettext("Online bezahlen")
