"""Background work of the payments app: telling citizens about refunds."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from buergerbuero.notifications.services import send_email

from .models import Payment, PaymentStatus
from .money import format_cents


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
