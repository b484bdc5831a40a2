"""The cash office: who may enter, refunds with a reason the citizen sees, overpayments."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from buergerbuero.payments.models import BANK_TRANSFER, PaymentStatus, TransitionSource
from buergerbuero.payments.references import reference_for
from buergerbuero.payments.services import payment_record_received, transition

pytestmark = pytest.mark.django_db

CASH_PAGES = ["payments:cash_overview", "payments:cash_payments"]


@pytest.fixture
def clerk(django_user_model):
    user = django_user_model.objects.create_user(
        "kasse-test", password="pw-123456789", is_staff=True, first_name="Sabine", last_name="K"
    )
    user.user_permissions.add(Permission.objects.get(codename="work_cash_office"))
    return user


@pytest.fixture
def citizen(django_user_model):
    return django_user_model.objects.create_user(
        "citizen-test", password="pw-123456789", email="citizen@example.org"
    )


@pytest.fixture
def paid(citizen):
    reference = reference_for(
        purpose="application:refund-test",
        amount_cents=1800,
        description="Bewohnerparkausweis",
        user=citizen,
    )
    return payment_record_received(
        reference,
        channel=BANK_TRANSFER,
        amount_cents=1800,
        source=TransitionSource.BANK_STATEMENT,
        detail="Kontoauszug test.xml",
    )


@pytest.mark.parametrize("name", CASH_PAGES)
def test_anonymous_visitors_are_sent_to_the_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/anmelden/" in response["Location"]


@pytest.mark.parametrize("name", CASH_PAGES)
def test_citizens_and_caseworkers_without_the_right_are_refused(client, citizen, name):
    client.force_login(citizen)
    assert client.get(reverse(name)).status_code == 403
    from django.contrib.auth import get_user_model

    caseworker = get_user_model().objects.get(username="sb-ordnungsamt")
    client.force_login(caseworker)
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert "Stadtkasse" in response.content.decode()


def test_a_refund_needs_a_reason_and_keeps_what_was_typed(client, clerk, paid):
    client.force_login(clerk)
    url = reverse("payments:cash_payment", kwargs={"payment_id": paid.uuid})
    response = client.post(url, {"reason": ""})
    assert response.status_code == 422
    assert "Grund der Erstattung" in response.content.decode()
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.PAID


def test_a_refund_is_logged_with_the_clerk_and_the_citizen_sees_why(
    client, clerk, citizen, paid, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    url = reverse("payments:cash_payment", kwargs={"payment_id": paid.uuid})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Doppelt bezahlt, online und per Überweisung."})
    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED
    refund = paid.transitions.last()
    assert (refund.source, refund.actor, refund.detail) == (
        "clerk",
        clerk,
        "Doppelt bezahlt, online und per Überweisung.",
    )
    (email,) = [m for m in mail.outbox if "Erstattung" in m.subject]
    assert email.to == ["citizen@example.org"]
    assert "Doppelt bezahlt" in email.body
    client.force_login(citizen)
    page = client.get(reverse("payments:reference", kwargs={"code": paid.reference.code}))
    assert "Doppelt bezahlt, online und per Überweisung." in page.content.decode()
    # a second refund of the same payment is refused
    client.force_login(clerk)
    assert client.post(url, {"reason": "nochmal"}).status_code == 409


def test_a_purpose_paid_twice_is_listed_for_a_refund(client, clerk, paid):
    late = payment_record_received(
        paid.reference,
        channel=BANK_TRANSFER,
        amount_cents=1800,
        source=TransitionSource.BANK_STATEMENT,
        detail="zweite Überweisung",
    )
    assert late.status == PaymentStatus.PAID
    client.force_login(clerk)
    page = client.get(reverse("payments:cash_overview")).content.decode()
    assert paid.reference.code_display in page
    assert "36,00" in page and "18,00" in page


def test_a_late_confirmation_of_a_cancelled_online_payment_is_kept(paid):
    """The online attempt was cancelled because the money came by transfer; the provider
    confirms it later: both are recorded and the reference shows as overpaid."""
    from buergerbuero.payments.models import Payment
    from buergerbuero.payments.selectors import balance_of

    online = Payment.objects.create(
        purpose=paid.purpose,
        reference=paid.reference,
        description="x",
        amount_cents=1800,
        provider="test",
        return_url="/",
        status=PaymentStatus.CANCELLED,
    )
    transition(online, PaymentStatus.PAID, source=TransitionSource.PROVIDER, detail="late")
    assert balance_of(paid.reference).overpaid_cents == 1800


def test_the_cash_office_finds_a_payment_by_its_number_or_kassenzeichen(client, clerk, paid):
    client.force_login(clerk)
    url = reverse("payments:cash_payments")
    detail = reverse("payments:cash_payment", kwargs={"payment_id": paid.uuid})
    for query in (str(paid.uuid), paid.reference.code_display, paid.reference.code[:6]):
        assert detail in client.get(url, {"q": query}).content.decode(), query
    assert detail not in client.get(url, {"q": "5399 9999 9999"}).content.decode()
