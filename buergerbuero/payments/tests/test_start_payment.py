"""start_payment: a fee is paid once per purpose, however often the citizen starts it."""

import pytest
from django.db import IntegrityError, transaction

from buergerbuero.payments import lock_objects, services
from buergerbuero.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransition,
    TransitionSource,
)
from buergerbuero.payments.selectors import payment_for

from .conftest import RETURN_URL

pytestmark = pytest.mark.django_db


def test_a_new_payment_is_open_at_the_test_provider_and_its_creation_is_logged(start):
    payment, redirect_url = start()

    assert payment.status == PaymentStatus.OPEN
    assert (payment.amount_cents, payment.currency, payment.provider) == (1800, "EUR", "test")
    assert redirect_url == f"/bezahlen/testanbieter/{payment.uuid}/"
    (created,) = payment.transitions.all()
    assert (created.from_status, created.to_status, created.source) == ("", "open", "system")
    assert payment_for("application:3f6c") == payment


def test_starting_again_with_the_same_amount_resumes_the_open_payment(start):
    first, first_url = start()

    again, again_url = start(return_url="/en/antraege/3f6c/zahlung/")

    assert again.pk == first.pk and again_url == first_url
    assert Payment.objects.count() == 1
    again.refresh_from_db()
    assert again.return_url == "/en/antraege/3f6c/zahlung/"  # back to the citizen's language


def test_a_changed_fee_cancels_the_open_payment_and_starts_a_new_one(start):
    old, _ = start(amount_cents=1800)

    new, redirect_url = start(amount_cents=2500)

    old.refresh_from_db()
    assert old.status == PaymentStatus.CANCELLED
    cancelled = old.transitions.get(to_status=PaymentStatus.CANCELLED)
    assert cancelled.source == TransitionSource.SYSTEM and "2500" in cancelled.detail
    assert new.pk != old.pk and new.status == PaymentStatus.OPEN and new.amount_cents == 2500
    assert redirect_url == f"/bezahlen/testanbieter/{new.uuid}/"
    assert payment_for("application:3f6c") == new


def test_a_paid_purpose_is_never_charged_again(start):
    paid, _ = start()
    services.transition(paid, PaymentStatus.PAID, source=TransitionSource.PROVIDER)

    again, redirect_url = start(amount_cents=2500)

    assert again.pk == paid.pk and again.status == PaymentStatus.PAID
    assert redirect_url == f"{RETURN_URL}?zahlung={paid.uuid}"
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("ending", [PaymentStatus.CANCELLED, PaymentStatus.FAILED])
def test_after_a_cancelled_or_failed_payment_a_new_one_starts(start, ending):
    first, _ = start()
    services.transition(first, ending, source=TransitionSource.PROVIDER)

    second, _ = start()

    assert second.pk != first.pk and second.status == PaymentStatus.OPEN


def test_purposes_do_not_share_payments(start):
    one, _ = start(purpose="application:one")
    other, _ = start(purpose="application:other")
    assert one.pk != other.pk


def test_a_payment_at_another_provider_is_replaced_when_the_provider_changes(
    start, fake_provider, settings
):
    at_test_provider, _ = start()
    settings.PAYMENT_PROVIDER = "fake"

    at_fake, redirect_url = start()

    at_test_provider.refresh_from_db()
    assert at_test_provider.status == PaymentStatus.CANCELLED
    assert at_fake.provider == "fake"
    assert redirect_url == f"https://pay.example.invalid/{at_fake.uuid}"


def test_the_provider_is_asked_first_so_a_payment_paid_meanwhile_is_not_charged_again(
    start, fake_provider, settings
):
    settings.PAYMENT_PROVIDER = "fake"
    payment, _ = start()
    fake_provider.reports = PaymentStatus.PAID  # paid at the provider, no callback yet

    again, redirect_url = start()

    assert again.pk == payment.pk and again.status == PaymentStatus.PAID
    assert redirect_url == f"{RETURN_URL}?zahlung={payment.uuid}"
    assert again.transitions.get(to_status="paid").source == TransitionSource.PROVIDER


def test_the_database_allows_one_live_payment_per_purpose(start):
    payment, _ = start()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            purpose=payment.purpose,
            amount_cents=900,
            description="zweite",
            return_url=RETURN_URL,
            provider="test",
        )


def test_a_concurrent_start_that_loses_the_insert_resumes_the_winners_payment(start, monkeypatch):
    winner, _ = start()
    real_lock = lock_objects.payments_lock_live
    calls = []

    def lock_seeing_nothing_first(*, purpose):
        # The first attempt runs as if the winner had not committed yet.
        calls.append(purpose)
        return [] if len(calls) == 1 else real_lock(purpose=purpose)

    monkeypatch.setattr(lock_objects, "payments_lock_live", lock_seeing_nothing_first)

    loser, _ = start()

    assert loser.pk == winner.pk and len(calls) == 2
    assert Payment.objects.count() == 1
    assert PaymentTransition.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"return_url": "https://evil.example/"}, "return_url"),
        ({"return_url": "//evil.example/"}, "return_url"),
        ({"return_url": "antraege/"}, "return_url"),
        ({"return_url": "https://testserver@evil.example/"}, "return_url"),
        ({"return_url": "javascript:alert(1)"}, "return_url"),
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -100}, "amount_cents"),
        ({"amount_cents": 18.0}, "amount_cents"),
        ({"amount_cents": True}, "amount_cents"),
        ({"purpose": ""}, "purpose"),
    ],
)
def test_bad_arguments_are_refused_with_a_hint(start, changes, message):
    with pytest.raises(ValueError, match=message):
        start(**changes)
    assert not Payment.objects.exists()


def test_an_absolute_return_url_of_our_own_host_is_accepted(start):
    # request.build_absolute_uri(...) in a view; the test client's host is "testserver".
    payment, _ = start(return_url="http://testserver/antraege/3f6c/zahlung/")
    assert payment.return_url == "http://testserver/antraege/3f6c/zahlung/"
