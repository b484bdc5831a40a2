"""A citizen applies: steps, messages, going back, uploads, checking, paying, submitting."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from buergerbuero.applications.models import Application, ApplicationStatus, Case
from buergerbuero.applications.services import definition_import
from buergerbuero.payments.models import Payment, PaymentStatus

from .conftest import (
    TEST_SERVICE,
    free_sample_definition,
    licence_data,
    person_data,
    png_file,
)

pytestmark = pytest.mark.django_db


def start(client) -> Application:
    response = client.post(reverse("applications:start", args=[TEST_SERVICE]))
    assert response.status_code == 302
    return Application.objects.latest("created_at")


def step_url(application, key):
    return reverse("applications:step", args=[application.public_id, key])


def summary_url(application):
    return reverse("applications:summary", args=[application.public_id])


def test_service_page_offers_the_online_application(client, definition):
    page = client.get(reverse("catalog:service", args=[TEST_SERVICE])).content.decode()
    assert reverse("applications:start", args=[TEST_SERVICE]) in page
    assert "Online beantragen" in page


def test_a_service_without_form_shows_no_online_button(client, definition):
    definition.delete()
    # another service with an online channel but no form in this test: the button must
    # not lead nowhere
    response = client.get(reverse("applications:start", args=[TEST_SERVICE]))
    assert response.status_code == 404


def test_bad_input_gets_clear_german_messages_and_keeps_what_was_typed(client, definition):
    application = start(client)
    response = client.post(
        step_url(application, "person"),
        person_data(
            name="",
            geburt_0="31",
            geburt_1="2",
            anschrift__postcode="5082",
            email="erika(at)example",
            telefon="12",
        ),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Bitte prüfen Sie 5 Angaben" in page
    assert "Bitte füllen Sie dieses Feld aus." in page
    assert "Dieses Datum gibt es nicht" in page
    assert "Eine Postleitzahl hat fünf Ziffern" in page
    assert "Bitte geben Sie eine E-Mail-Adresse ein" in page
    assert "gültige Telefonnummer" in page
    # everything typed is still there, the good and the bad
    assert 'value="Venloer Straße 123"' in page
    assert 'value="erika(at)example"' in page
    assert 'value="31"' in page
    # the summary links to the fields
    assert 'href="#id_name"' in page


def test_messages_in_english_for_english_readers(client, definition):
    response = client.post(
        reverse("applications:start", args=[TEST_SERVICE]), HTTP_ACCEPT_LANGUAGE="en"
    )
    application = Application.objects.latest("created_at")
    url = "/en" + step_url(application, "person")
    response = client.post(url, person_data(name=""))
    assert response.status_code == 422
    assert "Please fill in this field." in response.content.decode()


def test_back_and_leaving_never_lose_input(client, definition):
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    # half-filled second step, then "Zurück": saved without complaint
    response = client.post(
        step_url(application, "schein"), licence_data(action="back", anzahl="", art="fuenf")
    )
    assert response.status_code == 302
    assert response["Location"].endswith(step_url(application, "person"))
    page = client.get(step_url(application, "schein")).content.decode()
    assert 'value="fuenf" checked' in page or re.search(r'value="fuenf"[^>]*checked', page)
    # messages are shown only on "Weiter", never for a saved half-filled step
    assert "kern-error" not in page


def test_conditional_field_is_required_only_when_shown(client, definition):
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    response = client.post(step_url(application, "schein"), licence_data(ermaessigt="ja"))
    assert response.status_code == 422
    assert "Bitte laden Sie eine Datei hoch." in response.content.decode()
    response = client.post(step_url(application, "schein"), licence_data(ermaessigt="nein"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.answers["ermaessigt"] is False
    assert application.documents.count() == 0  # the hidden upload field asked for nothing


def test_upload_is_kept_while_other_fields_are_wrong_and_a_bad_file_is_refused(client, definition):
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    exe = SimpleUploadedFile("nachweis.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    response = client.post(
        step_url(application, "schein"),
        {**licence_data(ermaessigt="ja", anzahl=""), "nachweis": exe},
    )
    assert response.status_code == 422
    assert "nachweis.pdf:" in response.content.decode()
    assert application.documents.count() == 0
    response = client.post(
        step_url(application, "schein"),
        {**licence_data(ermaessigt="ja", anzahl=""), "nachweis": png_file()},
    )
    assert response.status_code == 422  # the number is still missing …
    document = application.documents.get()  # … but the photo is on record
    assert document.content_type in ("image/png", "image/jpeg")
    assert document.name in response.content.decode()
    response = client.post(step_url(application, "schein"), licence_data(ermaessigt="ja"))
    assert response.status_code == 302  # the earlier upload satisfies the field


def test_group_items_can_be_added_and_removed_without_losing_the_others(client, definition):
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    url = step_url(application, "schein")
    data = licence_data(action="add:begleitung")
    client.post(url, data)
    page = client.get(url).content.decode()
    assert 'name="begleitung__0__vorname"' in page
    data = licence_data(
        action="add:begleitung", begleitung__count="1", begleitung__0__vorname="Ada"
    )
    client.post(url, data)
    data = licence_data(
        action="remove:begleitung:0",
        begleitung__count="2",
        begleitung__0__vorname="Ada",
        begleitung__1__vorname="Ben",
    )
    client.post(url, data)
    page = client.get(url).content.decode()
    assert 'value="Ben"' in page and 'value="Ada"' not in page
    response = client.post(
        url,
        licence_data(begleitung__count="1", begleitung__0__vorname="Ben", begleitung__0__alter="9"),
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.answers["begleitung"] == [{"vorname": "Ben", "alter": "9"}]


def test_logged_in_citizen_sees_prefilled_and_marked_fields(client, definition):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="buerger"))
    application = start(client)
    page = client.get(step_url(application, "person")).content.decode()
    assert 'value="Mehmet Yılmaz"' in page
    assert 'value="Venloer Straße 123"' in page
    assert "Aus Ihrem Konto übernommen" in page


def test_free_application_is_submitted_once_with_a_readable_reference(client, definition):
    definition_import(free_sample_definition())
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(step_url(application, "schein"), licence_data())
    response = client.post(summary_url(application), {})
    assert response.status_code == 422
    assert "Bitte bestätigen Sie Ihre Angaben." in response.content.decode()
    assert not Case.objects.filter(application=application).exists()
    response = client.post(summary_url(application), {"confirm": "on"})
    assert response.status_code == 302
    case = Case.objects.get(application=application)
    assert re.fullmatch(r"K-\d{4}-\d{6}", case.reference)
    # a second click, a resent form: still one case
    response = client.post(summary_url(application), {"confirm": "on"})
    assert response.status_code == 302
    assert Case.objects.filter(application=application).count() == 1
    page = client.get(response["Location"], follow=True).content.decode()
    assert case.reference in page


def test_fee_is_paid_before_submission_and_a_cancelled_payment_keeps_the_draft(
    client, definition, django_capture_on_commit_callbacks
):
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(step_url(application, "schein"), licence_data(art="fuenf", anzahl="2"))
    page = client.get(summary_url(application)).content.decode()
    assert "96,00" in page  # 2 × 48,00 €
    response = client.post(summary_url(application), {"confirm": "on"})
    assert response.status_code == 302
    payment = Payment.objects.get(purpose=application.payment_purpose)
    assert payment.amount_cents == 9600
    provider_page = response["Location"]
    # the citizen cancels at the provider
    response = client.post(provider_page, {"aktion": "abbrechen"})
    response = client.get(response["Location"], follow=True)
    assert "abgebrochen" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert not Case.objects.filter(application=application).exists()
    # tries again and pays
    response = client.post(summary_url(application), {"confirm": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response["Location"], {"aktion": "bezahlen"})
    response = client.get(response["Location"])
    assert response.status_code == 302
    case = Case.objects.get(application=application)
    assert (
        Payment.objects.filter(
            purpose=application.payment_purpose, status=PaymentStatus.PAID
        ).count()
        == 1
    )
    # coming back again (reload, back button) changes nothing and charges nothing
    client.get(reverse("applications:payment_return", args=[application.public_id]))
    assert Case.objects.filter(application=application).count() == 1
    assert (
        Payment.objects.filter(purpose=application.payment_purpose)
        .exclude(status=PaymentStatus.CANCELLED)
        .count()
        == 1
    )
    assert case.reference


def test_receipt_pdf_and_email_after_submission(
    client, definition, django_capture_on_commit_callbacks
):
    from pypdf import PdfReader

    application = start(client)
    client.post(
        step_url(application, "person"), person_data(name="<script>alert(1)</script> Erika")
    )
    client.post(step_url(application, "schein"), licence_data(art="fuenf", anzahl="1"))
    response = client.post(summary_url(application), {"confirm": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response["Location"], {"aktion": "bezahlen"})
    with django_capture_on_commit_callbacks(execute=True):
        client.get(response["Location"])
    case = Case.objects.get(application=application)
    receipt = application.documents.get(kind="receipt")
    text = "".join(page.extract_text() for page in PdfReader(receipt.file.open("rb")).pages)
    assert case.reference in text
    assert "<script>alert(1)</script> Erika" in text
    assert "48,00" in text
    message = next(m for m in mail.outbox if m.to == ["erika@example.org"])
    assert case.reference in message.subject
    assert message.attachments[0][0].endswith(".pdf")
    # the summary page showed the script as text, not as markup
    page = client.get(reverse("applications:submitted", args=[application.public_id])).content
    assert b"<script>alert(1)</script>" not in page


def test_anonymous_citizen_gets_a_resume_link_that_works_elsewhere(
    client, definition, django_capture_on_commit_callbacks
):
    from django.test import Client

    application = start(client)
    client.post(step_url(application, "person"), person_data())
    later = reverse("applications:save_for_later", args=[application.public_id])
    response = client.post(later, {"email": "kein-at-zeichen"})
    assert response.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        client.post(later, {"email": "erika@example.org"})
    message = mail.outbox[-1]
    link = re.search(r"https?://\S+/antrag/fortsetzen/\S+", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    other_device = Client()
    assert other_device.get(step_url(application, "person")).status_code == 404
    response = other_device.get("/" + path)
    assert response.status_code == 302
    page = other_device.get(response["Location"]).content.decode()
    assert "Ihr Fischereischein" in page
    wrong = "/" + path.rsplit("/", 2)[0] + "/falsch/"
    assert Client().get(wrong).status_code == 404


def test_someone_elses_application_and_case_are_not_found(client, definition):
    from django.test import Client

    application = start(client)
    intruder = Client()
    assert intruder.get(step_url(application, "person")).status_code == 404
    assert intruder.get(summary_url(application)).status_code == 404


def test_anonymous_citizen_follows_the_case_through_the_link_in_the_email(
    client, definition, django_capture_on_commit_callbacks
):
    from django.test import Client

    definition_import(free_sample_definition())
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(step_url(application, "schein"), licence_data())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(summary_url(application), {"confirm": "on"})
    case = Case.objects.get(application=application)
    message = next(m for m in mail.outbox if case.reference in m.subject)
    link = re.search(r"https?://\S+/antrag/fortsetzen/\S+", message.body).group(0)
    browser = Client()
    response = browser.get("/" + link.split("://", 1)[1].split("/", 1)[1], follow=True)
    assert response.status_code == 200
    assert case.reference in response.content.decode()


def test_uploaded_documents_have_no_public_address(client, definition, settings):
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(
        step_url(application, "schein"),
        {**licence_data(ermaessigt="ja"), "nachweis": png_file()},
    )
    document = application.documents.get()
    path = document.file.path
    assert not path.startswith(str(settings.MEDIA_ROOT))
    assert client.get(f"/media/{document.file.name}").status_code == 404
    from django.test import Client

    download = reverse("applications:my_document", args=[document.pk])
    assert Client().get(download).status_code == 404  # another browser
    assert client.get(download).status_code == 200  # the citizen's own


def test_going_back_from_a_correct_step_keeps_it_complete(client, definition):
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(step_url(application, "schein"), licence_data(action="back"))
    page = client.get(summary_url(application)).content.decode()
    assert "Es fehlen noch Angaben" not in page


def test_resume_links_are_limited_per_draft_and_hour(client, definition):
    application = start(client)
    later = reverse("applications:save_for_later", args=[application.public_id])
    for _ in range(3):
        assert client.post(later, {"email": "erika@example.org"}).status_code == 200
    response = client.post(later, {"email": "someone@example.org"})
    assert response.status_code == 422
    assert "mehrere Links angefordert" in response.content.decode()


def test_anonymous_citizen_writes_to_the_office_from_the_case_page(
    client, definition, django_capture_on_commit_callbacks
):
    definition_import(free_sample_definition())
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(step_url(application, "schein"), licence_data())
    client.post(summary_url(application), {"confirm": "on"})
    case = Case.objects.get(application=application)
    url = reverse("applications:my_case", args=[case.reference])
    assert client.post(url, {"nachricht": "1", "body": ""}).status_code == 422
    response = client.post(url, {"nachricht": "1", "body": "Ich bin ab Montag verreist."})
    assert response.status_code == 302
    assert case.messages.get().body == "Ich bin ab Montag verreist."


def test_the_assigned_caseworker_hears_of_a_citizens_message(
    client, definition, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    from buergerbuero.applications import casework

    definition_import(free_sample_definition())
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(step_url(application, "schein"), licence_data())
    client.post(summary_url(application), {"confirm": "on"})
    case = Case.objects.get(application=application)
    worker = get_user_model().objects.get(username="sb-umweltamt")
    casework.case_claim(case, user=worker, expected_version=case.version)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("applications:my_case", args=[case.reference]),
            {"nachricht": "1", "body": "Meine Telefonnummer hat sich geändert."},
        )
    message = next(m for m in mail.outbox if m.to == [worker.email])
    assert case.reference in message.subject
    assert "Telefonnummer" not in message.body  # personal data stays in the case file
    assert f"/sachbearbeitung/vorgaenge/{case.reference}/" in message.body


def test_a_file_for_a_question_no_longer_asked_is_not_kept(client, definition):
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    url = step_url(application, "schein")
    client.post(url, {**licence_data(ermaessigt="ja", anzahl=""), "nachweis": png_file()})
    assert application.documents.count() == 1
    # the citizen changes the answer: the proof is not needed, and not kept
    assert client.post(url, licence_data(ermaessigt="nein")).status_code == 302
    assert application.documents.count() == 0
    # a file sent for a hidden question is not stored at all
    client.post(url, {**licence_data(ermaessigt="nein"), "nachweis": png_file()})
    assert application.documents.count() == 0


def test_numbers_are_kept_as_numbers_people_read(client, definition):
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(
        step_url(application, "schein"),
        licence_data(
            art="fuenf", anzahl="5", begleitung__count="1",
            begleitung__0__vorname="Ben", begleitung__0__alter="10",
        ),
    )  # fmt: skip
    application.refresh_from_db()
    assert application.answers["anzahl"] == "5"
    assert application.answers["begleitung"][0]["alter"] == "10"  # not "1E+1"
    page = client.get(summary_url(application)).content.decode()
    assert "240,00" in page  # 5 × 48,00 €


def test_confirmation_page_waits_for_the_receipt_without_a_reload(client, definition):
    definition_import(free_sample_definition())
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(step_url(application, "schein"), licence_data())
    client.post(summary_url(application), {"confirm": "on"})
    url = reverse("applications:submitted", args=[application.public_id])
    page = client.get(url).content.decode()
    assert "Eingangsbestätigung herunterladen" in page and "every 2s" not in page
    application.documents.filter(kind="receipt").delete()  # as if the worker were busy
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "in wenigen Sekunden" in page


def test_a_refused_file_for_a_document_request_leaves_the_request_open(client):
    from django.contrib.auth import get_user_model

    from buergerbuero.applications import casework

    definition_import(free_sample_definition())
    application = start(client)
    client.post(step_url(application, "person"), person_data())
    client.post(step_url(application, "schein"), licence_data())
    client.post(summary_url(application), {"confirm": "on"})
    case = Case.objects.get(application=application)
    worker = get_user_model().objects.get(username="sb-umweltamt")
    request = casework.case_request_document(
        case, user=worker, description="Bitte den Personalausweis.", due_date=None,
        expected_version=case.version,
    )  # fmt: skip
    url = reverse("applications:my_case", args=[case.reference])
    exe = SimpleUploadedFile("ausweis.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    field = f"anforderung-{request.pk}-files"
    response = client.post(url, {"anforderung": request.pk, field: [exe, png_file("ausweis.png")]})
    assert response.status_code == 422
    assert "ausweis.pdf:" in response.content.decode()
    request.refresh_from_db()
    assert request.fulfilled_at is None and not request.documents.exists()  # all or nothing
    response = client.post(url, {"anforderung": request.pk, field: png_file("ausweis.png")})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.fulfilled_at is not None and request.documents.count() == 1
