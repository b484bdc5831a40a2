"""What the city is owed, how it is paid, and the log of every status change.

- ``PaymentReference``: a Kassenzeichen — what one *purpose* owes (an application's fee, a
  notice's fee, a warning fine from a letter). The code carries check digits and stays the
  same however often the citizen tries to pay: it is printed on notices and GiroCodes.
- ``Payment``: one way of paying a reference — online at a provider, by bank transfer (a
  credit found on a bank statement), by SEPA direct debit. Its status changes only through
  ``services.transition``, which writes a ``PaymentTransition`` row each time.
- ``BankStatement`` / ``BankCredit``: imported camt.053 files and their credit lines, each
  matched to a reference or listed for a clerk.
- ``DirectDebitMandate`` / ``DirectDebitRun``: SEPA mandates and the pain.008 files made
  from them.

A purpose is an opaque key of the app that asked (the applications app uses
``"application:<uuid>"``); payments never look inside it. Amounts are integer cents: no
float ever touches money.
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


#: ``Payment.provider`` of payments that no online provider handles.
BANK_TRANSFER = "bank_transfer"
DIRECT_DEBIT = "direct_debit"
OFFLINE_CHANNELS = (BANK_TRANSFER, DIRECT_DEBIT)


class TransitionSource(models.TextChoices):
    """Who reported a status change. Only trusted sources may mark a payment as paid
    (see ``transitions.py``): a citizen's browser never can."""

    CITIZEN = "citizen", _("Bürger:in")
    PROVIDER = "provider", _("Zahlungsanbieter")
    BANK_STATEMENT = "bank_statement", _("Kontoauszug")
    CLERK = "clerk", _("Sachbearbeitung")
    SYSTEM = "system", _("System")


class PaymentReference(models.Model):
    """A Kassenzeichen: what one purpose owes the city, under a code with check digits.

    Made by ``references.reference_for`` (applications, notices) or imported from the
    city's other systems (warning fines). ``amount_cents`` is what is owed; the payments
    of the reference say how much of it has come in.
    """

    code = models.CharField(_("Kassenzeichen"), max_length=24, unique=True)
    purpose = models.CharField(_("Zweck"), max_length=200, unique=True)
    description = models.CharField(_("Verwendungszweck"), max_length=200)
    amount_cents = models.PositiveIntegerField(_("Betrag in Cent"))
    currency = models.CharField(_("Währung"), max_length=3, default="EUR")
    due_date = models.DateField(_("fällig am"), null=True, blank=True)
    issuer = models.CharField(
        _("Ausstellende Stelle"), max_length=120, blank=True, help_text=_("z. B. Ordnungsamt")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payment_references",
        verbose_name=_("Bürger:in"),
    )
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Kassenzeichen")
        verbose_name_plural = _("Kassenzeichen")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payments_reference_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code_display} – {self.description}"

    @property
    def code_display(self) -> str:
        """The code in groups of four digits, as printed: ``5300 0001 2345``."""
        from .references import code_grouped

        return code_grouped(self.code)


class ReferenceCounter(models.Model):
    """The last sequence number of Kassenzeichen per prefix (``core.counters``)."""

    prefix = models.CharField(max_length=8, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"


class Payment(models.Model):
    uuid = models.UUIDField(_("Zahlungsnummer"), default=uuid.uuid4, unique=True, editable=False)
    purpose = models.CharField(
        _("Zweck"),
        max_length=200,
        db_index=True,
        help_text=_("Schlüssel der auslösenden Stelle, z. B. „application:<uuid>“."),
    )
    reference = models.ForeignKey(
        PaymentReference,
        null=True,  # only payments made before Kassenzeichen existed lack one
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("Kassenzeichen"),
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
    provider_url = models.CharField(
        _("Adresse beim Zahlungsanbieter"),
        max_length=2000,
        blank=True,
        help_text=_(
            "Wohin die Bürger:in zum Bezahlen geht; für die Rückkehr zu einer offenen Zahlung."
        ),
    )
    return_url = models.CharField(_("Rücksprungadresse"), max_length=2000)
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert"), auto_now=True)
    paid_at = models.DateTimeField(_("bezahlt am"), null=True, blank=True)
    # Direct-debit collections only: the mandate collected from and the pain.008 file.
    mandate = models.ForeignKey(
        "DirectDebitMandate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collections",
        verbose_name=_("Lastschriftmandat"),
    )
    direct_debit_run = models.ForeignKey(
        "DirectDebitRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collections",
        verbose_name=_("Lastschrift-Datei"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Zahlung")
        verbose_name_plural = _("Zahlungen")
        permissions = [
            ("work_cash_office", _("Stadtkasse: Kontoauszüge, Lastschriften und Erstattungen")),
        ]
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


# -- bank statements (camt.053) ------------------------------------------------------------


class BankStatement(models.Model):
    """One imported camt.053 file. A file is imported whole or not at all; the same file
    (same SHA-256) is never imported twice."""

    sha256 = models.CharField(_("Prüfsumme (SHA-256)"), max_length=64, unique=True)
    filename = models.CharField(_("Dateiname"), max_length=255)
    message_id = models.CharField(_("Nachrichtenkennung"), max_length=70, blank=True)
    account_iban = models.CharField(_("Konto (IBAN)"), max_length=34, blank=True)
    imported_at = models.DateTimeField(_("eingelesen am"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("eingelesen von"),
    )
    credits_total = models.PositiveIntegerField(_("Gutschriften"), default=0)
    credits_matched = models.PositiveIntegerField(_("zugeordnet"), default=0)
    credits_open = models.PositiveIntegerField(_("zu klären"), default=0)
    debits_skipped = models.PositiveIntegerField(_("Lastschriften übersprungen"), default=0)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("Kontoauszug")
        verbose_name_plural = _("Kontoauszüge")

    def __str__(self) -> str:
        return self.filename


class CreditMatch(models.TextChoices):
    """How a credit line was related to a Kassenzeichen."""

    EXACT = "exact", _("Kassenzeichen und Betrag")
    FUZZY = "fuzzy", _("Betrag und Verwendungszweck (unscharf)")
    PARTIAL = "partial", _("Teilzahlung")
    OVERPAID = "overpaid", _("Überzahlung oder doppelt bezahlt")
    UNMATCHED = "unmatched", _("nicht zugeordnet")
    FOREIGN_CURRENCY = "foreign_currency", _("Fremdwährung")
    CLERK = "clerk", _("von Hand zugeordnet")


#: Credits a clerk still has to look at.
CREDIT_MATCHES_TO_CLEAR = (
    CreditMatch.PARTIAL,
    CreditMatch.OVERPAID,
    CreditMatch.UNMATCHED,
    CreditMatch.FOREIGN_CURRENCY,
)


class BankCredit(models.Model):
    """One incoming amount on a bank statement, and what became of it."""

    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="credits", verbose_name=_("Auszug")
    )
    # The bank's own reference of the entry (AcctSvcrRef, else NtryRef, else a hash of the
    # line): the same credit on two overlapping statements is recognised.
    bank_reference = models.CharField(_("Buchungsreferenz der Bank"), max_length=140)
    account_iban = models.CharField(_("Konto (IBAN)"), max_length=34, blank=True)
    booking_date = models.DateField(_("Buchungstag"), null=True, blank=True)
    value_date = models.DateField(_("Wertstellung"), null=True, blank=True)
    amount_cents = models.PositiveBigIntegerField(_("Betrag in Cent"))
    currency = models.CharField(_("Währung"), max_length=3)
    debtor_name = models.CharField(_("Einzahler:in"), max_length=140, blank=True)
    debtor_iban = models.CharField(_("IBAN der Einzahler:in"), max_length=34, blank=True)
    end_to_end_id = models.CharField(_("Ende-zu-Ende-Referenz"), max_length=35, blank=True)
    remittance = models.TextField(_("Verwendungszweck"), blank=True)
    match = models.CharField(_("Zuordnung"), max_length=20, choices=CreditMatch.choices)
    reference = models.ForeignKey(
        PaymentReference,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credits",
        verbose_name=_("Kassenzeichen"),
    )
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credits",
        verbose_name=_("Zahlung"),
    )
    cleared_at = models.DateTimeField(_("geklärt am"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("geklärt von"),
    )
    clearing_note = models.TextField(_("Vermerk"), blank=True)

    class Meta:
        ordering = ["booking_date", "pk"]
        verbose_name = _("Zahlungseingang")
        verbose_name_plural = _("Zahlungseingänge")
        constraints = [
            models.UniqueConstraint(
                fields=["account_iban", "bank_reference"], name="payments_credit_once_per_account"
            ),
        ]
        indexes = [models.Index(fields=["match", "cleared_at"], name="payments_credit_to_clear")]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount_cents} {self.currency} {self.remittance[:40]}"


# -- SEPA direct debit ---------------------------------------------------------------------


class DirectDebitMandate(models.Model):
    """A SEPA core direct-debit mandate: the citizen allows the city to collect what a
    Kassenzeichen owes (e.g. the yearly dog tax) from their account."""

    mandate_reference = models.CharField(_("Mandatsreferenz"), max_length=35, unique=True)
    reference = models.ForeignKey(
        PaymentReference,
        on_delete=models.PROTECT,
        related_name="mandates",
        verbose_name=_("Kassenzeichen"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_debit_mandates",
        verbose_name=_("Bürger:in"),
    )
    debtor_name = models.CharField(_("Kontoinhaber:in"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    signed_on = models.DateField(_("Datum der Unterschrift"))
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("widerrufen am"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("SEPA-Lastschriftmandat")
        verbose_name_plural = _("SEPA-Lastschriftmandate")
        constraints = [
            # One active mandate per Kassenzeichen: a new one replaces (revokes) the old.
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(revoked_at__isnull=True),
                name="payments_one_active_mandate_per_reference",
            ),
        ]

    def __str__(self) -> str:
        return self.mandate_reference

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DirectDebitRun(models.Model):
    """One pain.008 file handed to the bank: the collections it holds are the direct-debit
    payments pointing at it."""

    message_id = models.CharField(_("Nachrichtenkennung"), max_length=35, unique=True)
    collection_date = models.DateField(_("Fälligkeitsdatum"))
    created_at = models.DateTimeField(_("erstellt am"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("erstellt von"),
    )
    collection_count = models.PositiveIntegerField(_("Einzüge"))
    total_cents = models.PositiveBigIntegerField(_("Summe in Cent"))
    xml = models.BinaryField(_("pain.008-Datei"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Lastschrift-Datei")
        verbose_name_plural = _("Lastschrift-Dateien")

    def __str__(self) -> str:
        return self.message_id
