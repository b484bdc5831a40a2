"""The payment providers this installation knows, by key.

Built-in providers register on import (``apps.PaymentsConfig.ready``); the active one is
chosen by the ``PAYMENT_PROVIDER`` setting. Tests build their own registry and put it in
place of ``registry`` where they need a fake provider.
"""

from __future__ import annotations

from ..conf import payment_provider_key
from .base import PaymentProvider


class UnknownPaymentProvider(LookupError):
    pass


class ProviderRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, PaymentProvider] = {}

    def register(self, provider_class: type[PaymentProvider]) -> type[PaymentProvider]:
        """Register a provider class (usable as a class decorator)."""
        key = provider_class.key
        known = self._providers.get(key)
        if known is not None and type(known) is not provider_class:
            raise ValueError(
                f"Two payment providers use the key {key!r}: {type(known).__name__} and "
                f"{provider_class.__name__}. Give one of them another key."
            )
        self._providers[key] = provider_class()
        return provider_class

    def get(self, key: str) -> PaymentProvider:
        try:
            return self._providers[key]
        except KeyError:
            raise UnknownPaymentProvider(
                f"No payment provider {key!r} is registered; known: {sorted(self._providers)}. "
                "Check PAYMENT_PROVIDER and that the provider's module is imported."
            ) from None

    def active(self) -> PaymentProvider:
        """The provider new payments go to (setting ``PAYMENT_PROVIDER``)."""
        return self.get(payment_provider_key())

    def __contains__(self, key: object) -> bool:
        return key in self._providers

    def keys(self) -> list[str]:
        return sorted(self._providers)


registry = ProviderRegistry()
