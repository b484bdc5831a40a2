"""The outbox: every email the product sends is a row here before it leaves.

A row is written, rendered and complete, in the same transaction as the change it reports;
the background task ``deliver_email`` hands it to the mail server afterwards and retries
while the server is unreachable. Nothing is sent for a rolled-back change, and nothing is
lost while SMTP is down.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """What every outgoing message (email, SMS) records of its delivery: the worker claims
    queued rows, retries with backoff and records the outcome (``delivery.py``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Wartet auf Versand")
        SENDING = "sending", _("Wird gesendet")
        SENT = "sent", _("Gesendet")
        FAILED = "failed", _("Fehlgeschlagen")

    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("Versuche"), default=0)
    last_error = models.TextField(_("Letzter Fehler"), blank=True)
    created_at = models.DateTimeField(_("Erstellt"), auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(_("Letzter Versuch"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("Nächster Versuch"), null=True, blank=True)
    sent_at = models.DateTimeField(_("Gesendet"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]


class OutgoingEmail(OutboxMessage):
    to = models.EmailField(_("An"))
    subject = models.CharField(_("Betreff"), max_length=255)
    body_text = models.TextField(_("Text"))
    body_html = models.TextField(_("HTML-Fassung"), blank=True)
    language = models.CharField(_("Sprache"), max_length=10)
    topic = models.CharField(
        _("Anlass"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("Woher die E-Mail kommt, z. B. application.submitted"),
    )
    # Set once when the row is written, so that every retry carries the same Message-ID and
    # a mail server or mailbox can drop a duplicate.
    message_id = models.CharField(_("Message-ID"), max_length=255)

    class Meta(OutboxMessage.Meta):
        verbose_name = _("E-Mail im Postausgang")
        verbose_name_plural = _("Postausgang")

    def __str__(self) -> str:
        return self.subject


class StoredAttachment(models.Model):
    """A file kept with an outgoing message, byte for byte, so that a retry sends exactly
    what was rendered."""

    filename = models.CharField(_("Dateiname"), max_length=255)
    content_type = models.CharField(_("Dateityp"), max_length=100)
    size = models.PositiveIntegerField(_("Größe in Bytes"))
    content = models.BinaryField(_("Inhalt"))

    class Meta:
        abstract = True
        verbose_name = _("Anhang")
        verbose_name_plural = _("Anhänge")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename


class EmailAttachment(StoredAttachment):
    """A file sent with an email, kept in the database with it (a few MB at most).

    The bytes live beside the email so that a retry days later sends exactly what was
    rendered, even if the source file (a notice, a receipt) has changed or gone since.
    """

    email = models.ForeignKey(
        OutgoingEmail,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("E-Mail"),
    )

    class Meta(StoredAttachment.Meta):
        pass


class InboxDelivery(models.Model):
    """A message to a citizen's BundID inbox (the Zentrales Bürgerpostfach, ZBP).

    Written beside the email that reports the same thing, in the same transaction; the
    background task ``deliver_inbox_message`` hands it to the ZBP and retries while the ZBP
    is unreachable. Only accounts with a BundID that has an inbox get one (see
    ``zbp.services.inbox_send``). ``idempotency_key`` is fixed when the row is written and
    sent with every attempt, so that a retry after a lost answer cannot deliver twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Wartet auf Versand")
        SENDING = "sending", _("Wird gesendet")
        SENT = "sent", _("Zugestellt")
        FAILED = "failed", _("Fehlgeschlagen")

    # Kept when the account is deleted: the record proves that a notice was delivered,
    # and the case it belongs to is kept too.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="inbox_deliveries",
        verbose_name=_("Konto"),
    )
    recipient_subject = models.CharField(
        _("bPK2"), max_length=255, help_text=_("Kennung der BundID, an die zugestellt wird.")
    )
    mailbox_handle = models.CharField(
        _("Postkorb-Handle"),
        max_length=64,
        blank=True,
        help_text=_("Postfach-Kennung aus der BundID-Anmeldung, falls geliefert."),
    )
    email = models.ForeignKey(
        OutgoingEmail,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_deliveries",
        verbose_name=_("E-Mail dazu"),
    )
    key = models.CharField(
        _("Schlüssel"),
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text=_(
            "Wofür die Nachricht steht, z. B. case.notice:12 – höchstens eine je Schlüssel."
        ),
    )
    idempotency_key = models.UUIDField(_("Idempotenzschlüssel"), default=uuid.uuid4, unique=True)
    subject = models.CharField(_("Betreff"), max_length=255)
    body_text = models.TextField(_("Text"))
    service = models.CharField(_("Verwaltungsleistung"), max_length=255)
    reference = models.CharField(_("Aktenzeichen"), max_length=100, blank=True)
    language = models.CharField(_("Sprache"), max_length=10)
    topic = models.CharField(_("Anlass"), max_length=100, blank=True, db_index=True)
    stork_qaa_level = models.PositiveSmallIntegerField(
        _("Vertrauensniveau zum Lesen (STORK-QAA)"), default=1
    )
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("Versuche"), default=0)
    last_error = models.TextField(_("Letzter Fehler"), blank=True)
    provider_message_id = models.CharField(
        _("Nachrichten-ID im Postfach"), max_length=255, blank=True
    )
    provider_status = models.CharField(_("Status im Postfach"), max_length=40, blank=True)
    provider_checked_at = models.DateTimeField(_("Status abgefragt"), null=True, blank=True)
    created_at = models.DateTimeField(_("Erstellt"), auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(_("Letzter Versuch"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("Nächster Versuch"), null=True, blank=True)
    sent_at = models.DateTimeField(_("Zugestellt"), null=True, blank=True)

    class Meta:
        verbose_name = _("Nachricht an das BundID-Postfach")
        verbose_name_plural = _("BundID-Postfach")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class InboxAttachment(StoredAttachment):
    """A file sent with an inbox message (a notice PDF), stored beside it like an email's."""

    delivery = models.ForeignKey(
        InboxDelivery,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("Nachricht"),
    )

    class Meta(StoredAttachment.Meta):
        pass


class InboxAddress(models.Model):
    """The BundID inbox handle (Postkorb-Handle) of an identity, as its last login sent it.

    The ZBP addresses a message to this handle (``mailboxUuid``), not to the bPK2; BundID
    delivers it in the SAML assertion of a citizen who has an inbox. Kept here, beside the
    identity, because the identity models are fixed; see docs/identity-zbp.md.
    """

    identity = models.OneToOneField(
        "identity.ExternalIdentity",
        on_delete=models.CASCADE,
        related_name="inbox_address",
        verbose_name=_("Externe Anmeldung"),
    )
    mailbox_handle = models.CharField(_("Postkorb-Handle"), max_length=64)
    updated_at = models.DateTimeField(_("Zuletzt geliefert"), auto_now=True)

    class Meta:
        verbose_name = _("Postkorb-Handle")
        verbose_name_plural = _("Postkorb-Handles")

    def __str__(self) -> str:
        return self.mailbox_handle


class OutgoingSms(OutboxMessage):
    """A text message to a citizen's mobile phone, stored before it leaves.

    Written (rendered, with the number in E.164) in the same transaction as the change it
    reports — a ticket drawn, an appointment booked; the background task ``deliver_sms``
    hands it to the configured SMS gateway afterwards and retries while the gateway is down.
    A gateway that is down therefore never undoes the ticket or the booking.
    """

    to = models.CharField(
        _("An"), max_length=16, help_text=_("Mobilfunknummer im internationalen Format (E.164).")
    )
    body = models.TextField(_("Text"))
    language = models.CharField(_("Sprache"), max_length=10)
    topic = models.CharField(
        _("Anlass"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("Woher die SMS kommt, z. B. tickets.called"),
    )
    gateway = models.CharField(
        _("Gateway"), max_length=40, blank=True, help_text=_("Über welches Gateway sie ging.")
    )
    gateway_message_id = models.CharField(
        _("Nachrichten-ID des Gateways"), max_length=255, blank=True
    )

    class Meta(OutboxMessage.Meta):
        verbose_name = _("SMS im Postausgang")
        verbose_name_plural = _("SMS-Postausgang")

    def __str__(self) -> str:
        return f"SMS {self.pk} an {self.to_masked}"

    @property
    def reference(self) -> str:
        """Our id of the message, sent to the gateway with every attempt (seven.io returns it
        in its status reports); letters, digits and "-" only, as gateways allow."""
        return f"bb-sms-{self.pk}"

    @property
    def to_masked(self) -> str:
        """The number for log lines: enough to tell numbers apart, not enough to call one."""
        return mask_number(self.to)


def mask_number(number: str) -> str:
    """``+4917112345678`` → ``+49171…678``."""
    if len(number) <= 9:
        return number[:3] + "…"
    return f"{number[:6]}…{number[-3:]}"
