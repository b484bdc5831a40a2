"""send_email → outbox → deliver_email → a real SMTP server (aiosmtpd)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from buergerbuero.notifications.models import OutgoingEmail
from buergerbuero.notifications.services import (
    MAX_ATTACHMENTS_BYTES,
    Attachment,
    EmailTooLarge,
    email_resend,
    send_email,
)
from buergerbuero.notifications.tasks import deliver_email

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def send_test_message(**kwargs) -> OutgoingEmail:
    arguments = {
        "to": "buerger@example.org",
        "template": "notifications/email/test_message",
        "context": {},
        "topic": "notifications.test",
    }
    return send_email(**{**arguments, **kwargs})


def test_an_email_with_a_pdf_reaches_the_mail_server(
    smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = send_test_message(
            attachments=[Attachment("Bescheid Müller.pdf", PDF, "application/pdf")]
        )

    [message] = smtp_server.messages
    assert message["Subject"] == "Virtuelles Bürgerbüro: Testnachricht"
    assert message["To"] == "buerger@example.org"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Message-ID"] == email.message_id
    assert message["Content-Language"] == "de"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Guten Tag,\n\ndiese Nachricht prüft, ob das Bürgerbüro")
    assert "Stadt Köln" in text.split("\n-- \n")[1]  # the city's footer
    html = message.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="de">' in html
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "Bescheid Müller.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    assert email.topic == "notifications.test"


def test_an_english_email_is_rendered_in_english(smtp_server, django_capture_on_commit_callbacks):
    with translation.override("de"), django_capture_on_commit_callbacks(execute=True):
        email = send_test_message(language="en")
        assert translation.get_language() == "de"  # the caller's language is left alone

    with translation.override("en"):
        expected = f"{gettext('Virtuelles Bürgerbüro')}: {gettext('Testnachricht')}"
    assert expected.startswith("Virtual Citizens' Office: ")
    [message] = smtp_server.messages
    assert message["Subject"] == expected == email.subject
    assert message["Content-Language"] == "en"
    assert '<html lang="en">' in message.get_body(preferencelist=("html",)).get_content()


def test_text_templates_are_not_html_escaped_and_have_one_subject_line(
    test_templates, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = send_email(
            to="buerger@example.org",
            template="notifications_test/plain",
            context={"company": "Müller & Söhne <GmbH>", "number": 7},
        )

    assert email.subject == "Eingang: Müller & Söhne <GmbH> (Nr. 7)"
    assert "wir haben die Anmeldung von Müller & Söhne <GmbH> erhalten.\n\nNummer: 7" in (
        email.body_text
    )
    assert email.body_html == ""
    [message] = smtp_server.messages
    assert message.get_content_type() == "text/plain"  # no HTML alternative
    assert message.get_content() == email.body_text


def test_a_failed_attempt_is_recorded_and_a_retry_sends_it(
    smtp_server, django_capture_on_commit_callbacks, caplog
):
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        email = send_test_message()

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.QUEUED
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=290)
    assert "attempt 1 of 5 failed" in caplog.text

    smtp_server.start()
    assert deliver_email.enqueue(email.pk).return_value == "sent"

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert email.attempts == 2
    assert len(smtp_server.messages) == 1


def test_a_sent_email_is_not_sent_again(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = send_test_message()

    assert deliver_email.enqueue(email.pk).return_value == "skipped"
    assert deliver_email.call(email.pk) == "skipped"

    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_after_the_last_attempt_the_email_fails_with_a_log_line_and_can_be_resent(
    smtp_server, django_capture_on_commit_callbacks, settings, caplog
):
    settings.EMAIL_MAX_ATTEMPTS = 2
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        email = send_test_message()
    deliver_email.call(email.pk)

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == 2
    [failure] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert failure.name == "buergerbuero.notifications"
    assert f"email {email.pk} (notifications.test)" in failure.getMessage()
    assert "NOT SENT after 2 attempt(s)" in failure.getMessage()
    assert "buerger@" not in failure.getMessage()  # no personal data in the log

    smtp_server.start()
    with django_capture_on_commit_callbacks(execute=True):
        assert email_resend(email=email) is True

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert email.attempts == 1
    assert len(smtp_server.messages) == 1
    assert email_resend(email=email) is False  # sent: nothing to resend


def test_a_refused_mailbox_fails_at_once(smtp_server, django_capture_on_commit_callbacks):
    smtp_server.refused.add("niemand@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        email = send_test_message(to="niemand@example.org")

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == 1
    assert "550" in email.last_error


def test_nothing_is_stored_or_sent_when_the_transaction_rolls_back(
    smtp_server, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_test_message(attachments=[Attachment("a.pdf", PDF, "application/pdf")])
        raise RuntimeError("the application could not be saved")

    assert callbacks == []
    assert not OutgoingEmail.objects.exists()
    assert smtp_server.messages == []


def test_mistakes_of_the_calling_code_are_refused_before_anything_is_stored():
    with pytest.raises(ValidationError):
        send_test_message(to="keine Adresse")
    too_large = Attachment("gross.pdf", b"0" * (MAX_ATTACHMENTS_BYTES + 1), "application/pdf")
    with pytest.raises(EmailTooLarge, match="send a link"):
        send_test_message(attachments=[too_large])
    assert not OutgoingEmail.objects.exists()
