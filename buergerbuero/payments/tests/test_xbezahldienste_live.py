"""The whole round trip over real HTTP: our server (pytest-django's ``live_server``), the
stand-in XBezahldienste service, and the citizen's browser in between (httpx)."""

import threading

import httpx
import pytest

from buergerbuero.payments import services
from buergerbuero.payments.models import Payment, PaymentStatus, TransitionSource
from buergerbuero.payments.providers import xbezahldienste as adapter
from buergerbuero.payments.signals import payment_status_changed
from buergerbuero.payments.testing import xbezahldienste_server

from .conftest import RETURN_URL

pytestmark = pytest.mark.django_db(transaction=True)
xbezahldienste_live = xbezahldienste_server.xbezahldienste_live  # the fixture


@pytest.fixture(autouse=True)
def _no_tokens_between_tests():
    adapter._tokens = adapter._Tokens()


def test_pay_at_the_service_and_its_signed_callback_marks_the_payment_paid(
    xbezahldienste_live, live_server
):
    heard, lock = [], threading.Lock()

    def receiver(sender, payment, old_status, new_status, source, **kwargs):
        with lock:
            heard.append((payment.pk, old_status, new_status, source))

    payment_status_changed.connect(receiver)
    try:
        # Given a fee the citizen is sent to pay at the service,
        payment, url = services.start_payment(
            purpose="application:3f6c",
            amount_cents=1800,
            description="Anwohnerparkausweis",
            return_url=RETURN_URL,
        )
        with httpx.Client(base_url=xbezahldienste_live.base_url) as browser:
            page = browser.get(url)
            assert "18,00 €" in page.text
            # when they press "Bezahlen", the service sends them back to us
            back = browser.post(url, data={"aktion": "bezahlen"})
            assert back.status_code == 303
            assert back.headers["location"] == (
                f"{live_server.url}{RETURN_URL}?zahlung={payment.uuid}"
            )
        # and calls back our server over HTTP, signed.
        xbezahldienste_live.wait_idle(timeout=10)
    finally:
        payment_status_changed.disconnect(receiver)

    [delivery] = xbezahldienste_live.deliveries
    assert delivery.url == f"{live_server.url}/bezahlen/rueckmeldung/xbezahldienste/"
    assert delivery.answers == [204]
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.PAID
    assert payment.transitions.get(to_status="paid").source == TransitionSource.PROVIDER
    assert heard == [(payment.pk, "open", "paid", "provider")]


def test_a_late_duplicate_and_a_delayed_old_status_change_nothing(xbezahldienste_live):
    payment, _ = services.start_payment(
        purpose="application:3f6c",
        amount_cents=1800,
        description="Anwohnerparkausweis",
        return_url=RETURN_URL,
    )
    payment.refresh_from_db()
    reference = payment.provider_reference
    xbezahldienste_live.settle(reference, "PAYED")
    xbezahldienste_live.callback(reference, status="INITIAL", delay=0.3)  # overtaken
    xbezahldienste_live.callback(reference, times=3, delay=0.2)  # repeated

    xbezahldienste_live.wait_idle(timeout=10)

    answers = sorted(d.answers[0] for d in xbezahldienste_live.deliveries)
    assert answers == [200, 204, 204, 204, 204]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert list(payment.transitions.values_list("to_status", flat=True)) == ["open", "paid"]
