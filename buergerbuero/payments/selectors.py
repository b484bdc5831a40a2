"""Reads of payments. Payments hold no personal data beyond what their purpose points to;
whoever may see the purpose (e.g. the application) may see its payments."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, F, Q, Sum

from .models import Payment, PaymentReference, PaymentStatus
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


@dataclass(frozen=True)
class Balance:
    """What a Kassenzeichen owes and what has come in (refunded money counts as not paid)."""

    reference: PaymentReference
    paid_cents: int
    refunded_cents: int
    pending: bool  # an online payment or a direct debit is under way

    @property
    def owed_cents(self) -> int:
        return self.reference.amount_cents

    @property
    def open_cents(self) -> int:
        return max(self.owed_cents - self.paid_cents, 0)

    @property
    def overpaid_cents(self) -> int:
        return max(self.paid_cents - self.owed_cents, 0)

    @property
    def is_paid(self) -> bool:
        return self.paid_cents >= self.owed_cents


def reference_get(*, code: str) -> PaymentReference | None:
    return PaymentReference.objects.filter(code=code).first()


def reference_of(purpose: str) -> PaymentReference | None:
    """The Kassenzeichen of ``purpose``, if one was made."""
    return PaymentReference.objects.filter(purpose=purpose).first()


def balance_of(reference: PaymentReference) -> Balance:
    totals = reference.payments.aggregate(
        paid=Sum("amount_cents", filter=Q(status=PaymentStatus.PAID), default=0),
        refunded=Sum("amount_cents", filter=Q(status=PaymentStatus.REFUNDED), default=0),
        pending=Count("pk", filter=Q(status=PaymentStatus.PENDING)),
    )
    return Balance(
        reference=reference,
        paid_cents=totals["paid"],
        refunded_cents=totals["refunded"],
        pending=totals["pending"] > 0,
    )


def references_overpaid() -> list[Balance]:
    """Kassenzeichen paid more than once or more than owed: the cash office refunds."""
    candidates = (
        PaymentReference.objects.annotate(
            paid=Sum("payments__amount_cents", filter=Q(payments__status=PaymentStatus.PAID))
        )
        .filter(paid__gt=F("amount_cents"))
        .order_by("pk")
    )
    return [balance_of(reference) for reference in candidates]


def references_open_for(user) -> list[Balance]:
    """The citizen's Kassenzeichen that still owe money (for "Mein Bürgerbüro")."""
    if not user.is_authenticated:
        return []
    balances = [balance_of(r) for r in user.payment_references.order_by("-created_at")]
    return [b for b in balances if b.open_cents > 0]
