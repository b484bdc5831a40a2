"""Background work of the payments app: telling citizens about refunds, asking providers
about payments nobody came back from."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from buergerbuero.notifications.services import send_email

from .models import LIVE_STATUSES, OFFLINE_CHANNELS, Payment, PaymentStatus
from .money import format_cents
from .providers.base import PaymentProviderUnavailable
from .services import refresh_status

logger = logging.getLogger(__name__)


@task()
def refund_notify(payment_id: int) -> None:
    """Email the owner of the Kassenzeichen that money was paid back, and why."""
    payment = Payment.objects.select_related("reference__user").get(pk=payment_id)
    reference = payment.reference
    user = reference.user if reference else None
    if payment.status != PaymentStatus.REFUNDED or user is None or not user.email:
        return
    refund = payment.transitions.filter(to_status=PaymentStatus.REFUNDED).last()
    language = "de"  # accounts keep no preferred language yet
    send_email(
        to=user.email,
        template="payments/email/refund",
        context={
            "code": reference.code_display,
            "description": reference.description,
            "amount": format_cents(payment.amount_cents, language),
            "reason": refund.detail if refund else "",
            "url": settings.SITE_URL.rstrip("/")
            + reverse("payments:reference", kwargs={"code": reference.code}),
        },
        language=language,
        topic="payment.refund",
    )


#: A payment at a provider is asked about once it is this old (the citizen had time to pay)
#: and until it is this old (then the provider's session has long expired).
POLL_AFTER = dt.timedelta(minutes=5)
POLL_UNTIL = dt.timedelta(days=7)


def payments_poll(*, now: dt.datetime | None = None) -> int:
    """Ask the providers about unfinished online payments; return how many changed.

    Callbacks may be off, lost or late, and a citizen may close the tab at the provider:
    the hourly housekeeping settles such payments so a paid application is submitted even
    if nobody comes back. Offline channels (transfer, direct debit) are settled by bank
    statements instead.
    """
    now = now or timezone.now()
    live = Payment.objects.filter(
        status__in=LIVE_STATUSES,
        created_at__lte=now - POLL_AFTER,
        created_at__gte=now - POLL_UNTIL,
    ).exclude(provider__in=OFFLINE_CHANNELS)
    changed = 0
    for payment in live.order_by("pk").iterator(chunk_size=200):
        before = payment.status
        try:
            after = refresh_status(payment, raise_unavailable=True).status
        except PaymentProviderUnavailable as error:
            logger.warning(
                "payments poll stopped: provider %s unavailable (%s)", payment.provider, error
            )
            break
        changed += after != before
    if changed:
        logger.info("payments poll: %d payment(s) settled by asking the provider", changed)
    return changed
