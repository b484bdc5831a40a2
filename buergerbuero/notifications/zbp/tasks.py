"""Background task: deliver one inbox message, retrying with exponential backoff."""

from __future__ import annotations

import logging

from django_tasks import task

from . import delivery

logger = logging.getLogger("buergerbuero.notifications")


@task()
def deliver_inbox_message(delivery_id: int) -> str:
    """Send inbox message ``delivery_id`` once; on a temporary failure schedule the next
    attempt. Safe to run twice: a delivered message, or one being sent by another worker, is
    skipped, and the ZBP gets the same idempotency key on every attempt."""
    message = delivery.inbox_claim(delivery_id=delivery_id)
    if message is None:
        return "skipped"
    try:
        provider_id = delivery.inbox_transmit(delivery=message)
    except Exception as error:  # the ZBP, the network, or our configuration
        retry_at = delivery.inbox_record_failure(delivery=message, error=error)
        if retry_at is None:
            return "failed"
        backend = deliver_inbox_message.get_backend()
        if not backend.supports_defer:
            # The immediate backend (tests, scripts) cannot wait: the message stays queued
            # until it is resent from the admin.
            logger.warning(
                "inbox message %s: no automatic retry with %s", delivery_id, type(backend).__name__
            )
            return "queued"
        deliver_inbox_message.using(run_after=retry_at).enqueue(delivery_id)
        return "retry scheduled"
    delivery.inbox_mark_sent(delivery=message, provider_id=provider_id)
    return "sent"
