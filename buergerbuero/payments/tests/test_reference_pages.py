"""Paying a Kassenzeichen from a letter (verwarngeld-bezahlen): look it up, see what it is
for, pay online or scan the GiroCode, get the receipt."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buergerbuero.payments.models import Payment, PaymentStatus
from buergerbuero.payments.providers.base import PaymentProviderUnavailable
from buergerbuero.payments.providers.test import BuiltinTestProvider
from buergerbuero.payments.references import code_make, reference_import

from .girocode_reading import epc_fields, qr_texts

pytestmark = pytest.mark.django_db

LOOKUP = "/bezahlen/"


@pytest.fixture
def fine():
    return reference_import(
        code=code_make(88880001, prefix="54"),
        purpose="verwarnung:VG-TEST-1",
        amount_cents=3500,
        description="Verwarnungsgeld VG-TEST-1: Parken im Halteverbot",
        issuer="Ordnungsamt",
    )


def reference_url(reference) -> str:
    return reverse("payments:reference", kwargs={"code": reference.code})


def unlock(client, reference, amount="35,00"):
    response = client.post(LOOKUP, {"code": reference.code_display, "amount": amount})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_the_service_page_leads_to_the_payment_form(client):
    page = client.get("/leistungen/verwarngeld-bezahlen/").content.decode()
    assert 'href="/bezahlen/"' in page
    assert "Online bezahlen" in page


def test_code_and_amount_from_the_letter_show_what_it_is_for(client, fine):
    response = unlock(client, fine, amount="35")
    assert response["Location"] == reference_url(fine)
    page = client.get(reference_url(fine)).content.decode()
    assert "Parken im Halteverbot" in page
    assert "35,00" in page
    assert "Ordnungsamt" in page


def test_a_typo_in_the_code_is_explained_and_what_was_typed_stays(client, fine):
    typo = fine.code[:3] + str((int(fine.code[3]) + 1) % 10) + fine.code[4:]
    response = client.post(LOOKUP, {"code": typo, "amount": "35,00"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "Prüfziffern" in page
    assert f'value="{typo}"' in page and 'value="35,00"' in page


def test_a_wrong_amount_finds_nothing_and_reveals_nothing(client, fine):
    response = client.post(LOOKUP, {"code": fine.code, "amount": "30,00"})
    assert response.status_code == 404
    assert "Parken" not in response.content.decode()
    assert client.get(reference_url(fine)).status_code == 404


def test_an_unparseable_amount_gets_a_message(client, fine):
    response = client.post(LOOKUP, {"code": fine.code, "amount": "fünf Euro"})
    assert response.status_code == 422
    assert "Betrag in Euro" in response.content.decode()


def test_guessing_is_stopped_after_ten_failures(client, fine):
    for cents in range(1, 11):
        client.post(LOOKUP, {"code": fine.code, "amount": f"{cents},00"})
    response = client.post(LOOKUP, {"code": fine.code, "amount": "35,00"})
    assert response.status_code == 429
    assert "Zu viele" in response.content.decode()


def test_the_girocode_carries_recipient_iban_amount_and_kassenzeichen(client, fine):
    unlock(client, fine)
    page = client.get(reference_url(fine)).content.decode()
    assert '<svg role="img"' in page and "<title>GiroCode zum Überweisen" in page
    assert "DE89 3704 0044 0532 0130 00" in page
    png = client.get(reverse("payments:girocode", kwargs={"code": fine.code}))
    assert png["Content-Type"] == "image/png"
    (payload,) = qr_texts(png.content)
    fields = epc_fields(payload)
    assert fields["name"] == "Stadtkasse Köln"
    assert fields["iban"] == "DE89370400440532013000"
    assert fields["bic"] == "COBADEFFXXX"
    assert fields["amount_cents"] == 3500
    assert fields["purpose"] == "" and fields["structured_reference"] == ""
    assert fine.code in fields["text"]
    assert fields["text"].startswith(f"Kassenzeichen {fine.code}")
    assert len(fields["text"]) <= 140


def test_paying_online_charges_what_is_open_whatever_the_browser_sends(
    client, fine, django_capture_on_commit_callbacks
):
    unlock(client, fine)
    response = client.post(reference_url(fine), {"amount_cents": "1", "betrag": "0,01"})
    assert response.status_code == 302
    payment = Payment.objects.get(reference=fine)
    assert payment.amount_cents == 3500
    with django_capture_on_commit_callbacks(execute=True):
        back = client.post(response["Location"], {"aktion": "bezahlen"})
    page = client.get(back["Location"], follow=True).content.decode()
    assert "Vielen Dank" in page
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    # no second charge from a second click
    response = client.post(reference_url(fine))
    assert Payment.objects.filter(reference=fine).count() == 1
    receipt = client.get(reverse("payments:receipt", kwargs={"payment_id": payment.uuid}))
    assert receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")


def test_a_provider_that_is_down_offers_the_transfer_and_loses_nothing(client, fine, monkeypatch):
    def down(self, payment):
        raise PaymentProviderUnavailable("test: provider down")

    monkeypatch.setattr(BuiltinTestProvider, "begin", down)
    unlock(client, fine)
    response = client.post(reference_url(fine))
    page = response.content.decode()
    assert response.status_code == 503
    assert "nicht erreichbar" in page
    assert 'href="#ueberweisung"' in page and "DE89 3704 0044" in page
    payment = Payment.objects.get(reference=fine)
    assert payment.status == PaymentStatus.OPEN  # kept; a retry resumes it


def test_closing_the_tab_at_the_provider_leaves_the_payment_to_resume(client, fine):
    unlock(client, fine)
    first = client.post(reference_url(fine))["Location"]
    # the citizen closed the tab; later they come back and press pay again
    second = client.post(reference_url(fine))["Location"]
    assert first == second
    assert Payment.objects.filter(reference=fine).count() == 1


def test_someone_elses_reference_is_not_found(client, fine, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="pw-123456789")
    fine.user = owner
    fine.save()
    assert client.get(reference_url(fine)).status_code == 404
    client.force_login(owner)
    assert client.get(reference_url(fine)).status_code == 200
