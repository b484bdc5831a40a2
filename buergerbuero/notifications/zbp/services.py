"""Messages to the citizen's BundID inbox: the door the rest of the product uses.

Call :func:`inbox_send` beside :func:`~buergerbuero.notifications.services.send_email` where
a citizen is told about their case. It renders the same templates, stores the message and
hands it to the background worker once the transaction commits — for an account with a
BundID that has an inbox, when the ZBP is configured; otherwise it does nothing and returns
None (guests without an inbox and local accounts get the email only)::

    email = send_email(to=address, template="applications/email/notice", ...)
    inbox_send(
        user=application.user,
        template="applications/email/notice",
        context=context,
        language=application.language,
        service=application.service.name,
        reference=case.reference,
        attachments=[Attachment("Bescheid.pdf", pdf, "application/pdf")],
        topic="case.notice",
        email=email,
        key=f"case.notice:{notice.pk}",
    )
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from buergerbuero.identity.models import ExternalIdentity
from buergerbuero.identity.trust import LoginMethod, TrustLevel

from ..delivery import SENDING_STALE_AFTER
from ..models import InboxAddress, InboxAttachment, InboxDelivery, OutgoingEmail
from ..services import MAX_ATTACHMENTS_BYTES, Attachment, EmailTooLarge, _render
from .conf import inbox_backend, inbox_enabled
from .tasks import deliver_inbox_message

logger = logging.getLogger("buergerbuero.notifications")

# The STORK-QAA level the citizen needs to open the message in the inbox: the level their
# BundID login last delivered, so that a notice is never easier to read than to apply for.
_STORK_LEVEL = {TrustLevel.LOW: 1, TrustLevel.SUBSTANTIAL: 3, TrustLevel.HIGH: 4}


def inbox_recipient(user) -> ExternalIdentity | None:
    """The BundID identity with an inbox that messages to ``user`` go to; None for guests
    without an inbox, accounts without BundID, anonymous applicants, or no ZBP configured."""
    if user is None or getattr(user, "pk", None) is None or not inbox_enabled():
        return None
    return (
        ExternalIdentity.objects.filter(user=user, method=LoginMethod.BUNDID, has_inbox=True)
        .select_related("inbox_address")
        .order_by("-last_login_at", "-pk")
        .first()
    )


def inbox_send(
    *,
    user,
    template: str,
    context: Mapping[str, Any],
    language: str,
    service: str,
    reference: str = "",
    attachments: Iterable[Attachment] = (),
    topic: str = "",
    email: OutgoingEmail | None = None,
    key: str | None = None,
    level: str = "",
) -> InboxDelivery | None:
    """Render ``template`` (the email's subject and text files) and queue it for the user's
    BundID inbox; returns the stored message, or None when the user has no inbox.

    ``key`` names what the message stands for (``case.notice:12``): a second call with the
    same key returns the first message instead of queueing another. ``level`` is the trust
    level the matter needed (the service's, or the application's when higher): the message
    is never easier to read than the application was to file, whatever the last login was.
    """
    identity = inbox_recipient(user)
    if identity is None:
        return None
    if key and (existing := InboxDelivery.objects.filter(key=key).first()):
        return existing
    attachments = list(attachments)
    total = sum(len(attachment.content) for attachment in attachments)
    if total > MAX_ATTACHMENTS_BYTES:
        raise EmailTooLarge(f"Attachments of {total} bytes exceed {MAX_ATTACHMENTS_BYTES}.")
    subject, body_text, _html = _render(template, context, language)
    address = getattr(identity, "inbox_address", None)
    try:
        with transaction.atomic():
            delivery = InboxDelivery.objects.create(
                user=user,
                recipient_subject=identity.subject,
                mailbox_handle=address.mailbox_handle if address else "",
                email=email,
                key=key or None,
                subject=subject,
                body_text=body_text,
                service=service,
                reference=reference,
                language=language,
                topic=topic,
                stork_qaa_level=_STORK_LEVEL[
                    TrustLevel.highest(identity.last_level, level or None)
                ],
            )
            InboxAttachment.objects.bulk_create(
                InboxAttachment(
                    delivery=delivery,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    size=len(attachment.content),
                    content=attachment.content,
                )
                for attachment in attachments
            )
            _deliver_after_commit(delivery)
    except IntegrityError:
        # The same key queued at the same moment by another worker: that one counts.
        if key and (existing := InboxDelivery.objects.filter(key=key).first()):
            return existing
        raise
    logger.info("inbox message %s (%s) queued for user=%s", delivery.pk, topic or "-", user.pk)
    return delivery


def inbox_resend(*, delivery: InboxDelivery) -> bool:
    """Queue a message again with a fresh set of attempts (the admin's "resend").

    Returns False, changing nothing, for a message that was delivered or is being sent right
    now. The idempotency key stays the same: should the ZBP have stored it after all, it
    does not store it twice.
    """
    being_sent = Q(status=InboxDelivery.Status.SENDING) & Q(
        last_attempt_at__gte=timezone.now() - SENDING_STALE_AFTER
    )
    with transaction.atomic():
        resent = (
            InboxDelivery.objects.filter(pk=delivery.pk)
            .exclude(Q(status=InboxDelivery.Status.SENT) | being_sent)
            .update(status=InboxDelivery.Status.QUEUED, attempts=0, next_attempt_at=None)
        )
        if resent:
            _deliver_after_commit(delivery)
    return bool(resent)


def inbox_status_refresh(*, delivery: InboxDelivery) -> str:
    """Ask the ZBP what became of a delivered message (e.g. READ) and store the answer.
    Raises :class:`~.base.InboxError` when the ZBP cannot tell."""
    backend = inbox_backend()
    if backend is None or not delivery.provider_message_id:
        return delivery.provider_status
    status = backend.status(delivery.provider_message_id)
    InboxDelivery.objects.filter(pk=delivery.pk).update(
        provider_status=status, provider_checked_at=timezone.now()
    )
    return status


def mailbox_handle_remember(*, identity: ExternalIdentity, handle: str) -> None:
    """Keep the Postkorb-Handle BundID sent with a login (SAML attribute
    ``urn:oid:2.5.4.18``); an empty one forgets the stored handle. Call it from the BundID
    login after :func:`buergerbuero.identity.services.external_login`."""
    handle = (handle or "").strip()[:64]
    if handle:
        InboxAddress.objects.update_or_create(
            identity=identity, defaults={"mailbox_handle": handle}
        )
    else:
        InboxAddress.objects.filter(identity=identity).delete()


def _deliver_after_commit(delivery: InboxDelivery) -> None:
    # robust: like the email, the message waits as "queued" should the queue be unreachable.
    transaction.on_commit(lambda: deliver_inbox_message.enqueue(delivery.pk), robust=True)
