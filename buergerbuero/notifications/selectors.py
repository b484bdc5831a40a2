"""Reads of the outbox for the development outbox page."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from .models import EmailAttachment, OutgoingEmail, OutgoingSms

OUTBOX_PAGE_SIZE = 50


def outbox_visible_to(user) -> bool:
    """Everybody in development (DEBUG); in production only staff allowed to read the outbox
    in the admin — emails carry citizens' personal data, and not every caseworker may see
    every case's mail."""
    if settings.DEBUG:
        return True
    return bool(
        user.is_active and user.is_staff and user.has_perm("notifications.view_outgoingemail")
    )


def outbox_email_list(*, limit: int = OUTBOX_PAGE_SIZE) -> QuerySet[OutgoingEmail]:
    """The latest emails, newest first, without their bodies."""
    return OutgoingEmail.objects.only(
        "pk", "to", "subject", "language", "topic", "status", "created_at", "sent_at"
    )[:limit]


def outbox_email_get(*, email_id: int) -> OutgoingEmail | None:
    # The list of attachments needs their names, not their bytes.
    attachments = Prefetch("attachments", EmailAttachment.objects.defer("content"))
    return OutgoingEmail.objects.prefetch_related(attachments).filter(pk=email_id).first()


def outbox_attachment_get(*, email_id: int, attachment_id: int) -> EmailAttachment | None:
    return EmailAttachment.objects.filter(pk=attachment_id, email_id=email_id).first()


def outbox_sms_visible_to(user) -> bool:
    """As :func:`outbox_visible_to`, for the SMS (their own admin permission)."""
    if settings.DEBUG:
        return True
    return bool(
        user.is_active and user.is_staff and user.has_perm("notifications.view_outgoingsms")
    )


def outbox_sms_list(*, limit: int = OUTBOX_PAGE_SIZE) -> QuerySet[OutgoingSms]:
    """The latest SMS, newest first."""
    return OutgoingSms.objects.only(
        "pk",
        "to",
        "body",
        "language",
        "topic",
        "status",
        "attempts",
        "last_error",
        "gateway",
        "created_at",
        "sent_at",
    )[:limit]
