"""One delivery attempt of an SMS: claim it, hand it to the gateway, record the outcome —
the same steps, and the same one-UPDATE-per-state-change guard, as the email outbox
(../delivery.py). The task in tasks.py strings these together.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..delivery import outbox_claim, outbox_retry_later
from ..models import OutgoingSms
from .base import GatewayUnavailable
from .registry import sms_gateway

logger = logging.getLogger("buergerbuero.notifications")


def max_attempts() -> int:
    return getattr(settings, "SMS_MAX_ATTEMPTS", 5)


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: the base delay, doubled after each failure."""
    return timedelta(seconds=getattr(settings, "SMS_RETRY_DELAY", 30) * 2 ** (attempts - 1))


def sms_claim(*, sms_id: int) -> OutgoingSms | None:
    return outbox_claim(OutgoingSms, sms_id)


def sms_transmit(*, sms: OutgoingSms) -> tuple[str, str]:
    """Hand the SMS to the configured gateway; returns (gateway name, its message id)."""
    gateway = sms_gateway()
    message_id = gateway.send(to=sms.to, text=sms.body, reference=sms.reference)
    return gateway.name, message_id


def sms_mark_sent(*, sms: OutgoingSms, gateway: str, message_id: str) -> None:
    OutgoingSms.objects.filter(pk=sms.pk, status=OutgoingSms.Status.SENDING).update(
        status=OutgoingSms.Status.SENT,
        sent_at=timezone.now(),
        gateway=gateway[:40],
        gateway_message_id=message_id[:255],
        last_error="",
    )
    logger.info(
        "sms %s (%s) to %s sent via %s (id %s), attempt %s",
        sms.pk,
        sms.topic or "-",
        sms.to_masked,
        gateway,
        message_id or "-",
        sms.attempts,
    )


def sms_record_failure(*, sms: OutgoingSms, error: Exception) -> datetime | None:
    """Store the error; returns when to try again, or None once the SMS has failed for good
    (too many attempts, or an error retrying cannot fix: a refused number, key or credit)."""
    description = f"{type(error).__name__}: {error}"[:2000]
    temporary = isinstance(error, GatewayUnavailable)
    if not temporary or sms.attempts >= max_attempts():
        OutgoingSms.objects.filter(pk=sms.pk).update(
            status=OutgoingSms.Status.FAILED, last_error=description, next_attempt_at=None
        )
        logger.error(
            "sms %s (%s) to %s NOT SENT after %s attempt(s): %s. Fix the cause, then resend "
            "it in the admin (SMS-Postausgang, action 'Erneut senden').",
            sms.pk,
            sms.topic or "-",
            sms.to_masked,
            sms.attempts,
            description,
        )
        return None
    return outbox_retry_later(
        sms,
        description=description,
        delay=retry_delay(sms.attempts),
        attempts_max=max_attempts(),
        kind="sms",
    )
