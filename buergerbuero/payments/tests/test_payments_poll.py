"""The hourly housekeeping asks providers about payments nobody came back from."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from buergerbuero.payments.models import Payment, PaymentStatus
from buergerbuero.payments.providers.base import PaymentProviderUnavailable
from buergerbuero.payments.tasks import payments_poll

pytestmark = pytest.mark.django_db


def aged(payment: Payment, minutes: int) -> Payment:
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes)
    )
    return payment


def test_a_payment_paid_at_the_provider_is_settled_though_the_tab_was_closed(
    fake_provider, start, settings
):
    settings.PAYMENT_PROVIDER = "fake"
    old, _ = start(purpose="application:closed-tab")
    young, _ = start(purpose="application:still-paying")
    aged(old, 30)
    aged(young, 1)
    fake_provider.reports = PaymentStatus.PAID

    assert payments_poll() == 1

    old.refresh_from_db()
    young.refresh_from_db()
    assert old.status == PaymentStatus.PAID
    assert old.transitions.last().source == "provider"
    assert young.status == PaymentStatus.OPEN  # the citizen may still be at the provider


def test_a_provider_that_is_down_stops_the_round_and_changes_nothing(
    fake_provider, start, settings, monkeypatch, payments_log
):
    settings.PAYMENT_PROVIDER = "fake"
    payment, _ = start(purpose="application:down")
    aged(payment, 30)

    def down(self, payment):
        raise PaymentProviderUnavailable("no answer")

    monkeypatch.setattr(type(fake_provider), "fetch_status", down)

    assert payments_poll() == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN
    assert "unavailable" in payments_log.text


def test_coming_back_while_the_provider_is_down_shows_the_payment_as_it_was(
    fake_provider, start, settings, monkeypatch
):
    from buergerbuero.payments.services import refresh_status

    settings.PAYMENT_PROVIDER = "fake"
    payment, _ = start(purpose="application:return-while-down")

    def down(self, payment):
        raise PaymentProviderUnavailable("no answer")

    monkeypatch.setattr(type(fake_provider), "fetch_status", down)
    assert refresh_status(payment).status == PaymentStatus.OPEN
    with pytest.raises(PaymentProviderUnavailable):
        refresh_status(payment, raise_unavailable=True)
