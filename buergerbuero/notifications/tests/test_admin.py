"""The outbox in the admin: a read-only record with a "resend" action."""

import pytest
from django.urls import reverse

from buergerbuero.notifications.models import OutgoingEmail
from buergerbuero.notifications.services import Attachment, send_email

pytestmark = pytest.mark.django_db


def failed_email(smtp_server, django_capture_on_commit_callbacks, settings) -> OutgoingEmail:
    settings.EMAIL_MAX_ATTEMPTS = 1
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        email = send_email(
            to="buerger@example.org",
            template="notifications/email/test_message",
            context={},
            attachments=[Attachment("Bescheid.pdf", b"%PDF-1.4\n", "application/pdf")],
            topic="notifications.test",
        )
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED
    return email


def test_the_outbox_list_and_a_read_only_email(
    admin_client, smtp_server, django_capture_on_commit_callbacks, settings
):
    email = failed_email(smtp_server, django_capture_on_commit_callbacks, settings)

    listing = admin_client.get(reverse("admin:notifications_outgoingemail_changelist"))
    detail = admin_client.get(reverse("admin:notifications_outgoingemail_change", args=[email.pk]))

    assert listing.status_code == 200
    assert "Virtuelles Bürgerbüro: Testnachricht" in listing.content.decode()
    assert "Fehlgeschlagen" in listing.content.decode()
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "ConnectionRefusedError" in page
    assert "diese Nachricht prüft" in page
    assert "<textarea" not in page  # bodies are read-only
    assert "Bescheid.pdf" in page
    assert reverse("admin:notifications_outgoingemail_add") not in listing.content.decode()


def test_resend_sends_a_failed_email_and_skips_a_sent_one(
    admin_client, smtp_server, django_capture_on_commit_callbacks, settings
):
    email = failed_email(smtp_server, django_capture_on_commit_callbacks, settings)
    smtp_server.start()
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_email(
            to="b@example.org", template="notifications/email/test_message", context={}
        )
    assert len(smtp_server.messages) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:notifications_outgoingemail_changelist"),
            {"action": "resend", "_selected_action": [email.pk, sent.pk]},
            follow=True,
        )

    page = response.content.decode()
    assert "1 E-Mail wird erneut gesendet." in page
    assert "1 E-Mail wurde übersprungen" in page
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 1)
    assert [m["To"] for m in smtp_server.messages] == ["b@example.org", "buerger@example.org"]
