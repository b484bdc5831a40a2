"""The service catalog (Leistungskatalog) with FIM-style fields.

Translated fields (``name``, ``teaser`` …) exist once per language as ``name_de``,
``name_en`` (django-modeltranslation); reading ``service.name`` gives the active
language, falling back to German.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from buergerbuero.identity.trust import TrustLevel  # noqa: F401  (re-exported)
from buergerbuero.organisation.models import Department

LEIKA_KEY = RegexValidator(
    r"^99\d{12}$", _("Ein LeiKa-Schlüssel hat 14 Ziffern und beginnt mit 99.")
)


class Category(models.Model):
    slug = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Name"), max_length=120)
    description = models.TextField(_("Beschreibung"), blank=True)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("Thema")
        verbose_name_plural = _("Themen")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:category", args=[self.slug])


class LifeSituation(models.Model):
    """A Lebenslage: what happens in a citizen's life (moving, a birth, a dog) that
    needs several services."""

    slug = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Name"), max_length=120)
    description = models.TextField(_("Beschreibung"), blank=True)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("Lebenslage")
        verbose_name_plural = _("Lebenslagen")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:life_situation", args=[self.slug])


class Service(models.Model):
    slug = models.SlugField(_("Kürzel"), unique=True, max_length=80)
    leika_key = models.CharField(
        _("LeiKa-Schlüssel"), max_length=14, blank=True, validators=[LEIKA_KEY]
    )
    name = models.CharField(_("Name"), max_length=160)
    teaser = models.CharField(_("Kurztext"), max_length=300)
    description = models.TextField(_("Beschreibung"))
    easy_language = models.TextField(
        _("Text in Leichter Sprache"), blank=True, help_text=_("Kurze Sätze, ein Gedanke pro Satz.")
    )
    fees = models.TextField(_("Gebühren"), blank=True)
    prerequisites = models.TextField(_("Voraussetzungen"), blank=True)
    legal_basis = models.TextField(_("Rechtsgrundlage"), blank=True)
    processing_time = models.CharField(_("Bearbeitungsdauer"), max_length=200, blank=True)
    keywords = models.TextField(
        _("Suchbegriffe und Synonyme"),
        blank=True,
        help_text=_("Ein Begriff pro Zeile, auch umgangssprachlich (z. B. Perso, Knöllchen)."),
    )
    questions = models.TextField(
        _("Beispielfragen für den Chatbot"),
        blank=True,
        help_text=_(
            "Eine Frage pro Zeile, so wie Bürgerinnen und Bürger sie stellen, auch ohne den "
            "Namen der Leistung (z. B. „Unser Hund ist gestorben, was muss ich tun?“)."
        ),
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="services", verbose_name=_("Amt")
    )
    trust_level = models.CharField(
        _("Vertrauensniveau für die Online-Nutzung"),
        max_length=12,
        choices=TrustLevel.choices,
        default=TrustLevel.LOW,
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="services", verbose_name=_("Themen")
    )
    life_situations = models.ManyToManyField(
        LifeSituation, blank=True, related_name="services", verbose_name=_("Lebenslagen")
    )
    popular = models.BooleanField(_("auf der Startseite zeigen"), default=False)
    updated_at = models.DateTimeField(_("zuletzt geändert"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Leistung")
        verbose_name_plural = _("Leistungen")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:service", args=[self.slug])


class RequiredDocument(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(_("Unterlage"), max_length=300)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("erforderliche Unterlage")
        verbose_name_plural = _("erforderliche Unterlagen")

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    """How a citizen takes the next step for a service."""

    ONLINE = "online", _("Online-Antrag in diesem Bürgerbüro")
    EXTERNAL = "external", _("Externes Online-Portal")
    APPOINTMENT = "appointment", _("Termin vor Ort")
    VIDEO = "video", _("Video-Sprechstunde")
    INFO = "info", _("Nur Information")


class ServiceChannel(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("Zugang"), max_length=12, choices=Channel.choices)
    url = models.URLField(
        _("Adresse des externen Portals"), blank=True, help_text=_("Nur für externe Portale.")
    )
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("Zugang")
        verbose_name_plural = _("Zugänge")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "kind"],
                name="one_channel_of_a_kind",
                violation_error_message=_("Jeden Zugang nur einmal angeben."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="external") | ~models.Q(url=""),
                name="external_channel_has_url",
                violation_error_message=_("Ein externes Portal braucht seine Adresse (URL)."),
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
