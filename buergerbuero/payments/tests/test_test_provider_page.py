"""The built-in test provider's page, as a citizen uses it."""

import re

import pytest
from django.test import Client

from buergerbuero.payments.models import Payment, PaymentStatus, TransitionSource
from buergerbuero.payments.signals import payment_status_changed

from .conftest import RETURN_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(start):
    return start()[0]


def page(payment, language=""):
    return f"{language}/bezahlen/testanbieter/{payment.uuid}/"


def paid_transitions(payment):
    return payment.transitions.filter(to_status=PaymentStatus.PAID).count()


def test_the_page_shows_amount_description_and_three_buttons(client, payment):
    html = client.get(page(payment)).content.decode()

    assert "Testanbieter – es fließt kein echtes Geld" in html
    assert html.count("<h1") == 1
    amount = re.search(r"<dt[^>]*>Betrag</dt>\s*<dd[^>]*>([^<]*)</dd>", html)
    assert amount and amount.group(1) == "18,00 €"
    assert re.search(r"<dt[^>]*>Verwendungszweck</dt>\s*<dd[^>]*>Anwohnerparkausweis</dd>", html)
    buttons = re.findall(r'<button[^>]*name="aktion" value="(\w+)"', html)
    assert buttons == ["bezahlen", "abbrechen", "fehlschlag"]
    for label in ("Bezahlen", "Abbrechen", "Fehlschlag simulieren"):
        assert f'<span class="kern-label">{label}</span></button>' in html
    assert "csrfmiddlewaretoken" in html


def test_the_english_page_shows_the_amount_in_english(client, payment):
    html = client.get(page(payment, "/en")).content.decode()
    assert "€18.00" in html


def test_the_description_is_shown_as_text(client, start):
    payment, _ = start(description="<script>alert(1)</script> Gebühr")
    html = client.get(page(payment)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Gebühr" in html


def test_paying_marks_the_payment_paid_and_returns_with_its_id(client, payment):
    response = client.post(page(payment), {"aktion": "bezahlen"})

    assert response.status_code == 302
    assert response["Location"] == f"{RETURN_URL}?zahlung={payment.uuid}"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.paid_at is not None
    assert payment.transitions.last().source == TransitionSource.PROVIDER


def test_paying_twice_charges_once(client, payment):
    client.post(page(payment), {"aktion": "bezahlen"})

    again = client.post(page(payment), {"aktion": "bezahlen"})

    assert again.status_code == 302
    assert again["Location"] == f"{RETURN_URL}?zahlung={payment.uuid}"
    assert paid_transitions(payment) == 1


def test_cancelling_after_paying_in_another_tab_changes_nothing(client, payment):
    client.post(page(payment), {"aktion": "bezahlen"})
    response = client.post(page(payment), {"aktion": "abbrechen"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


@pytest.mark.parametrize(
    ("choice", "status"),
    [("abbrechen", PaymentStatus.CANCELLED), ("fehlschlag", PaymentStatus.FAILED)],
)
def test_cancel_and_failure_return_to_the_caller_unpaid(client, payment, choice, status):
    response = client.post(page(payment), {"aktion": choice})

    assert response["Location"] == f"{RETURN_URL}?zahlung={payment.uuid}"
    payment.refresh_from_db()
    assert payment.status == status and payment.paid_at is None


@pytest.mark.parametrize(
    ("choice", "status_text"),
    [("bezahlen", "bezahlt"), ("abbrechen", "abgebrochen"), ("fehlschlag", "fehlgeschlagen")],
)
def test_a_finished_payment_shows_its_status_and_a_link_back(client, payment, choice, status_text):
    client.post(page(payment), {"aktion": choice})

    html = client.get(page(payment)).content.decode()

    assert "<button" not in html.split('id="inhalt"')[1]  # no payment buttons in the main area
    assert re.search(rf"<dt[^>]*>Status</dt>\s*<dd[^>]*>{status_text}</dd>", html)
    assert f'href="{RETURN_URL}?zahlung={payment.uuid}"' in html


def test_the_return_url_keeps_its_own_parameters(client, start):
    payment, _ = start(return_url="/antraege/3f6c/?schritt=zahlung&zahlung=alt")
    response = client.post(page(payment), {"aktion": "bezahlen"})
    assert response["Location"] == f"/antraege/3f6c/?schritt=zahlung&zahlung={payment.uuid}"


def test_an_absolute_return_url_is_kept(client, start):
    payment, _ = start(return_url="http://testserver/antraege/3f6c/zahlung/")
    response = client.post(page(payment), {"aktion": "abbrechen"})
    assert response["Location"] == (
        f"http://testserver/antraege/3f6c/zahlung/?zahlung={payment.uuid}"
    )


def test_a_return_url_no_longer_ours_sends_the_citizen_home(client, payment):
    Payment.objects.filter(pk=payment.pk).update(return_url="https://elsewhere.example/")
    response = client.post(page(payment), {"aktion": "bezahlen"})
    assert response["Location"] == "/"


def test_an_unknown_choice_is_refused_and_changes_nothing(client, payment):
    response = client.post(page(payment), {"aktion": "verschenken"})
    assert response.status_code == 400
    assert "Bitte wählen Sie eine der Schaltflächen" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN


def test_the_form_needs_its_csrf_token(payment):
    response = Client(enforce_csrf_checks=True).post(page(payment), {"aktion": "bezahlen"})
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN


def test_paying_on_the_page_announces_the_change_once(
    client, payment, django_capture_on_commit_callbacks
):
    heard = []

    def receiver(sender, payment, old_status, new_status, **kwargs):
        heard.append((old_status, new_status))

    payment_status_changed.connect(receiver, weak=False, dispatch_uid="test-page")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(page(payment), {"aktion": "bezahlen"})
            client.post(page(payment), {"aktion": "bezahlen"})
    finally:
        payment_status_changed.disconnect(dispatch_uid="test-page")
    assert heard == [(PaymentStatus.OPEN, PaymentStatus.PAID)]


def test_the_page_is_not_served_when_switched_off(client, payment, settings):
    settings.PAYMENT_TEST_PROVIDER_ENABLED = False

    assert client.get(page(payment)).status_code == 404
    assert client.post(page(payment), {"aktion": "bezahlen"}).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN


def test_without_the_setting_the_page_follows_debug_and_demo_mode(client, payment, settings):
    del settings.PAYMENT_TEST_PROVIDER_ENABLED
    settings.DEBUG, settings.DEMO_MODE = False, False
    assert client.get(page(payment)).status_code == 404
    settings.DEMO_MODE = True
    assert client.get(page(payment)).status_code == 200


def test_the_page_never_settles_a_payment_of_another_provider(client, payment):
    Payment.objects.filter(pk=payment.pk).update(provider="xbezahldienste")
    assert client.post(page(payment), {"aktion": "bezahlen"}).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN


def test_an_unknown_payment_is_not_found(client):
    response = client.get("/bezahlen/testanbieter/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
