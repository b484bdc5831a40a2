"""The city running this installation: name, logo, colours and contact are data, not code.

Another city runs the same release by editing this one record in the admin.
"""

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .banking import validate_bic, validate_creditor_id, validate_iban
from .colour import contrast_ratio
from .uploads import validate_raster_image

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Bitte eine Farbe wie #1d4f91 angeben."))


class Municipality(models.Model):
    """The one city (or district) whose citizens' office this is. At most one row exists."""

    name = models.CharField(_("Name"), max_length=120, help_text=_("z. B. Stadt Köln"))
    short_name = models.CharField(_("Kurzname"), max_length=60, help_text=_("z. B. Köln"))
    logo = models.FileField(
        _("Logo oder Wappen"),
        upload_to="branding/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"]), validate_raster_image],
        help_text=_("PNG, JPEG oder WebP. Ohne Logo wird der Name als Schriftzug gezeigt."),
    )
    logo_alt = models.CharField(_("Alternativtext des Logos"), max_length=120, blank=True)
    primary_colour = models.CharField(
        _("Hauptfarbe"),
        max_length=7,
        default="#1d4f91",
        validators=[HEX_COLOUR],
        help_text=_("Für Schaltflächen und Links; muss auf Weiß einen Kontrast von 4,5:1 haben."),
    )
    contact_email = models.EmailField(_("E-Mail-Adresse"), blank=True)
    contact_phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    contact_address = models.TextField(_("Anschrift"), blank=True)
    website = models.URLField(_("Website der Stadt"), blank=True)
    accessibility_email = models.EmailField(
        _("E-Mail für Barrierefreiheit"),
        blank=True,
        help_text=_(
            "Erhält die Rückmeldungen aus dem Formular der Erklärung zur Barrierefreiheit."
        ),
    )
    cash_office_name = models.CharField(
        _("Empfänger der Zahlungen"),
        max_length=70,
        blank=True,
        help_text=_("Kontoinhaber für Überweisungen und GiroCodes, z. B. „Stadtkasse Köln“."),
    )
    cash_office_iban = models.CharField(
        _("IBAN der Stadtkasse"),
        max_length=34,
        blank=True,
        validators=[validate_iban],
        help_text=_("Ohne IBAN zeigen Bescheide und Zahlungsseiten keine Überweisungsdaten."),
    )
    cash_office_bic = models.CharField(
        _("BIC der Stadtkasse"), max_length=11, blank=True, validators=[validate_bic]
    )
    sepa_creditor_id = models.CharField(
        _("Gläubiger-Identifikationsnummer"),
        max_length=35,
        blank=True,
        validators=[validate_creditor_id],
        help_text=_("Für SEPA-Lastschriften, z. B. DE98ZZZ09999999999."),
    )
    administrative_court = models.CharField(
        _("Zuständiges Verwaltungsgericht"),
        max_length=200,
        blank=True,
        help_text=_(
            "Mit Anschrift, für die Rechtsbehelfsbelehrung der Bescheide, z. B. "
            "„Verwaltungsgericht Köln, Appellhofplatz, 50667 Köln“."
        ),
    )
    videoident_enabled = models.BooleanField(
        _("Identifizierung per Video (Videoident) erlauben"),
        default=False,
        help_text=_(
            "Aus, solange die Stadt es nicht ausdrücklich erlaubt. Videoident hat bekannte "
            "Schwächen: 2022 hat der Chaos Computer Club sechs kommerzielle Anbieter mit "
            "gefälschten Ausweisen überlistet. Eine Sachbearbeiterin sieht den Ausweis nur auf "
            "dem Bildschirm, ohne dessen Chip zu prüfen – deshalb erreicht Videoident höchstens "
            "das Vertrauensniveau „substanziell“, nie „hoch“ (dafür braucht es die "
            "Online-Ausweisfunktion)."
        ),
    )

    class Meta:
        verbose_name = _("Stadt")
        verbose_name_plural = _("Stadt")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.primary_colour and HEX_COLOUR.regex.match(self.primary_colour):
            ratio = contrast_ratio(self.primary_colour, "#ffffff")
            if ratio < 4.5:
                raise ValidationError(
                    {
                        "primary_colour": _(
                            "Die Farbe hat auf Weiß nur einen Kontrast von %(ratio).1f:1. "
                            "Barrierefreiheit verlangt mindestens 4,5:1."
                        )
                        % {"ratio": ratio}
                    }
                )
        if Municipality.objects.exclude(pk=self.pk).exists():
            raise ValidationError(_("Es gibt bereits einen Eintrag für die Stadt."))
