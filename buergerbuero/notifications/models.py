"""The outbox: every email the product sends is a row here before it leaves.

A row is written, rendered and complete, in the same transaction as the change it reports;
the background task ``deliver_email`` hands it to the mail server afterwards and retries
while the server is unreachable. Nothing is sent for a rolled-back change, and nothing is
lost while SMTP is down.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Wartet auf Versand")
        SENDING = "sending", _("Wird gesendet")
        SENT = "sent", _("Gesendet")
        FAILED = "failed", _("Fehlgeschlagen")

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
        verbose_name = _("E-Mail im Postausgang")
        verbose_name_plural = _("Postausgang")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class EmailAttachment(models.Model):
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
    filename = models.CharField(_("Dateiname"), max_length=255)
    content_type = models.CharField(_("Dateityp"), max_length=100)
    size = models.PositiveIntegerField(_("Größe in Bytes"))
    content = models.BinaryField(_("Inhalt"))

    class Meta:
        verbose_name = _("Anhang")
        verbose_name_plural = _("Anhänge")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename
