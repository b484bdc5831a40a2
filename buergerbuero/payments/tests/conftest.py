import logging

import pytest

from buergerbuero.payments import services
from buergerbuero.payments.providers.base import PaymentProvider
from buergerbuero.payments.providers.registry import ProviderRegistry
from buergerbuero.payments.providers.test import BuiltinTestProvider

RETURN_URL = "/antraege/3f6c/zahlung/"


@pytest.fixture
def start():
    """Start a payment with sensible defaults: ``start(amount_cents=2000)``."""

    def _start(**overrides):
        arguments = {
            "purpose": "application:3f6c",
            "amount_cents": 1800,
            "description": "Anwohnerparkausweis",
            "return_url": RETURN_URL,
            **overrides,
        }
        return services.start_payment(**arguments)

    return _start


class FakeProvider(PaymentProvider):
    """A provider that can be asked for a status: set ``reports`` in the test."""

    key = "fake"
    verbose_name = "Fake"
    reports = None

    def begin(self, payment):
        return f"https://pay.example.invalid/{payment.uuid}"

    def fetch_status(self, payment):
        return self.reports


@pytest.fixture
def fake_provider(monkeypatch):
    """A registry of the test provider and a fake one, put in place of the real registry."""
    registry = ProviderRegistry()
    registry.register(BuiltinTestProvider)
    registry.register(FakeProvider)
    monkeypatch.setattr(services, "registry", registry)
    provider = registry.get("fake")
    provider.reports = None
    return provider


@pytest.fixture
def payments_log(caplog):
    """caplog for this app's loggers ("buergerbuero" does not propagate to the root)."""
    logger = logging.getLogger("buergerbuero.payments")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="buergerbuero.payments"):
            yield caplog
    finally:
        logger.removeHandler(caplog.handler)
