"""One delivery attempt of an inbox message: claim it, hand it to the ZBP, record the
outcome — the same steps, and the same one-UPDATE-per-state-change guard, as the email
outbox (../delivery.py). The task in tasks.py strings these together.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from buergerbuero.core.selectors import municipality_get

from ..delivery import outbox_claim, outbox_retry_later
from ..models import InboxDelivery
from .base import InboxFile, InboxMessage, InboxNotConfigured, InboxTemporaryError
from .conf import inbox_backend

logger = logging.getLogger("buergerbuero.notifications")


def max_attempts() -> int:
    return getattr(settings, "ZBP_MAX_ATTEMPTS", 6)


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: the base delay, doubled after each failure."""
    return timedelta(seconds=getattr(settings, "ZBP_RETRY_DELAY", 300) * 2 ** (attempts - 1))


def inbox_claim(*, delivery_id: int) -> InboxDelivery | None:
    return outbox_claim(InboxDelivery, delivery_id)


def inbox_transmit(*, delivery: InboxDelivery) -> str:
    """Hand the message to the configured inbox backend; returns the ZBP's message id."""
    backend = inbox_backend()
    if backend is None:
        raise InboxNotConfigured("ZBP_URL is not set: no inbox to deliver to")
    return backend.send(inbox_message(delivery))


def inbox_message(delivery: InboxDelivery) -> InboxMessage:
    return InboxMessage(
        idempotency_key=str(delivery.idempotency_key),
        recipient_subject=delivery.recipient_subject,
        mailbox_handle=delivery.mailbox_handle,
        sender=settings.ZBP_SENDER or municipality_get().name,
        title=delivery.subject,
        content=delivery.body_text,
        service=delivery.service,
        stork_qaa_level=delivery.stork_qaa_level,
        reference=delivery.reference,
        sender_url=settings.SITE_URL,
        online_service_id=settings.ZBP_ONLINE_SERVICE_ID,
        # bytes(): PostgreSQL returns a memoryview for a BinaryField.
        attachments=tuple(
            InboxFile(attachment.filename, bytes(attachment.content), attachment.content_type)
            for attachment in delivery.attachments.all()
        ),
    )


def inbox_mark_sent(*, delivery: InboxDelivery, provider_id: str) -> None:
    InboxDelivery.objects.filter(pk=delivery.pk, status=InboxDelivery.Status.SENDING).update(
        status=InboxDelivery.Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=provider_id[:255],
        last_error="",
    )
    logger.info(
        "inbox message %s (%s) delivered to the BundID inbox of user=%s, attempt %s",
        delivery.pk,
        delivery.topic or "-",
        delivery.user_id,
        delivery.attempts,
    )


def inbox_record_failure(*, delivery: InboxDelivery, error: Exception) -> datetime | None:
    """Store the error; returns when to try again, or None once the message has failed for
    good (too many attempts, or an error retrying cannot fix: credentials, a refusal)."""
    description = f"{type(error).__name__}: {error}"[:2000]
    temporary = isinstance(error, InboxTemporaryError)
    if not temporary or delivery.attempts >= max_attempts():
        InboxDelivery.objects.filter(pk=delivery.pk).update(
            status=InboxDelivery.Status.FAILED, last_error=description, next_attempt_at=None
        )
        logger.error(
            "inbox message %s (%s) for user=%s NOT DELIVERED to the BundID inbox after %s "
            "attempt(s): %s. Fix the cause, then resend it in the admin (BundID-Postfach, "
            "action 'Erneut senden').",
            delivery.pk,
            delivery.topic or "-",
            delivery.user_id,
            delivery.attempts,
            description,
        )
        return None
    return outbox_retry_later(
        delivery,
        description=description,
        delay=retry_delay(delivery.attempts),
        attempts_max=max_attempts(),
        kind="inbox message",
    )
