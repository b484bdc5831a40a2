"""The receipt (Quittung) of a payment as PDF, made when asked for (not stored: it is
derived from the payment and its log, and most receipts are never opened)."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerbuero.core.documents import render_pdf
from buergerbuero.core.selectors import municipality_get

from .models import BANK_TRANSFER, DIRECT_DEBIT, Payment, PaymentStatus
from .money import format_cents
from .providers.registry import UnknownPaymentProvider, registry


def channel_name(payment: Payment) -> str:
    if payment.provider == BANK_TRANSFER:
        return _("Überweisung")
    if payment.provider == DIRECT_DEBIT:
        return _("SEPA-Lastschrift")
    try:
        return _("Online über %(provider)s") % {
            "provider": registry.get(payment.provider).verbose_name
        }
    except UnknownPaymentProvider:
        return payment.provider


def receipt_context(payment: Payment) -> dict:
    reference = payment.reference
    user = reference.user
    municipality = municipality_get()
    refund = payment.transitions.filter(to_status=PaymentStatus.REFUNDED).last()
    recipient_name = (user.display_name if user else "") or ""
    address = [user.street, f"{user.postcode} {user.city}".strip()] if user else []
    return {
        "reference": reference.code_display,
        "reference_label": _("Kassenzeichen"),
        "department_name": municipality.cash_office_name or _("Stadtkasse"),
        "recipient": {"name": recipient_name, "address_lines": [line for line in address if line]},
        "description": reference.description,
        "issuer": reference.issuer,
        "amount": format_cents(payment.amount_cents),
        "channel": channel_name(payment),
        "paid_at": payment.paid_at,
        "payment_id": str(payment.uuid),
        "refund": {
            "amount": format_cents(payment.amount_cents),
            "at": refund.created_at,
            "reason": refund.detail,
        }
        if refund
        else None,
        "issued_at": timezone.now(),
    }


def receipt_pdf(payment: Payment, *, language: str | None = None) -> bytes:
    language = language or translation.get_language() or "de"
    with translation.override(language):
        return render_pdf(
            "payments/documents/receipt.html", receipt_context(payment), language=language
        )
