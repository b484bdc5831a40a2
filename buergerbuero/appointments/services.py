"""Writes of the appointments: book, cancel, move, mark no-show.

Booking takes one counter's seats for every slot unit of the appointment in the booking
transaction. The seats' unique constraint decides a race: the insert of the slower
booking fails, which tries the next free counter and, when none is left, raises
:class:`SlotTaken` with the next free slots::

    try:
        appointment, token = appointment_book(
            centre=kalk, services=[ausweis], starts_at=slot.starts_at,
            name="Erika Mustermann", email="erika@example.org",
        )
    except SlotTaken as taken:
        offer(taken.alternatives)

The token is shown once (the manage link in the email); only its SHA-256 is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from buergerbuero.catalog.models import Service
from buergerbuero.notifications.services import Attachment, send_email
from buergerbuero.organisation.models import CustomerCentre

from . import cache, slots
from .ics import appointment_ics
from .lock_objects import appointment_lock
from .models import (
    Appointment,
    AppointmentSeat,
    AppointmentService,
    AppointmentState,
    BookableService,
)


class SlotTaken(Exception):
    """The chosen time is not free (any more); ``alternatives`` are the next free slots
    of the same centre."""

    def __init__(self, alternatives: Sequence[slots.Slot]):
        super().__init__(_("Dieser Termin ist leider gerade vergeben worden."))
        self.alternatives = list(alternatives)


class AppointmentNotOpen(Exception):
    """The appointment is no longer booked (cancelled, checked in, over)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def appointment_token_matches(appointment: Appointment, token: str) -> bool:
    """Whether ``token`` is the appointment's manage token (compared in constant time)."""
    return hmac.compare_digest(token_hash(token or ""), appointment.token_hash)


def manage_url(appointment: Appointment, token: str) -> str:
    path = reverse("appointments:manage", args=[appointment.public_id])
    return f"{settings.SITE_URL.rstrip('/')}{path}?t={token}"


def _open_appointments(*, email: str, mobile: str, user, now: dt.datetime):
    person = Q(email__iexact=email)
    if mobile:
        person |= Q(mobile=mobile)
    if user is not None and user.is_authenticated:
        person |= Q(user=user)
    return Appointment.objects.filter(person, state=AppointmentState.BOOKED, starts_at__gt=now)


def open_limit_error(limit: int) -> ValidationError:
    """What someone holding ``limit`` open appointments is told (video appointments too)."""
    return ValidationError(
        ngettext(
            "Sie haben schon %(count)d offenen Termin. Mehr als %(count)d offenen Termin "
            "pro Person können wir leider nicht vergeben. Bitte sagen Sie zuerst einen "
            "Termin ab, den Sie nicht brauchen.",
            "Sie haben schon %(count)d offene Termine. Mehr als %(count)d offene Termine "
            "pro Person können wir leider nicht vergeben. Bitte sagen Sie zuerst einen "
            "Termin ab, den Sie nicht brauchen.",
            limit,
        )
        % {"count": limit},
        code="limit",
    )


def _limit_check(*, email: str, mobile: str, user, now: dt.datetime, exclude=None) -> None:
    limit = settings.APPOINTMENT_MAX_OPEN_PER_PERSON
    open_ones = _open_appointments(email=email, mobile=mobile, user=user, now=now)
    if exclude is not None:
        open_ones = open_ones.exclude(pk=exclude.pk)
    if open_ones.count() >= limit:
        raise open_limit_error(limit)


def _bookables(centre: CustomerCentre, services: Iterable[Service]) -> list[BookableService]:
    """The centre's active bookable rows of ``services`` (from the process cache of the
    centre's static data, ``cache.py``), by service name."""
    services = list(services)
    static = cache.centre_static(centre.pk)
    offered = static.bookables if static is not None else {}
    ids = {s.pk for s in services}
    found = sorted(
        (offered[pk] for pk in ids if pk in offered), key=lambda b: (b.service.name, b.pk)
    )
    if not services or len(found) != len(ids):
        raise ValidationError(
            _("Diese Leistungen können am gewählten Standort nicht gebucht werden."),
            code="not_bookable",
        )
    return found


def _seats(appointment: Appointment, counter: int) -> list[AppointmentSeat]:
    step = dt.timedelta(minutes=slots.slot_minutes())
    units = int((appointment.ends_at - appointment.starts_at) / step)
    return [
        AppointmentSeat(
            centre_id=appointment.centre_id,
            counter=counter,
            starts_at=appointment.starts_at + step * i,
            appointment=appointment,
        )
        for i in range(units)
    ]


def _take_seats(appointment: Appointment, counters: Iterable[int]) -> bool:
    """Insert the seats on the first of ``counters`` that is still free; False when every
    one was taken meanwhile (each try in a savepoint, so a failed insert leaves the
    transaction usable)."""
    for counter in counters:
        try:
            with transaction.atomic():
                AppointmentSeat.objects.bulk_create(_seats(appointment, counter))
        except IntegrityError:
            continue
        return True
    return False


def _send_booked(appointment: Appointment, token: str, *, moved: bool = False) -> None:
    url = manage_url(appointment, token)
    services = ", ".join(s.service.name for s in appointment.booked_services.all())
    send_email(
        to=appointment.email,
        template="appointments/email/booked",
        context={
            "centre": appointment.centre,
            "starts_at": timezone.localtime(appointment.starts_at),
            "services": services,
            "manage_url": url,
            "moved": moved,
        },
        language=appointment.language,
        attachments=[
            Attachment("termin.ics", appointment_ics(appointment, manage_url=url), "text/calendar")
        ],
        topic="appointment.moved" if moved else "appointment.booked",
    )


def appointment_book(
    *,
    centre: CustomerCentre,
    services: Iterable[Service],
    starts_at: dt.datetime,
    name: str,
    email: str,
    mobile: str = "",
    user=None,
    language: str = "de",
    now: dt.datetime | None = None,
) -> tuple[Appointment, str]:
    """Book ``services`` at ``centre`` from ``starts_at``; returns the appointment and
    its manage token. Raises :class:`SlotTaken` (with alternatives) when the time is not
    free, ``ValidationError`` when the services are not bookable there or the person
    already holds ``APPOINTMENT_MAX_OPEN_PER_PERSON`` open appointments."""
    now = now or timezone.now()
    bookables = _bookables(centre, services)
    service_list = [b.service for b in bookables]
    day = slots.local_day(starts_at)
    # Hours, plans and services come from the process cache: a booker, and above all one
    # who comes too late, costs one query of the day's seats until here.
    book = slots.SlotBook([centre], day, day, cached=True)
    ids = frozenset(s.pk for s in service_list)
    counters = book.counters_at(book.centres[0], ids, starts_at, now.astimezone(dt.UTC))
    if not counters:
        raise SlotTaken(
            slots.next_free(
                centre=centre, services=service_list, after=starts_at, now=now, book=book
            )
        )
    minutes = slots.rounded_minutes(sum(b.minutes for b in bookables))
    token = secrets.token_urlsafe(24)
    try:
        with transaction.atomic():
            _limit_check(email=email, mobile=mobile, user=user, now=now)
            appointment = Appointment.objects.create(
                centre=centre,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=minutes),
                name=name,
                email=email,
                mobile=mobile,
                user=user if user is not None and user.is_authenticated else None,
                language=language,
                token_hash=token_hash(token),
            )
            AppointmentService.objects.bulk_create(
                AppointmentService(appointment=appointment, service=b.service, minutes=b.minutes)
                for b in bookables
            )
            # The email first, the seats last: a seat's insert holds its index entry until
            # the commit, and a competing insert of it waits that long (holding a pooled
            # connection), so rendering the email must not happen in between. Should the
            # seats be taken, the rollback takes the email (and its on-commit send) with it.
            _send_booked(appointment, token)
            if not _take_seats(appointment, counters):
                raise _AllCountersTaken  # rolls the appointment and its email back
    except _AllCountersTaken:
        raise SlotTaken(_alternatives(centre, service_list, starts_at, now)) from None
    return appointment, token


class _AllCountersTaken(Exception):
    pass


def _alternatives(centre, services, after, now) -> list[slots.Slot]:
    return slots.next_free(centre=centre, services=services, after=after, now=now)


def appointment_cancel(*, appointment: Appointment, now: dt.datetime | None = None) -> Appointment:
    """Cancel a booked appointment; its seats are deleted, so the time is free at once."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = appointment_lock(appointment.pk)
        if appointment.state != AppointmentState.BOOKED or appointment.starts_at <= now:
            raise AppointmentNotOpen
        appointment.seats.all().delete()
        appointment.state = AppointmentState.CANCELLED
        appointment.cancelled_at = now
        appointment.save(update_fields=["state", "cancelled_at"])
        send_email(
            to=appointment.email,
            template="appointments/email/cancelled",
            context={
                "centre": appointment.centre,
                "starts_at": timezone.localtime(appointment.starts_at),
                "services": ", ".join(
                    s.service.name for s in appointment.booked_services.select_related("service")
                ),
                "booking_url": f"{settings.SITE_URL.rstrip('/')}{reverse('appointments:start')}",
            },
            language=appointment.language,
            topic="appointment.cancelled",
        )
    return appointment


def appointment_move(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    token: str,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move a booked appointment to ``starts_at`` at the same centre, same services.

    Atomic: in one savepoint the old seats are deleted and the new ones inserted; if the
    insert meets a taken seat the savepoint rolls back and the old seats are back. Until
    the commit nobody else sees the old time free (a competing insert of one of its seats
    waits for this transaction on PostgreSQL; SQLite has one writer at a time). Raises
    :class:`SlotTaken` (the appointment unchanged) or :class:`AppointmentNotOpen`."""
    now = now or timezone.now()
    services = [s.service for s in appointment.booked_services.select_related("service")]
    with transaction.atomic():
        appointment = appointment_lock(appointment.pk)
        if appointment.state != AppointmentState.BOOKED or appointment.starts_at <= now:
            raise AppointmentNotOpen
        counters = slots.slot_free_counters(
            centre=appointment.centre,
            services=services,
            starts_at=starts_at,
            now=now,
            ignoring=appointment,
        )
        duration = appointment.ends_at - appointment.starts_at
        old_start, old_end = appointment.starts_at, appointment.ends_at
        moved = False
        for counter in counters:
            try:
                with transaction.atomic():
                    appointment.seats.all().delete()
                    appointment.starts_at, appointment.ends_at = starts_at, starts_at + duration
                    AppointmentSeat.objects.bulk_create(_seats(appointment, counter))
            except IntegrityError:
                appointment.starts_at, appointment.ends_at = old_start, old_end
                continue
            moved = True
            break
        if moved:
            appointment.save(update_fields=["starts_at", "ends_at"])
            _send_booked(appointment, token, moved=True)
    if not moved:
        raise SlotTaken(_alternatives(appointment.centre, services, starts_at, now))
    return appointment


def appointment_mark(*, appointment: Appointment, state: str) -> Appointment:
    """Staff: mark a booked appointment as no-show or done."""
    if state not in {AppointmentState.NO_SHOW, AppointmentState.DONE}:
        raise ValueError(f"appointment_mark sets no_show or done, not {state!r}")
    with transaction.atomic():
        appointment = appointment_lock(appointment.pk)
        if appointment.state not in {AppointmentState.BOOKED, AppointmentState.CHECKED_IN}:
            raise AppointmentNotOpen
        appointment.state = state
        appointment.save(update_fields=["state"])
    return appointment


class CheckInRefused(Exception):
    """Check-in is not possible; ``message`` says why (German, for the staff page)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def appointment_check_in(
    *, appointment: Appointment, now: dt.datetime | None = None
) -> Appointment:
    """Staff at the centre check in an appointment holder on the day of the appointment:
    a ticket of source ``appointment``, due at the appointment's start, in the centre's
    service group for the booked services; the counter calls it before walk-ins once due."""
    from buergerbuero.organisation.hours import local_day
    from buergerbuero.tickets.selectors import group_for_services
    from buergerbuero.tickets.services import ticket_draw

    now = now or timezone.now()
    with transaction.atomic():
        appointment = appointment_lock(appointment.pk)
        if appointment.state != AppointmentState.BOOKED:
            raise CheckInRefused(_("Dieser Termin ist nicht mehr offen."))
        if local_day(appointment.starts_at) != local_day(now):
            raise CheckInRefused(_("Einchecken geht nur am Tag des Termins."))
        services = [s.service for s in appointment.booked_services.select_related("service")]
        group = group_for_services(appointment.centre, services)
        if group is None:
            raise CheckInRefused(
                _("Für diese Anliegen gibt es hier keine Warteschlange. Bitte legen Sie eine an.")
            )
        appointment.ticket = ticket_draw(
            centre=appointment.centre,
            group=group,
            source="appointment",
            phone=appointment.mobile,
            language=appointment.language,
            due_at=appointment.starts_at,
        )
        appointment.state = AppointmentState.CHECKED_IN
        appointment.save(update_fields=["ticket", "state"])
    return appointment
