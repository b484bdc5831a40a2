"""The walk-in queue of a customer centre: service groups (the letter on the ticket),
counters (Schalter) and tickets (Wartemarken).

A ticket's number counts per centre, local day and group ("A-017" is the 17th ticket of
group A today). Numbers come from :class:`TicketNumberCounter` through one atomic upsert
(``core.counters.counter_next``), and a unique constraint guards them once more.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.organisation.models import CustomerCentre


class ServiceGroup(models.Model):
    """Services that share one queue at a centre, e.g. "A Ausweise und Pässe"."""

    centre = models.ForeignKey(
        CustomerCentre, on_delete=models.CASCADE, related_name="service_groups"
    )
    letter = models.CharField(_("Buchstabe"), max_length=2)
    name = models.CharField(_("Name"), max_length=120)
    services = models.ManyToManyField(
        "catalog.Service", blank=True, related_name="service_groups", verbose_name=_("Leistungen")
    )
    typical_minutes = models.PositiveSmallIntegerField(
        _("übliche Bearbeitungszeit (Minuten)"),
        default=10,
        help_text=_("Schätzung für die Wartezeit, bis heute genug Vorgänge erledigt sind."),
    )
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        ordering = ["centre", "position", "letter"]
        verbose_name = _("Leistungsgruppe")
        verbose_name_plural = _("Leistungsgruppen")
        constraints = [
            models.UniqueConstraint(fields=["centre", "letter"], name="service_group_letter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.letter} {self.name}"


class Counter(models.Model):
    """A counter (Schalter): which groups it serves, whether it is open, who sits there."""

    centre = models.ForeignKey(CustomerCentre, on_delete=models.CASCADE, related_name="counters")
    name = models.CharField(_("Name"), max_length=60, help_text=_("z. B. „Schalter 3“"))
    groups = models.ManyToManyField(
        ServiceGroup, blank=True, related_name="counters", verbose_name=_("Leistungsgruppen")
    )
    is_open = models.BooleanField(_("geöffnet"), default=False)
    staffed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("besetzt von"),
    )

    class Meta:
        ordering = ["centre", "name"]
        verbose_name = _("Schalter")
        verbose_name_plural = _("Schalter")
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="counter_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class TicketState(models.TextChoices):
    WAITING = "waiting", _("wartet")
    CALLED = "called", _("aufgerufen")
    SERVING = "serving", _("in Bearbeitung")
    DONE = "done", _("erledigt")
    NO_SHOW = "no_show", _("nicht erschienen")
    CANCELLED = "cancelled", _("zurückgezogen")


class TicketSource(models.TextChoices):
    KIOSK = "kiosk", _("Automat vor Ort")
    REMOTE = "remote", _("online gezogen")
    APPOINTMENT = "appointment", _("Termin")


class Ticket(models.Model):
    State = TicketState
    Source = TicketSource

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(CustomerCentre, on_delete=models.PROTECT, related_name="tickets")
    # The group whose queue the ticket waits in now (a transfer changes it) ...
    group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="tickets")
    # ... and the group that gave the number (never changes: "A-017" stays A-017 in B).
    number_group = models.ForeignKey(
        ServiceGroup, on_delete=models.PROTECT, related_name="numbered_tickets"
    )
    day = models.DateField(_("Tag"))  # local date in settings.TIME_ZONE
    number = models.PositiveIntegerField(_("Nummer"))
    display = models.CharField(_("Wartenummer"), max_length=12)
    state = models.CharField(
        _("Status"), max_length=12, choices=TicketState.choices, default=TicketState.WAITING
    )
    source = models.CharField(_("Herkunft"), max_length=12, choices=TicketSource.choices)
    due_at = models.DateTimeField(_("Termin um"), null=True, blank=True)
    phone = models.CharField(_("Mobilfunknummer"), max_length=20, blank=True)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    drawn_at = models.DateTimeField(_("gezogen um"))
    # Where the ticket stands in its group's walk-in queue: the drawn time, or the time of a
    # transfer that sends it to the end (see services.ticket_transfer).
    queued_at = models.DateTimeField(_("eingereiht um"))
    called_at = models.DateTimeField(_("aufgerufen um"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(_("Aufrufe"), default=0)
    counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("Schalter"),
    )
    service_started_at = models.DateTimeField(_("Bearbeitung ab"), null=True, blank=True)
    done_at = models.DateTimeField(_("erledigt um"), null=True, blank=True)
    few_ahead_sms_sent_at = models.DateTimeField(null=True, blank=True)
    called_sms_sent_at = models.DateTimeField(null=True, blank=True)
    # The kiosk's key of the press that drew this ticket (a UUID per press): a press sent
    # again after a lost answer gets this ticket instead of a second one.
    draw_key = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["day", "queued_at", "pk"]
        verbose_name = _("Wartemarke")
        verbose_name_plural = _("Wartemarken")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "day", "number_group", "number"],
                name="ticket_number_unique_per_day",
            ),
            models.UniqueConstraint(
                fields=["centre", "draw_key"],
                condition=models.Q(draw_key__isnull=False),
                name="ticket_draw_key_unique_per_centre",
            ),
        ]
        indexes = [models.Index(fields=["centre", "day", "state"], name="ticket_queue_idx")]

    def __str__(self) -> str:
        return f"{self.display} ({self.day})"

    @property
    def is_open(self) -> bool:
        return self.state in (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING)


class TicketNumberCounter(models.Model):
    """The last number given per centre, local day and group (core.counters.counter_next)."""

    centre_id = models.IntegerField()
    day = models.DateField()
    group_id = models.IntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["centre_id", "day", "group_id"], name="ticket_number_counter_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.group_id}: {self.last}"
