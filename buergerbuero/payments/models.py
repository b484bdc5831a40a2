"""Payments of fees and the log of every status change.

A payment belongs to a *purpose*, an opaque key of the app that asked for it (the
applications app uses ``"application:<uuid>"``); payments never look inside it. Amounts
are integer cents: no float ever touches money. The status changes only through
``services.transition``, which writes a ``PaymentTransition`` row each time.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    OPEN = "open", _("offen")
    PENDING = "pending", _("in Bearbeitung")
    PAID = "paid", _("bezahlt")
    FAILED = "failed", _("fehlgeschlagen")
    CANCELLED = "cancelled", _("abgebrochen")
    REFUNDED = "refunded", _("erstattet")


#: The citizen may still pay: at most one such payment exists per purpose.
LIVE_STATUSES = (PaymentStatus.OPEN, PaymentStatus.PENDING)


class TransitionSource(models.TextChoices):
    """Who reported a status change. Only trusted sources may mark a payment as paid
    (see ``transitions.py``): a citizen's browser never can."""

    CITIZEN = "citizen", _("Bürger:in")
    PROVIDER = "provider", _("Zahlungsanbieter")
    BANK_STATEMENT = "bank_statement", _("Kontoauszug")
    CLERK = "clerk", _("Sachbearbeitung")
    SYSTEM = "system", _("System")


class Payment(models.Model):
    uuid = models.UUIDField(_("Zahlungsnummer"), default=uuid.uuid4, unique=True, editable=False)
    purpose = models.CharField(
        _("Zweck"),
        max_length=200,
        db_index=True,
        help_text=_("Schlüssel der auslösenden Stelle, z. B. „application:<uuid>“."),
    )
    description = models.CharField(_("Verwendungszweck"), max_length=200)
    amount_cents = models.PositiveIntegerField(_("Betrag in Cent"))
    currency = models.CharField(_("Währung"), max_length=3, default="EUR")
    status = models.CharField(
        _("Status"),
        max_length=16,
        choices=PaymentStatus.choices,
        default=PaymentStatus.OPEN,
        db_index=True,
    )
    provider = models.CharField(_("Zahlungsanbieter"), max_length=40)
    provider_reference = models.CharField(
        _("Referenz beim Zahlungsanbieter"), max_length=200, blank=True
    )
    return_url = models.CharField(_("Rücksprungadresse"), max_length=2000)
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert"), auto_now=True)
    paid_at = models.DateTimeField(_("bezahlt am"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Zahlung")
        verbose_name_plural = _("Zahlungen")
        indexes = [
            # Provider callbacks (issue #4) find their payment by the provider's reference.
            models.Index(fields=["provider", "provider_reference"], name="payments_provider_ref"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payments_amount_positive"
            ),
            # Two browser tabs starting the same fee at once must not both get a payable
            # payment: the second insert fails and start_payment reuses the first.
            models.UniqueConstraint(
                fields=["purpose"],
                condition=Q(status__in=["open", "pending"]),
                name="payments_one_live_payment_per_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.get_status_display()})"

    @property
    def is_live(self) -> bool:
        """The citizen can still pay (open or pending)."""
        return self.status in LIVE_STATUSES

    @property
    def is_finished(self) -> bool:
        return not self.is_live


class PaymentTransition(models.Model):
    """One status change of a payment, with who reported it. Never edited, never deleted."""

    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        related_name="transitions",
        verbose_name=_("Zahlung"),
    )
    # Empty for the row that records the payment's creation.
    from_status = models.CharField(
        _("von"), max_length=16, choices=PaymentStatus.choices, blank=True
    )
    to_status = models.CharField(_("nach"), max_length=16, choices=PaymentStatus.choices)
    source = models.CharField(_("Quelle"), max_length=16, choices=TransitionSource.choices)
    detail = models.TextField(_("Einzelheiten"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("durch"),
    )
    created_at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("Statusänderung")
        verbose_name_plural = _("Statusänderungen")

    def __str__(self) -> str:
        return f"{self.from_status or '–'} → {self.to_status} ({self.source})"
