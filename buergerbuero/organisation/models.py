"""Departments (Ämter) that are responsible for services, and the customer centres
(Kundenzentren) citizens visit, with their regular opening hours."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    slug = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Name"), max_length=160)
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    address = models.TextField(_("Anschrift"), blank=True)
    website = models.URLField(_("Website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Amt")
        verbose_name_plural = _("Ämter")

    def __str__(self) -> str:
        return self.name


class CustomerCentre(models.Model):
    """A place citizens visit: a customer centre (Kundenzentrum) or a specialist office
    (Fachstelle, e.g. the immigration office). Appointments are booked and walk-in tickets
    drawn at these places."""

    class Kind(models.TextChoices):
        CUSTOMER_CENTRE = "kundenzentrum", _("Kundenzentrum")
        SPECIALIST_OFFICE = "fachstelle", _("Fachstelle")

    slug = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Name"), max_length=160)
    kind = models.CharField(
        _("Art"), max_length=20, choices=Kind.choices, default=Kind.CUSTOMER_CENTRE
    )
    district = models.CharField(_("Stadtbezirk"), max_length=80)
    street = models.CharField(_("Straße und Hausnummer"), max_length=120)
    postcode = models.CharField(_("Postleitzahl"), max_length=5)
    city = models.CharField(_("Ort"), max_length=80)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    email = models.EmailField(_("E-Mail"), blank=True)
    accessibility = models.TextField(
        _("Barrierefreiheit vor Ort"), blank=True, help_text=_("z. B. stufenloser Zugang, Aufzug")
    )
    public_transport = models.CharField(_("Anfahrt mit Bus und Bahn"), max_length=200, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="centres",
        verbose_name=_("Personal vor Ort"),
        help_text=_("Wer hier am Schalter arbeitet: Aufruf, Tagesansicht der Termine."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("Kundenzentrum")
        verbose_name_plural = _("Kundenzentren")

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    """Monday is 0, as in ``datetime.weekday()`` (counter hours, video consultation hours)."""

    MONDAY = 0, _("Montag")
    TUESDAY = 1, _("Dienstag")
    WEDNESDAY = 2, _("Mittwoch")
    THURSDAY = 3, _("Donnerstag")
    FRIDAY = 4, _("Freitag")
    SATURDAY = 5, _("Samstag")
    SUNDAY = 6, _("Sonntag")


class OpeningHours(models.Model):
    Weekday = Weekday

    centre = models.ForeignKey(
        CustomerCentre, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("Wochentag"), choices=Weekday.choices)
    opens = models.TimeField(_("öffnet"))
    closes = models.TimeField(_("schließt"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("Öffnungszeit")
        verbose_name_plural = _("Öffnungszeiten")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="opening_hours_closes_after_opens",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class CentreClosure(models.Model):
    """A day or part of a day on which a centre is closed besides the NRW public holidays
    (staff meeting, building work). Without times: the whole day."""

    centre = models.ForeignKey(CustomerCentre, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("Datum"))
    starts = models.TimeField(_("von"), null=True, blank=True)
    ends = models.TimeField(_("bis"), null=True, blank=True)
    reason = models.CharField(_("Grund"), max_length=160, blank=True)

    class Meta:
        ordering = ["date", "starts"]
        verbose_name = _("Schließung")
        verbose_name_plural = _("Schließungen")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__isnull=True, ends__isnull=True)
                | models.Q(starts__isnull=False, ends__isnull=False, ends__gt=models.F("starts")),
                name="centre_closure_whole_day_or_span",
            )
        ]

    def __str__(self) -> str:
        if self.starts is None:
            return f"{self.date:%d.%m.%Y}"
        return f"{self.date:%d.%m.%Y} {self.starts:%H:%M}–{self.ends:%H:%M}"
