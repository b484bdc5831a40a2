"""Background task: deliver one outbox email, retrying with exponential backoff."""

from __future__ import annotations

import logging

from django_tasks import task

from . import delivery

logger = logging.getLogger("buergerbuero.notifications")


@task()
def deliver_email(email_id: int) -> str:
    """Send outbox email ``email_id`` once; on failure schedule the next attempt.

    Safe to run twice: an email that was sent, or is being sent by another worker, is
    skipped. The task itself always succeeds — the email's row in the outbox (status,
    attempts, last error) is the record operators look at, not the task result.
    """
    email = delivery.email_claim(email_id=email_id)
    if email is None:
        return "skipped"
    try:
        delivery.email_transmit(email=email)
    except Exception as error:  # any failure of the mail server or the connection
        retry_at = delivery.email_record_failure(email=email, error=error)
        if retry_at is None:
            return "failed"
        backend = deliver_email.get_backend()
        if not backend.supports_defer:
            # The immediate backend (tests, scripts) cannot wait: the email stays queued
            # until it is resent from the admin.
            logger.warning("email %s: no automatic retry with %s", email_id, type(backend).__name__)
            return "queued"
        deliver_email.using(run_after=retry_at).enqueue(email_id)
        return "retry scheduled"
    delivery.email_mark_sent(email=email)
    return "sent"
