"""One delivery attempt of an outbox email: claim it, hand it to the mail server, record the
outcome. The task in tasks.py strings these together and schedules the retries.

Each state change is one conditional UPDATE, so that two workers running the same email
(a retry and an admin's resend, say) cannot both send it: only one claims it.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone

from .models import OutgoingEmail

logger = logging.getLogger("buergerbuero.notifications")

# A worker that died while talking to the mail server leaves its email "sending". After this
# long (far above EMAIL_TIMEOUT) another run may claim it again: the email may then arrive
# twice, which beats not at all; its stable Message-ID lets mailboxes drop the duplicate.
SENDING_STALE_AFTER = timedelta(minutes=15)


def max_attempts() -> int:
    return getattr(settings, "EMAIL_MAX_ATTEMPTS", 5)


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: the base delay, doubled after each failure."""
    base = getattr(settings, "EMAIL_RETRY_DELAY", 300)
    return timedelta(seconds=base * 2 ** (attempts - 1))


def outbox_claim(model, pk: int):
    """Mark a queued row of an outbox (``model``: an email, an inbox message — each with
    status queued/sending, attempts, last_attempt_at, next_attempt_at) as being sent and
    count the attempt; None if there is nothing to send (sent already, given up, being
    sent by another worker, deleted)."""
    now = timezone.now()
    claimable = Q(status=model.Status.QUEUED) | Q(
        status=model.Status.SENDING, last_attempt_at__lt=now - SENDING_STALE_AFTER
    )
    claimed = model.objects.filter(claimable, pk=pk).update(
        status=model.Status.SENDING,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=None,
    )
    if not claimed:
        logger.debug("%s %s: nothing to send", model._meta.model_name, pk)
        return None
    return model.objects.get(pk=pk)


def email_claim(*, email_id: int) -> OutgoingEmail | None:
    return outbox_claim(OutgoingEmail, email_id)


def email_transmit(*, email: OutgoingEmail) -> None:
    """Hand the email to Django's email backend; raises whatever the backend raises."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={
            "Message-ID": email.message_id,
            "Content-Language": email.language,
            # RFC 3834: out-of-office replies and other robots should not answer.
            "Auto-Submitted": "auto-generated",
        },
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments.all():
        # bytes(): PostgreSQL returns a memoryview for a BinaryField.
        message.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    if message.send(fail_silently=False) != 1:
        raise smtplib.SMTPException("The email backend did not accept the message.")


def email_mark_sent(*, email: OutgoingEmail) -> None:
    OutgoingEmail.objects.filter(pk=email.pk, status=OutgoingEmail.Status.SENDING).update(
        status=OutgoingEmail.Status.SENT, sent_at=timezone.now()
    )
    logger.info("email %s (%s) sent, attempt %s", email.pk, email.topic or "-", email.attempts)


def email_record_failure(*, email: OutgoingEmail, error: Exception) -> datetime | None:
    """Store the error; returns when to try again, or None once the email has failed for good
    (too many attempts, or the server refused the address)."""
    description = f"{type(error).__name__}: {error}"[:2000]
    recipient_domain = email.to.rpartition("@")[2]
    permanent = _is_permanent(error)
    if permanent or email.attempts >= max_attempts():
        OutgoingEmail.objects.filter(pk=email.pk).update(
            status=OutgoingEmail.Status.FAILED, last_error=description, next_attempt_at=None
        )
        logger.error(
            "email %s (%s) to a recipient at %s NOT SENT after %s attempt(s)%s: %s. "
            "Fix the cause, then resend it in the admin (Postausgang, action 'Erneut senden').",
            email.pk,
            email.topic or "-",
            recipient_domain,
            email.attempts,
            ", the mail server refused the address" if permanent else "",
            description,
        )
        return None
    return outbox_retry_later(
        email,
        description=description,
        delay=retry_delay(email.attempts),
        attempts_max=max_attempts(),
        kind="email",
    )


def outbox_requeue(model, pk: int) -> bool:
    """Queue a row of an outbox again with a fresh set of attempts (an admin's "resend");
    False, changing nothing, for a row that was sent or is being sent right now (one stuck
    in "sending" for longer than ``SENDING_STALE_AFTER`` may be queued again)."""
    being_sent = Q(status=model.Status.SENDING) & Q(
        last_attempt_at__gte=timezone.now() - SENDING_STALE_AFTER
    )
    requeued = (
        model.objects.filter(pk=pk)
        .exclude(Q(status=model.Status.SENT) | being_sent)
        .update(status=model.Status.QUEUED, attempts=0, next_attempt_at=None)
    )
    return bool(requeued)


def outbox_retry_later(row, *, description: str, delay: timedelta, attempts_max: int, kind: str):
    """Put a failed outbox row (email, inbox message) back in the queue for a later
    attempt, and say so in the log; returns when it is due."""
    model = type(row)
    retry_at = timezone.now() + delay
    model.objects.filter(pk=row.pk).update(
        status=model.Status.QUEUED, last_error=description, next_attempt_at=retry_at
    )
    logger.warning(
        "%s %s (%s) attempt %s of %s failed: %s; next attempt at %s",
        kind,
        row.pk,
        row.topic or "-",
        row.attempts,
        attempts_max,
        description,
        timezone.localtime(retry_at).isoformat(timespec="seconds"),
    )
    return retry_at


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer for every recipient: retrying cannot help (unknown mailbox, say)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(
            code >= 500 for code, _message in error.recipients.values()
        )
    return False
