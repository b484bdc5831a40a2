"""Background task: deliver one SMS, retrying with exponential backoff."""

from __future__ import annotations

import logging

from django_tasks import task

from . import delivery

logger = logging.getLogger("buergerbuero.notifications")


@task()
def deliver_sms(sms_id: int) -> str:
    """Send SMS ``sms_id`` once; on a temporary failure schedule the next attempt.

    Safe to run twice: an SMS that was sent, or is being sent by another worker, is
    skipped. The task itself always succeeds — the row in the SMS outbox (status, attempts,
    last error) is the record operators look at, not the task result.
    """
    sms = delivery.sms_claim(sms_id=sms_id)
    if sms is None:
        return "skipped"
    try:
        gateway, message_id = delivery.sms_transmit(sms=sms)
    except Exception as error:  # the gateway, the network, or our configuration
        retry_at = delivery.sms_record_failure(sms=sms, error=error)
        if retry_at is None:
            return "failed"
        backend = deliver_sms.get_backend()
        if not backend.supports_defer:
            # The immediate backend (tests, scripts) cannot wait: the SMS stays queued
            # until it is resent from the admin.
            logger.warning("sms %s: no automatic retry with %s", sms_id, type(backend).__name__)
            return "queued"
        deliver_sms.using(run_after=retry_at).enqueue(sms_id)
        return "retry scheduled"
    delivery.sms_mark_sent(sms=sms, gateway=gateway, message_id=message_id)
    return "sent"
