"""System checks against the test provider in production; payments in the admin."""

import pytest

from buergerbuero.payments import services
from buergerbuero.payments.checks import no_test_provider_in_production, payment_provider_known
from buergerbuero.payments.models import PaymentStatus, TransitionSource


def test_check_deploy_warns_when_the_test_provider_runs_without_debug(settings):
    settings.DEBUG = False
    settings.PAYMENT_PROVIDER = "test"
    assert [w.id for w in no_test_provider_in_production(None)] == ["payments.W001"]


def test_no_warning_in_development(settings):
    settings.DEBUG = True
    assert no_test_provider_in_production(None) == []


def test_an_unknown_provider_is_an_error(settings):
    settings.PAYMENT_PROVIDER = "kein-anbieter"
    (error,) = payment_provider_known(None)
    assert error.id == "payments.E001" and "'test'" in error.hint
    settings.PAYMENT_PROVIDER = "test"
    assert payment_provider_known(None) == []


@pytest.mark.django_db
def test_staff_filter_payments_and_see_the_transition_log(admin_client, start):
    payment, _ = start(description="Bewohnerparkausweis Sülz")
    services.transition(
        payment, PaymentStatus.PAID, source=TransitionSource.PROVIDER, detail="Rückruf 42"
    )

    listing = admin_client.get("/admin/payments/payment/?status__exact=paid")
    assert listing.status_code == 200
    assert "Bewohnerparkausweis Sülz" in listing.content.decode()
    assert "18,00 €" in listing.content.decode()
    assert (
        "Bewohnerparkausweis"
        not in admin_client.get("/admin/payments/payment/?status__exact=open")
        .content.decode()
        .split('id="result_list"')[-1]
    )

    detail = admin_client.get(f"/admin/payments/payment/{payment.pk}/change/").content.decode()
    assert "Statusänderungen" in detail and "Rückruf 42" in detail
    assert admin_client.get("/admin/payments/payment/add/").status_code == 403


@pytest.mark.django_db
def test_the_admin_changes_no_payment_refunds_go_through_the_cash_office(admin_client, start):
    paid, _ = start(purpose="application:paid")
    services.transition(paid, PaymentStatus.PAID, source=TransitionSource.PROVIDER)

    page = admin_client.get("/admin/payments/payment/").content.decode()
    response = admin_client.post(
        "/admin/payments/payment/",
        {"action": "mark_refunded", "_selected_action": [paid.pk]},
    )

    paid.refresh_from_db()
    assert paid.status == PaymentStatus.PAID
    assert "mark_refunded" not in page
    assert response.status_code in (200, 302)
