"""XBezahldienste adapter against the stand-in service: opening and resuming a session,
polling the status, and every way the service can fail (the citizen's payment stays open).

The stand-in (``testing/xbezahldienste_server.py``) is a real HTTP server that checks
authentication and the PaymentRequest schema as the standard describes them.
"""

import json
import logging
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from buergerbuero.payments import services
from buergerbuero.payments.models import Payment, PaymentStatus, TransitionSource
from buergerbuero.payments.providers import xbezahldienste as adapter
from buergerbuero.payments.providers.base import PaymentProviderUnavailable
from buergerbuero.payments.providers.registry import registry
from buergerbuero.payments.testing import xbezahldienste_server
from buergerbuero.payments.testing.xbezahldienste_server import XBezahldiensteStandIn

from .conftest import RETURN_URL

pytestmark = pytest.mark.django_db
xbezahldienste = xbezahldienste_server.xbezahldienste  # the fixture


@pytest.fixture(autouse=True)
def _no_tokens_between_tests():
    """Every test starts without a cached bearer token (each stand-in issues its own)."""
    adapter._tokens = adapter._Tokens()


def start_fee(amount_cents=1800, purpose="application:3f6c", **overrides):
    return services.start_payment(
        purpose=purpose,
        amount_cents=amount_cents,
        description=overrides.pop("description", "Anwohnerparkausweis"),
        return_url=overrides.pop("return_url", RETURN_URL),
        **overrides,
    )


# ============================================================================ money


@pytest.mark.parametrize(
    ("cents", "euros"),
    [(1, "0.01"), (10, "0.10"), (1800, "18.00"), (1999, "19.99"), (99999999, "999999.99")],
)
def test_cents_and_decimal_euros_convert_exactly_both_ways(cents, euros):
    assert str(adapter.cents_to_euros(cents)) == euros
    assert adapter.euros_to_cents(json.loads(euros, parse_float=Decimal)) == cents
    assert adapter.json_dumps({"grosAmount": adapter.cents_to_euros(cents)}) == (
        f'{{"grosAmount":{euros}}}'
    )


@pytest.mark.parametrize("bad", ["19.999", 19.99, "NaN", True, "-1.00", "1e3"])
def test_amounts_that_are_not_whole_cents_are_refused(bad):
    value = json.loads(bad, parse_float=Decimal) if bad in ("19.999",) else bad
    with pytest.raises(ValueError):
        adapter.euros_to_cents(value)


def test_no_float_can_sneak_into_a_request():
    with pytest.raises(TypeError):
        adapter.json_dumps({"grosAmount": 18.0})


# ============================================================================ begin


def test_starting_a_fee_opens_a_transaction_and_sends_the_citizen_to_its_page(xbezahldienste):
    payment, url = start_fee(amount_cents=1999)

    payment.refresh_from_db()
    [transaction] = xbezahldienste.transactions.values()
    assert url == xbezahldienste.page_url(transaction.transaction_id)
    assert (payment.provider, payment.provider_reference, payment.provider_url) == (
        "xbezahldienste",
        transaction.transaction_id,
        url,
    )
    # What went over the wire: exact decimal euros, the Kassenzeichen as Verwendungszweck,
    # our absolute return URL and the callback URL.
    [body] = xbezahldienste.bodies
    assert b'"grosAmount":19.99' in body and b'"totalNetAmount":19.99' in body
    request = transaction.request
    assert request["purpose"] == payment.reference.code
    assert request["redirectUrl"] == f"http://127.0.0.1:8000{RETURN_URL}?zahlung={payment.uuid}"
    assert request["notifyUrl"] == "http://127.0.0.1:8000/bezahlen/rueckmeldung/xbezahldienste/"
    assert request["description"] == "Anwohnerparkausweis"
    assert xbezahldienste.tokens_issued == 1


def test_the_citizen_sees_the_amount_on_the_hosted_page(xbezahldienste):
    import httpx

    _, url = start_fee(amount_cents=123456)

    page = httpx.get(url)

    assert page.status_code == 200
    assert '<strong id="betrag">1.234,56 €</strong>' in page.text
    assert "Bezahlen" in page.text and "Abbrechen" in page.text


def test_a_description_with_characters_the_standard_does_not_allow_is_cleaned(xbezahldienste):
    start_fee(description="Bewohnerparkausweis (Zone 3) – 2027 / Köln €")

    [transaction] = xbezahldienste.transactions.values()
    assert transaction.request["description"] == "Bewohnerparkausweis Zone 3 2027 Köln"


def test_coming_back_to_an_open_payment_resumes_its_session(xbezahldienste):
    payment, first_url = start_fee()

    again, again_url = start_fee()

    assert again.pk == payment.pk and again_url == first_url
    assert len(xbezahldienste.transactions) == 1  # no second session at the service
    assert xbezahldienste.tokens_issued == 1  # the token is reused too


def test_a_session_the_service_no_longer_knows_is_replaced(xbezahldienste):
    payment, first_url = start_fee()
    xbezahldienste.transactions.clear()  # e.g. expired and purged at the service

    again, again_url = start_fee()

    again.refresh_from_db()
    assert again.pk == payment.pk and again_url != first_url
    [transaction] = xbezahldienste.transactions.values()
    assert again.provider_reference == transaction.transaction_id


def test_a_session_paid_meanwhile_is_recorded_and_not_reopened(xbezahldienste):
    payment, _ = start_fee()
    xbezahldienste.settle(payment.provider_reference, "PAYED", notify=False)

    again, url = start_fee()

    again.refresh_from_db()
    assert again.pk == payment.pk and again.status == PaymentStatus.PAID
    assert url == f"{RETURN_URL}?zahlung={payment.uuid}"
    assert again.transitions.get(to_status="paid").source == TransitionSource.PROVIDER
    assert len(xbezahldienste.transactions) == 1


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("503", "HTTP 503"),
        ("drop", "RemoteProtocolError"),
        ("slow", "no answer within 1 s"),
        ("garbage", "unreadable answer"),
    ],
)
def test_a_service_that_is_down_keeps_the_payment_open(
    xbezahldienste, payments_log, fault, expected
):
    xbezahldienste.fault = fault
    xbezahldienste.slow_seconds = 1.5

    with pytest.raises(PaymentProviderUnavailable):
        start_fee()

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.OPEN and payment.provider_reference == ""
    assert expected in payments_log.text
    # Back up: the next attempt resumes the same payment and opens its session.
    xbezahldienste.fault = None
    again, url = start_fee()
    assert again.pk == payment.pk and url.startswith(xbezahldienste.base_url)


def test_an_unreachable_service_keeps_the_payment_open(xbezahldienste, payments_log):
    with (
        override_settings(XBEZAHLDIENSTE_URL="http://127.0.0.1:9/api/"),
        pytest.raises(PaymentProviderUnavailable),
    ):
        start_fee()

    assert Payment.objects.get().status == PaymentStatus.OPEN
    assert "ConnectError" in payments_log.text


def test_wrong_client_credentials_are_reported_without_the_secret(xbezahldienste, payments_log):
    with (
        override_settings(XBEZAHLDIENSTE_CLIENT_SECRET="not-the-secret"),
        pytest.raises(PaymentProviderUnavailable),
    ):
        start_fee()

    errors = [r for r in payments_log.records if r.levelno == logging.ERROR]
    assert errors and "check XBEZAHLDIENSTE_CLIENT_ID" in errors[0].getMessage()
    assert "not-the-secret" not in payments_log.text
    assert xbezahldienste.client_secret not in payments_log.text


def test_a_revoked_token_is_replaced_once_and_the_request_goes_through(xbezahldienste):
    start_fee(purpose="application:first")
    xbezahldienste.revoke_tokens()

    _, url = start_fee(purpose="application:second")

    assert url.startswith(xbezahldienste.base_url)
    assert xbezahldienste.tokens_issued == 2
    assert [status for method, path, status in xbezahldienste.log if method == "POST"][-3:] == [
        401,
        200,
        200,
    ]  # refused with the old token, new token, accepted


def test_an_expired_token_is_renewed_before_it_is_used(xbezahldienste):
    xbezahldienste.token_lifetime = 1  # we renew at 90 % of its life
    start_fee(purpose="application:first")
    time.sleep(0.95)

    start_fee(purpose="application:second")

    assert xbezahldienste.tokens_issued == 2
    assert 401 not in [status for _, _, status in xbezahldienste.log]


def test_http_basic_authentication_where_the_service_uses_it(db):
    service = XBezahldiensteStandIn(auth="basic", callback_mode="manual")
    with service, override_settings(**service.settings()):
        _, url = start_fee()
        assert url.startswith(service.base_url)
        with (
            override_settings(XBEZAHLDIENSTE_CLIENT_SECRET="wrong"),
            pytest.raises(PaymentProviderUnavailable),
        ):
            start_fee(purpose="application:other")

    assert service.tokens_issued == 0
    assert [status for method, _, status in service.log if method == "POST"] == [200, 401]


def test_the_service_refuses_a_request_outside_the_schema_and_the_payment_stays_open(
    xbezahldienste, payments_log
):
    with (
        override_settings(XBEZAHLDIENSTE_ENDPOINT_ID="anderer-ort"),
        pytest.raises(PaymentProviderUnavailable),
    ):
        start_fee()

    assert "NO_VALID_ORIGINATOR_OR_ENDPOINT" in payments_log.text
    assert Payment.objects.get().status == PaymentStatus.OPEN


def test_the_stand_in_refuses_amounts_that_do_not_add_up_or_are_not_numbers():
    from buergerbuero.payments.testing.xbezahldienste_server import Invalid, validate_request

    request = {
        "requestId": "r1",
        "requestTimestamp": "2026-12-02T10:00:00.000Z",
        "currency": "EUR",
        "grosAmount": Decimal("18.00"),
        "redirectUrl": "https://example.org/x",
        "items": [
            {"id": "1", "quantity": 1, "totalNetAmount": Decimal("17.00"), "totalTaxAmount": 0}
        ],
    }
    with pytest.raises(Invalid) as calculation:
        validate_request(request, notify_url_field="notifyUrl")
    with pytest.raises(Invalid) as text_amount:
        validate_request({**request, "grosAmount": "18.00"}, notify_url_field="notifyUrl")

    assert calculation.value.code == "CALCULATION_ERROR"
    assert text_amount.value.code == "VALIDATION_ERROR"


# ============================================================================ polling


def test_polling_alone_sees_the_payment_pending_then_paid(
    xbezahldienste, django_capture_on_commit_callbacks
):
    payment, _ = start_fee()

    services.refresh_status(payment)
    assert payment.status == PaymentStatus.PENDING  # at the service, not finished
    xbezahldienste.settle(payment.provider_reference, "PAYED", notify=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.refresh_status(payment)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.paid_at is not None
    paid = payment.transitions.get(to_status="paid")
    assert (paid.source, paid.detail) == (TransitionSource.PROVIDER, "Statusabfrage.")
    assert xbezahldienste.deliveries == []  # no callback was involved


@pytest.mark.parametrize(
    ("at_service", "ours"), [("CANCELED", PaymentStatus.CANCELLED), ("FAILED", "failed")]
)
def test_polling_records_a_cancelled_or_failed_payment(xbezahldienste, at_service, ours):
    payment, _ = start_fee()
    xbezahldienste.settle(payment.provider_reference, at_service, notify=False)

    services.refresh_status(payment)

    assert payment.status == ours


def test_a_paid_status_over_another_amount_is_not_recorded(xbezahldienste, payments_log):
    payment, _ = start_fee(amount_cents=1800)
    transaction = xbezahldienste.transactions[payment.provider_reference]
    transaction.request["grosAmount"] = Decimal("1.80")  # the service's record is off
    xbezahldienste.settle(payment.provider_reference, "PAYED", notify=False)

    services.refresh_status(payment)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN
    assert "is over 180 cents, the payment over 1800; not recorded" in payments_log.text


def test_polling_while_the_service_is_down_changes_nothing(xbezahldienste, payments_log):
    payment, _ = start_fee()
    xbezahldienste.fault = "503"

    services.refresh_status(payment)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN
    assert "HTTP 503" in payments_log.text


# ============================================================================ checks


def test_checks_refuse_xbezahldienste_without_its_settings():
    with (
        override_settings(PAYMENT_PROVIDER="xbezahldienste", XBEZAHLDIENSTE_URL=""),
        pytest.raises(SystemCheckError) as error,
    ):
        call_command("check")

    assert "payments.E003" in str(error.value) and "XBEZAHLDIENSTE_URL" in str(error.value)


def test_checks_warn_when_callbacks_are_off(xbezahldienste):
    with override_settings(XBEZAHLDIENSTE_CALLBACK_SECRET=""):
        messages = registry.get("xbezahldienste").check_configuration()

    assert [m.id for m in messages] == ["payments.W002"]


def test_selecting_the_empty_epaybl_slot_is_an_error_and_cannot_take_money(db):
    with override_settings(PAYMENT_PROVIDER="epaybl"):
        with pytest.raises(SystemCheckError) as error:
            call_command("check")
        with pytest.raises(PaymentProviderUnavailable, match="empty slot"):
            start_fee()

    assert "payments.E002" in str(error.value)
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.OPEN
    assert registry.get("epaybl").fetch_status(payment) is None


def test_a_malformed_setting_is_a_check_error_and_never_crashes_a_citizens_request(
    xbezahldienste,
):
    with override_settings(XBEZAHLDIENSTE_TIMEOUT="zehn"):
        messages = registry.get("xbezahldienste").check_configuration()
        with pytest.raises(PaymentProviderUnavailable):
            start_fee()

    assert [m.id for m in messages] == ["payments.E003"]
    assert "XBEZAHLDIENSTE_TIMEOUT" in messages[0].msg
