"""Callbacks from XBezahldienste: ``POST /bezahlen/rueckmeldung/xbezahldienste/``.

The stand-in service sends them as a real service would (signed, retried); here they are
delivered through Django's test client in the test's thread (``deliver_pending``). What
an operator or the service sees: the HTTP answer, the payment's status and its log.
"""

import json
import logging

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buergerbuero.payments import services
from buergerbuero.payments.models import Payment, PaymentStatus, TransitionSource
from buergerbuero.payments.providers import xbezahldienste as adapter
from buergerbuero.payments.signals import payment_status_changed
from buergerbuero.payments.testing import xbezahldienste_server

from .conftest import RETURN_URL

pytestmark = pytest.mark.django_db
xbezahldienste = xbezahldienste_server.xbezahldienste  # the fixture

CALLBACK_URL = "/bezahlen/rueckmeldung/xbezahldienste/"


@pytest.fixture(autouse=True)
def _no_tokens_between_tests():
    adapter._tokens = adapter._Tokens()


@pytest.fixture
def status_changes():
    """Every payment_status_changed signal as (payment pk, old, new, source)."""
    heard = []

    def receiver(sender, payment, old_status, new_status, source, **kwargs):
        heard.append((payment.pk, old_status, new_status, source))

    payment_status_changed.connect(receiver)
    yield heard
    payment_status_changed.disconnect(receiver)


@pytest.fixture
def payment(xbezahldienste):
    """An open payment with a session at the stand-in service."""
    payment, _ = services.start_payment(
        purpose="application:3f6c",
        amount_cents=1800,
        description="Anwohnerparkausweis",
        return_url=RETURN_URL,
    )
    payment.refresh_from_db()
    return payment


def post_signed(client, secret, data, *, signature=None):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(
        CALLBACK_URL,
        data=body,
        content_type="application/json",
        headers={"X-XBezahldienste-Signature": signature or adapter.sign(secret, body)},
    )


def test_the_url_of_the_callback(xbezahldienste):
    assert reverse("payments:provider_callback", args=["xbezahldienste"]) == CALLBACK_URL


def test_paying_on_the_page_sends_a_signed_callback_that_marks_the_payment_paid(
    xbezahldienste, payment, client, status_changes, django_capture_on_commit_callbacks
):
    import httpx

    # The citizen presses "Bezahlen" on the service's page and is sent back to us.
    answer = httpx.post(
        xbezahldienste.page_url(payment.provider_reference), data={"aktion": "bezahlen"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        f"http://127.0.0.1:8000{RETURN_URL}?zahlung={payment.uuid}"
    )

    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = xbezahldienste.deliver_pending()

    assert delivery.answers == [204] and delivery.done
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    paid = payment.transitions.get(to_status="paid")
    assert (paid.source, paid.detail) == (TransitionSource.PROVIDER, "XBezahldienste meldet PAYED.")
    assert status_changes == [(payment.pk, "open", "paid", "provider")]


def test_ten_identical_callbacks_record_one_change(
    xbezahldienste, payment, status_changes, django_capture_on_commit_callbacks
):
    xbezahldienste.settle(payment.provider_reference, "PAYED", notify=False)
    xbezahldienste.callback(payment.provider_reference, times=10)

    with django_capture_on_commit_callbacks(execute=True):
        deliveries = xbezahldienste.deliver_pending()

    assert [d.answers for d in deliveries] == [[204]] * 10
    assert payment.transitions.filter(to_status="paid").count() == 1
    assert len(status_changes) == 1


def test_a_callback_is_one_query_and_a_change_two_writes_without_a_lock(xbezahldienste, payment):
    """Pinned: every callback, repeats included, finds its payment with one query; a
    change adds one compare-and-set UPDATE and the log row, and locks no row."""
    xbezahldienste.settle(payment.provider_reference, "PAYED", notify=False)
    queries = []
    for _ in range(2):
        xbezahldienste.callback(payment.provider_reference)
        with CaptureQueriesContext(connection) as captured:
            [delivery] = xbezahldienste.deliver_pending()
        assert delivery.answers == [204]
        queries.append([q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]])

    (found, update, insert), (found_again,) = queries
    assert "WHERE provider = 'xbezahldienste' AND provider_reference = " in found
    assert found_again == found
    assert update.startswith("UPDATE payments_payment ") and "AND status = 'open'" in update
    assert insert.startswith("INSERT INTO payments_paymenttransition ")
    assert not any("FOR UPDATE" in sql for sql in (found, update, insert))


def test_an_old_status_arriving_after_the_payment_is_ignored(xbezahldienste, payment, payments_log):
    xbezahldienste.settle(payment.provider_reference, "PAYED")
    xbezahldienste.callback(payment.provider_reference, status="INITIAL")  # delayed in transit

    paid, late_initial = xbezahldienste.deliver_pending()

    assert paid.answers == [204]
    assert late_initial.answers == [200] and late_initial.done  # the service stops retrying
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.transitions.count() == 2  # created, paid
    assert "reports pending after paid; ignored (out of order)" in payments_log.text


def test_an_initial_callback_moves_an_open_payment_to_pending(xbezahldienste, payment):
    xbezahldienste.callback(payment.provider_reference)  # status INITIAL

    [delivery] = xbezahldienste.deliver_pending()

    assert delivery.answers == [204]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize("signature", ["wrong", "missing"])
def test_a_forged_callback_is_refused_and_changes_nothing(
    xbezahldienste, payment, payments_log, signature
):
    xbezahldienste.settle(payment.provider_reference, "PAYED", notify=False)
    xbezahldienste.callback(payment.provider_reference, signature=signature)

    [delivery] = xbezahldienste.deliver_pending()

    assert delivery.answers == [403]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN
    assert payment.transitions.count() == 1
    assert f"refused: {'wrong' if signature == 'wrong' else 'no'} signature" in payments_log.text


def test_callbacks_are_refused_while_no_secret_is_configured(xbezahldienste, payment):
    xbezahldienste.settle(payment.provider_reference, "PAYED", notify=False)
    xbezahldienste.callback(payment.provider_reference)

    with override_settings(XBEZAHLDIENSTE_CALLBACK_SECRET=""):
        [delivery] = xbezahldienste.deliver_pending()

    assert delivery.answers == [403]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN


def test_a_paid_callback_over_another_amount_does_not_mark_the_payment_paid(
    xbezahldienste, payment, payments_log
):
    xbezahldienste.settle(payment.provider_reference, "PAYED", notify=False)
    xbezahldienste.callback(payment.provider_reference, amount_cents=1799)  # signed, but off

    [delivery] = xbezahldienste.deliver_pending()

    assert delivery.answers == [200]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN
    errors = {r.getMessage() for r in payments_log.records if r.levelno == logging.ERROR}
    assert errors == {
        f"payment {payment.uuid}: XBezahldienste callback report PAYED is over 1799 cents, "
        "the payment over 1800; not recorded"
    }


def test_a_paid_callback_without_an_amount_is_not_recorded(xbezahldienste, payment, client):
    body = {"paymentInformation": {"transactionId": payment.provider_reference, "status": "PAYED"}}

    response = post_signed(client, xbezahldienste.callback_secret, body)

    assert response.status_code == 200
    assert response.json() == {"reason": "amount_mismatch"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN


def test_a_callback_for_an_unknown_transaction_is_answered_404(xbezahldienste, payment, client):
    body = {
        "paymentRequest": {"grosAmount": 18.00, "currency": "EUR"},
        "paymentInformation": {"transactionId": "XBZ-NOT-OURS", "status": "PAYED"},
    }

    response = post_signed(client, xbezahldienste.callback_secret, body)

    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"paymentInformation": {"status": "PAYED"}}',
        b'{"paymentInformation": {"transactionId": "x", "status": "BEZAHLT"}}',
        b'{"paymentInformation": {"transactionId": "x", "status": "PAYED"},'
        b' "paymentRequest": {"grosAmount": 18.005}}',
    ],
    ids=["no-json", "no-object", "no-id", "unknown-status", "fraction-of-a-cent"],
)
def test_a_signed_but_unreadable_callback_is_answered_400(xbezahldienste, client, body):
    response = post_signed(client, xbezahldienste.callback_secret, body)

    assert response.status_code == 400


def test_an_oversized_callback_is_answered_413_before_anything_else(xbezahldienste, client):
    body = b'{"x": "' + b"a" * (64 * 1024) + b'"}'

    response = post_signed(client, xbezahldienste.callback_secret, body)

    assert response.status_code == 413


def test_only_post_is_accepted(client):
    assert client.get(CALLBACK_URL).status_code == 405


@pytest.mark.parametrize(("key", "status"), [("kein-anbieter", 404), ("test", 404)])
def test_unknown_providers_and_providers_without_callbacks_are_answered_404(client, key, status):
    response = client.post(f"/bezahlen/rueckmeldung/{key}/", data=b"{}", content_type="x/y")

    assert response.status_code == status


def test_the_service_retries_while_we_answer_5xx_and_stops_after_a_bounded_number(
    xbezahldienste, payment, client
):
    answers = iter([503, 502])

    def flaky(url, body, headers):
        status = next(answers, None)
        if status is None:  # third attempt: we are back
            return xbezahldienste_server.django_client_transport(url, body, headers)
        return status

    xbezahldienste.settle(payment.provider_reference, "PAYED", notify=False)
    xbezahldienste.callback(payment.provider_reference)
    [recovered] = xbezahldienste.deliver_pending(transport=flaky)

    def down(url, body, headers):
        raise OSError("connection refused")

    xbezahldienste.callback(payment.provider_reference)
    [lost] = xbezahldienste.deliver_pending(transport=down)

    assert recovered.answers == [503, 502, 204] and recovered.done
    assert lost.answers == ["unreachable"] * xbezahldienste.max_attempts and lost.gave_up
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_money_arriving_after_the_citizen_switched_provider_is_recorded_and_flagged(
    xbezahldienste, payment, payments_log, status_changes, django_capture_on_commit_callbacks
):
    # The citizen gives up on this session and starts again with the built-in test
    # provider: the XBezahldienste payment is cancelled by the system.
    with override_settings(PAYMENT_PROVIDER="test"):
        services.start_payment(
            purpose="application:3f6c",
            amount_cents=1800,
            description="Anwohnerparkausweis",
            return_url=RETURN_URL,
        )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    # ... but had paid in the old tab after all.
    xbezahldienste.settle(payment.provider_reference, "PAYED")

    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = xbezahldienste.deliver_pending()

    assert delivery.answers == [204]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID  # money is never lost (transitions.py)
    warnings = [r.getMessage() for r in payments_log.records if r.levelno == logging.WARNING]
    assert any(w.startswith("LATE PAYMENT") and payment.reference.code in w for w in warnings), (
        warnings
    )
    assert (payment.pk, "cancelled", "paid", "provider") in status_changes
    assert Payment.objects.filter(purpose="application:3f6c").count() == 2
