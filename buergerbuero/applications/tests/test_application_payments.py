"""Money in the application flow: transfer instead of online payment, a provider that is
down, and what an approving notice sets (the dog tax) with Kassenzeichen and GiroCode."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader

from buergerbuero.applications import casework
from buergerbuero.applications.models import Application, ApplicationStatus, Case, CaseStatus
from buergerbuero.payments.models import BANK_TRANSFER, Payment, TransitionSource
from buergerbuero.payments.providers.base import PaymentProviderUnavailable
from buergerbuero.payments.providers.test import BuiltinTestProvider
from buergerbuero.payments.selectors import balance_of, reference_of
from buergerbuero.payments.services import payment_record_received
from buergerbuero.payments.tests.girocode_reading import epc_fields, pdf_qr_texts

from .conftest import TEST_SERVICE, licence_data, person_data
from .test_demo_services import apply, submit

pytestmark = pytest.mark.django_db


def filled(client) -> Application:
    client.post(reverse("applications:start", args=[TEST_SERVICE]))
    application = Application.objects.latest("created_at")
    client.post(reverse("applications:step", args=[application.public_id, "person"]), person_data())
    client.post(
        reverse("applications:step", args=[application.public_id, "schein"]),
        licence_data(art="fuenf", anzahl="2"),
    )
    return application


def summary_url(application) -> str:
    return reverse("applications:summary", args=[application.public_id])


def test_a_citizen_may_submit_and_pay_the_fee_by_transfer(
    client, definition, django_capture_on_commit_callbacks
):
    application = filled(client)
    assert "per Überweisung bezahlen" in client.get(summary_url(application)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            summary_url(application), {"confirm": "on", "zahlweg": "ueberweisung"}
        )
    assert response.status_code == 302
    case = Case.objects.get(application=application)
    assert not Payment.objects.filter(purpose=application.payment_purpose).exists()
    reference = reference_of(application.payment_purpose)
    assert reference.amount_cents == 9600
    page = client.get(response["Location"]).content.decode()
    assert reference.code_display in page and "96,00" in page and '<svg role="img"' in page
    # the browser that filed it may open the payment page, though it has no account
    code_page = client.get(reverse("payments:reference", kwargs={"code": reference.code}))
    assert code_page.status_code == 200
    # the bank statement brings the money: the case shows it paid
    payment_record_received(
        reference,
        channel=BANK_TRANSFER,
        amount_cents=9600,
        source=TransitionSource.BANK_STATEMENT,
        detail="Kontoauszug",
    )
    assert balance_of(reference).is_paid
    assert list(Case.objects.filter(application=application)) == [case]  # not filed twice
    page = client.get(reverse("applications:submitted", args=[application.public_id]))
    assert "bezahlt" in page.content.decode()


def test_a_provider_that_is_down_keeps_the_draft_and_offers_the_transfer(
    client, definition, monkeypatch
):
    def down(self, payment):
        raise PaymentProviderUnavailable("test: down")

    monkeypatch.setattr(BuiltinTestProvider, "begin", down)
    application = filled(client)
    response = client.post(summary_url(application), {"confirm": "on"})
    page = response.content.decode()
    assert response.status_code == 503
    assert "nicht erreichbar" in page and "per Überweisung bezahlen" in page
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert str(application.answers["anzahl"]) == "2"  # nothing entered is lost
    assert not Case.objects.filter(application=application).exists()


def test_a_service_decided_at_once_waits_for_the_transferred_fee(
    client, django_capture_on_commit_callbacks
):
    from buergerbuero.applications.services import definition_import

    from .conftest import sample_definition

    definition_import(sample_definition(automatic=True))
    application = filled(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            summary_url(application), {"confirm": "on", "zahlweg": "ueberweisung"}
        )
    case = Case.objects.get(application=application)
    page = client.get(response["Location"]).content.decode()
    assert "sobald die Gebühr" in page and 'hx-trigger="every 2s"' not in page
    assert not case.notices.exists()  # no document before the money is in
    with django_capture_on_commit_callbacks(execute=True):
        payment_record_received(
            reference_of(application.payment_purpose),
            channel=BANK_TRANSFER,
            amount_cents=9600,
            source=TransitionSource.BANK_STATEMENT,
            detail="Kontoauszug",
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert case.notices.count() == 1


def decide(case: Case, username: str = "becker") -> Case:
    worker = get_user_model().objects.get(username=username)
    return casework.case_decide(
        case,
        user=worker,
        decision=CaseStatus.APPROVED,
        text="Erledigt.",
        expected_version=case.version,
    )


@pytest.fixture
def citizen(client):
    client.force_login(get_user_model().objects.get(username="buerger"))
    return client


def notice_pdf(case: Case) -> bytes:
    with case.notices.get().document.file.open("rb") as handle:
        return handle.read()


def test_the_dog_tax_notice_carries_kassenzeichen_and_a_girocode(
    citizen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(citizen, apply(citizen, "hund-anmelden", {"zahlungsart": "ueberweisung"}))
    decide(case)
    reference = reference_of(f"charge:{case.reference}")
    assert reference.amount_cents == 8700 and reference.due_date is not None
    assert not reference.mandates.exists()
    pdf = notice_pdf(case)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Kassenzeichen" in text and reference.code_display in text
    payloads = [epc_fields(t) for t in pdf_qr_texts(pdf) if t.startswith("BCD")]
    assert len(payloads) == 1
    (giro,) = payloads
    assert giro["iban"] == "DE89370400440532013000"
    assert giro["name"] == "Stadtkasse Köln"
    assert giro["amount_cents"] == 8700
    assert reference.code in giro["text"]
    # the citizen sees what is open on the case and can pay it
    page = citizen.get(reverse("applications:my_case", args=[case.reference])).content.decode()
    assert "87,00" in page and reference.code_display in page
    assert (
        citizen.get(reverse("payments:reference", kwargs={"code": reference.code})).status_code
        == 200
    )


def test_a_mandate_from_the_form_is_collected_not_transferred(
    citizen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(citizen, apply(citizen, "hund-anmelden", {"zahlungsart": "lastschrift"}))
    decide(case)
    reference = reference_of(f"charge:{case.reference}")
    mandate = reference.mandates.get(revoked_at__isnull=True)
    assert mandate.iban == "DE89370400440532013000"
    pdf = notice_pdf(case)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "SEPA-Lastschrift" in text and mandate.mandate_reference in text
    assert "DE98ZZZ09999999999" in text
    assert not [t for t in pdf_qr_texts(pdf) if t.startswith("BCD")]  # nothing to transfer
