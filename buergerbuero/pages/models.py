"""Pages the city must publish and edit itself (Impressum, Datenschutz, Erklärung zur
Barrierefreiheit, Leichte Sprache, Gebärdensprache, Kontakt), the feedback queue of the
accessibility statement, and the city's sign-language (DGS) videos."""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.uploads import validate_video


class Page(models.Model):
    """An editable text page. Its body is Markdown (raw HTML is not rendered)."""

    class Slug(models.TextChoices):
        IMPRESSUM = "impressum", _("Impressum")
        PRIVACY = "datenschutz", _("Datenschutz")
        ACCESSIBILITY = "barrierefreiheit", _("Erklärung zur Barrierefreiheit")
        EASY_LANGUAGE = "leichte-sprache", _("Leichte Sprache")
        SIGN_LANGUAGE = "gebaerdensprache", _("Gebärdensprache")
        CONTACT = "kontakt", _("Kontakt")

    slug = models.SlugField(_("Seite"), unique=True, choices=Slug.choices)
    title = models.CharField(_("Überschrift"), max_length=160)
    body = models.TextField(_("Text"), help_text=_("Markdown: ## Überschrift, - Liste, **fett**."))
    updated_at = models.DateTimeField(_("zuletzt geändert"), auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("Seite")
        verbose_name_plural = _("Seiten")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(f"pages:{self.slug}")


class AccessibilityFeedback(models.Model):
    """A report about an accessibility barrier, sent from the accessibility statement.

    BITV 2.0 § 7 requires a feedback mechanism; the city must answer within a set time,
    so reports are a tracked queue with a status, not just an email.
    """

    class Status(models.TextChoices):
        NEW = "new", _("neu")
        IN_PROGRESS = "in_progress", _("in Bearbeitung")
        RESOLVED = "resolved", _("erledigt")

    page_url = models.CharField(_("Betroffene Seite"), max_length=500, blank=True)
    message = models.TextField(_("Beschreibung der Barriere"))
    name = models.CharField(_("Name"), max_length=120, blank=True)
    email = models.EmailField(_("E-Mail für die Antwort"), blank=True)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    status = models.CharField(
        _("Status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    internal_note = models.TextField(_("Interne Notiz"), blank=True)
    created_at = models.DateTimeField(_("eingegangen"), auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("bearbeitet von"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Rückmeldung zur Barrierefreiheit")
        verbose_name_plural = _("Rückmeldungen zur Barrierefreiheit")

    def __str__(self) -> str:
        return f"{self.created_at:%d.%m.%Y} – {self.message[:60]}"


class SignLanguageVideo(models.Model):
    """A video in German Sign Language (DGS) that the city uploads; offered for download
    with its size and duration."""

    title = models.CharField(_("Titel"), max_length=160)
    description = models.TextField(_("Beschreibung"), blank=True)
    file = models.FileField(
        _("Videodatei"),
        upload_to="dgs/",
        validators=[FileExtensionValidator(["mp4", "webm"]), validate_video],
        help_text=_("MP4 (H.264) oder WebM."),
    )
    size_bytes = models.PositiveBigIntegerField(_("Größe in Bytes"), editable=False, default=0)
    duration_seconds = models.PositiveIntegerField(
        _("Dauer in Sekunden"),
        null=True,
        blank=True,
        help_text=_("Wird beim Hochladen aus der Datei gelesen, wenn leer."),
    )
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("Video in Gebärdensprache")
        verbose_name_plural = _("Videos in Gebärdensprache")

    def __str__(self) -> str:
        return self.title
