"""The accessibility statement's feedback form: reports land in a tracked queue, the
city's contact is told, bad input keeps what was typed."""

import pytest
from django.core import mail

from buergerbuero.pages.models import AccessibilityFeedback

pytestmark = pytest.mark.django_db


def test_a_report_is_stored_as_new_and_the_contact_is_emailed(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/barrierefreiheit/",
            {
                "message": "Der Kontrast der Fußzeile ist zu gering.",
                "page_url": "/kontakt/",
                "email": "anna@example.org",
            },
            follow=True,
        )
    assert "Vielen Dank" in response.content.decode()
    feedback = AccessibilityFeedback.objects.get()
    assert feedback.status == AccessibilityFeedback.Status.NEW
    assert feedback.page_url == "/kontakt/"
    assert mail.outbox[0].to == ["barrierefreiheit@stadt-koeln.de"]
    assert "Kontrast der Fußzeile" in mail.outbox[0].body


def test_bad_input_shows_a_message_and_keeps_what_was_typed(client):
    response = client.post(
        "/barrierefreiheit/",
        {"message": "", "page_url": "/suche/", "name": "Anna Schmidt", "email": "kein-at"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bitte beschreiben Sie die Barriere." in html
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in html
    assert 'value="Anna Schmidt"' in html and 'value="kein-at"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_message_helptext id_message_error"' in html
    assert not AccessibilityFeedback.objects.exists()


def test_english_form_errors_are_english(client):
    html = client.post("/en/barrierefreiheit/", {"message": ""}).content.decode()
    assert "Please describe the barrier." in html


def test_the_page_link_can_be_prefilled(client):
    html = client.get("/barrierefreiheit/", {"seite": "/leistungen/reisepass/"}).content.decode()
    assert 'value="/leistungen/reisepass/"' in html


def test_staff_work_the_queue_in_the_admin(admin_client, admin_user):
    feedback = AccessibilityFeedback.objects.create(message="Button ohne Namen")
    listing = admin_client.get("/admin/pages/accessibilityfeedback/?status__exact=new")
    assert "Button ohne Namen" in listing.content.decode()
    admin_client.post(
        f"/admin/pages/accessibilityfeedback/{feedback.pk}/change/",
        {"status": "in_progress", "handled_by": "", "internal_note": "Ticket 42"},
    )
    feedback.refresh_from_db()
    assert feedback.status == "in_progress"
    assert feedback.handled_by == admin_user
