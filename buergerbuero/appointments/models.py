"""Appointments: bookable services per centre, counter plans, appointments and their seats.

Capacity is counters × time. A :class:`CounterPlan` says how many counters of a centre
serve on a weekday from when to when (and, optionally, only some services); an
:class:`Appointment` holds one counter for its whole duration, written as one
:class:`AppointmentSeat` per slot unit (``APPOINTMENT_SLOT_MINUTES``). The unique
constraint on (centre, counter, slot start) is what makes a double booking impossible:
two bookings of the same counter and slot cannot both commit, whatever the Python code
above them does (docs/appointments.md).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.catalog.models import Service
from buergerbuero.organisation.models import CustomerCentre, Weekday


class BookableService(models.Model):
    """A service that can be booked at a centre, and how long it takes there."""

    centre = models.ForeignKey(
        CustomerCentre,
        on_delete=models.CASCADE,
        related_name="bookable_services",
        verbose_name=_("Kundenzentrum"),
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="bookable_at",
        verbose_name=_("Leistung"),
    )
    minutes = models.PositiveSmallIntegerField(
        _("Dauer in Minuten"),
        help_text=_("Wird auf das Terminraster aufgerundet (APPOINTMENT_SLOT_MINUTES)."),
    )
    active = models.BooleanField(_("buchbar"), default=True)

    class Meta:
        ordering = ["centre", "service__name"]
        verbose_name = _("buchbare Leistung")
        verbose_name_plural = _("buchbare Leistungen")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "service"], name="bookable_service_once_per_centre"
            ),
            models.CheckConstraint(
                condition=models.Q(minutes__gt=0),
                name="bookable_service_minutes_positive",
                violation_error_message=_("Die Dauer muss mindestens eine Minute betragen."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.centre}, {self.minutes} min)"


class CounterPlan(models.Model):
    """Counters ``first_counter`` … ``first_counter + counters - 1`` serve appointments on
    ``weekday`` from ``starts`` to ``ends`` (within the opening hours). With services
    chosen, these counters serve only those; without, every bookable service of the
    centre. Plans of one centre that overlap in time should use different counter numbers
    (e.g. counters 1–3 for everything, counter 4 only for passports)."""

    centre = models.ForeignKey(
        CustomerCentre,
        on_delete=models.CASCADE,
        related_name="counter_plans",
        verbose_name=_("Kundenzentrum"),
    )
    weekday = models.PositiveSmallIntegerField(_("Wochentag"), choices=Weekday.choices)
    starts = models.TimeField(_("von"))
    ends = models.TimeField(_("bis"))
    first_counter = models.PositiveSmallIntegerField(_("erster Schalter"), default=1)
    counters = models.PositiveSmallIntegerField(_("Anzahl Schalter"), default=1)
    services = models.ManyToManyField(
        Service,
        blank=True,
        related_name="+",
        verbose_name=_("nur diese Leistungen"),
        help_text=_("Leer: alle buchbaren Leistungen des Kundenzentrums."),
    )

    class Meta:
        ordering = ["centre", "weekday", "starts", "first_counter"]
        verbose_name = _("Schalterplan")
        verbose_name_plural = _("Schalterpläne")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")),
                name="counter_plan_ends_after_starts",
                violation_error_message=_("„bis“ muss nach „von“ liegen."),
            ),
            models.CheckConstraint(
                condition=models.Q(counters__gt=0, first_counter__gt=0),
                name="counter_plan_counters_positive",
                violation_error_message=_(
                    "Es muss mindestens ein Schalter sein, und Schalternummern beginnen bei 1."
                ),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.centre}: {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}, "
            f"{self.counters}"
        )

    @property
    def counter_numbers(self) -> range:
        return range(self.first_counter, self.first_counter + self.counters)


class AppointmentState(models.TextChoices):
    BOOKED = "booked", _("gebucht")
    CANCELLED = "cancelled", _("abgesagt")
    CHECKED_IN = "checked_in", _("eingecheckt")
    NO_SHOW = "no_show", _("nicht erschienen")
    DONE = "done", _("erledigt")


class Appointment(models.Model):
    State = AppointmentState

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        CustomerCentre,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("Kundenzentrum"),
    )
    starts_at = models.DateTimeField(_("Beginn"), db_index=True)
    ends_at = models.DateTimeField(_("Ende"))
    services = models.ManyToManyField(
        Service, through="AppointmentService", related_name="+", verbose_name=_("Leistungen")
    )
    name = models.CharField(_("Name"), max_length=160)
    email = models.EmailField(_("E-Mail"), db_index=True)
    mobile = models.CharField(_("Mobilfunknummer"), max_length=20, blank=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("Konto"),
    )
    language = models.CharField(_("Sprache"), max_length=10, default="de")
    state = models.CharField(
        _("Status"),
        max_length=12,
        choices=AppointmentState.choices,
        default=AppointmentState.BOOKED,
        db_index=True,
    )
    # SHA-256 of the manage link's token; the token itself is only in the email.
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("gebucht am"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("abgesagt am"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("erinnert am"), null=True, blank=True)
    # Set at check-in: the appointment holder waits with this ticket, called before
    # walk-ins once it is due (appointments depend on tickets, never the other way round).
    ticket = models.OneToOneField(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment",
        verbose_name=_("Wartemarke"),
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("Termin")
        verbose_name_plural = _("Termine")
        indexes = [models.Index(fields=["centre", "starts_at"], name="appointment_centre_start")]

    def __str__(self) -> str:
        return f"{self.centre} {self.starts_at:%Y-%m-%d %H:%M} {self.name}"


class AppointmentService(models.Model):
    """A service booked in an appointment, with the minutes it took at booking time."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="booked_services"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveSmallIntegerField(_("Dauer in Minuten"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("gebuchte Leistung")
        verbose_name_plural = _("gebuchte Leistungen")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "service"], name="appointment_service_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.minutes} min)"


class AppointmentSeat(models.Model):
    """One counter for one slot unit, held by an appointment. The unique constraint is the
    guarantee against double booking; cancelling deletes the seats."""

    centre = models.ForeignKey(CustomerCentre, on_delete=models.CASCADE, related_name="+")
    counter = models.PositiveSmallIntegerField(_("Schalter"))
    starts_at = models.DateTimeField(_("Beginn des Zeitabschnitts"))
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="seats")

    class Meta:
        ordering = ["centre", "starts_at", "counter"]
        verbose_name = _("belegter Schalter")
        verbose_name_plural = _("belegte Schalter")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "counter", "starts_at"], name="appointment_seat_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre_id}/{self.counter} {self.starts_at:%Y-%m-%d %H:%M}"
