"""Reads of payments. Payments hold no personal data beyond what their purpose points to;
whoever may see the purpose (e.g. the application) may see its payments."""

from __future__ import annotations

from uuid import UUID

from .models import Payment
from .return_urls import return_url_with_payment


def payment_for(purpose: str) -> Payment | None:
    """The latest payment of ``purpose`` (whatever its status), or ``None``."""
    return Payment.objects.filter(purpose=purpose).order_by("-pk").first()


def payment_get(*, payment_id: UUID | str) -> Payment | None:
    """The payment with this public id, or ``None``."""
    return Payment.objects.filter(uuid=payment_id).first()


def payment_return_url(payment: Payment) -> str:
    """The payment's return URL with ``?zahlung=<uuid>``."""
    return return_url_with_payment(payment.return_url, payment.uuid)
