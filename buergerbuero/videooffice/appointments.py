"""Video appointments: a booked time in an office's consultation hours.

An office offers appointments when ``appointment_minutes`` is set: its consultation
windows are cut into blocks of that length from each window's start, and
``appointment_lines`` appointments can share a block. The rest of the hour belongs to
citizens who knock without one.

At its time (from :func:`early_minutes` before the start until its end) the manage link
opens the office's waiting room: the knock it places has
``Knock.PRIORITY_APPOINTMENT``, ahead of walk-in knocks and behind only a citizen whose
call was cut off (``PRIORITY_RETURNED``)::

    slot = days_with_slots(office)[0][1][0]
    appointment, token = video_appointment_book(
        office=office, starts_at=slot.starts_at, name="Erika Mustermann",
        email="erika@example.org", concern="", language="de", mode="video",
    )
    knock = video_appointment_enter(appointment, request)   # at its time

**No double booking.** A booking locks the office row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite has one writer at a time), checks the block against the booked
appointments and takes the first free line; the partial unique constraint on
(office, line, start) is the database's own guard for the same block. Bookings of one
office therefore queue behind each other for a moment — a video office sells a few
dozen appointments a day, not thousands a minute. The same release rule as the counters
applies (``APPOINTMENT_RELEASE_TIME``, ``APPOINTMENT_RELEASE_DAYS``), and so does the
per-person limit of open appointments.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerbuero.appointments.ics import calendar_event
from buergerbuero.appointments.services import (
    SlotTaken,
    appointment_token_matches,
    open_limit_error,
    token_hash,
)
from buergerbuero.appointments.slots import last_released_day
from buergerbuero.notifications.services import Attachment, send_email
from buergerbuero.organisation.hours import local_day, utc_at

from . import hours, services
from .models import (
    ACTIVE_KNOCK_STATES,
    Knock,
    VideoAppointment,
    VideoAppointmentState,
    VideoOffice,
)

logger = logging.getLogger("buergerbuero.videooffice")

ALTERNATIVES = 3
State = VideoAppointmentState


@dataclass(frozen=True)
class VideoSlot:
    starts_at: dt.datetime  # aware, UTC
    ends_at: dt.datetime
    free_lines: tuple[int, ...]

    @property
    def local_start(self) -> dt.datetime:
        return timezone.localtime(self.starts_at)


def offers_appointments(office: VideoOffice) -> bool:
    return office.is_active and office.appointment_minutes > 0 and office.appointment_lines > 0


def early_minutes() -> int:
    """How long before its start an appointment's waiting room opens."""
    return settings.VIDEO_APPOINTMENT_EARLY_MINUTES


# -- free times ------------------------------------------------------------------------

Booked = list[tuple[int, dt.datetime, dt.datetime]]


def _booked(office: VideoOffice, first: dt.date, last: dt.date, *, exclude=None) -> Booked:
    """(line, start, end) of the office's appointments that hold their time, local days
    ``first`` … ``last``."""
    rows = VideoAppointment.objects.filter(
        office=office,
        starts_at__gte=utc_at(first, dt.time(0)),
        starts_at__lt=utc_at(last + dt.timedelta(days=1), dt.time(0)),
    ).exclude(state=State.CANCELLED)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return list(rows.values_list("line", "starts_at", "ends_at"))


def _free_lines(office: VideoOffice, start, end, booked: Booked) -> tuple[int, ...]:
    taken = {line for line, s, e in booked if s < end and e > start}
    return tuple(n for n in range(1, office.appointment_lines + 1) if n not in taken)


def _slots_of_day(
    office: VideoOffice, schedule: hours.Schedule, day: dt.date, booked: Booked, now
) -> list[VideoSlot]:
    length = dt.timedelta(minutes=office.appointment_minutes)
    found = []
    for opens, closes in schedule.utc_windows_on(day):
        start = opens
        while start + length <= closes:
            if start > now:
                lines = _free_lines(office, start, start + length, booked)
                if lines:
                    found.append(VideoSlot(start, start + length, lines))
            start += length
    return found


def days_with_slots(
    office: VideoOffice, *, now: dt.datetime | None = None, exclude=None
) -> list[tuple[dt.date, list[VideoSlot]]]:
    """Every released day from today with at least one free time, and those times."""
    if not offers_appointments(office):
        return []
    now = (now or timezone.now()).astimezone(dt.UTC)
    first, last = local_day(now), last_released_day(now)
    if last < first:
        return []
    schedule = hours.Schedule.of(office, first)
    booked = _booked(office, first, last, exclude=exclude)
    days = []
    day = first
    while day <= last:
        free = _slots_of_day(office, schedule, day, booked, now)
        if free:
            days.append((day, free))
        day += dt.timedelta(days=1)
    return days


def slot_at(office: VideoOffice, starts_at: dt.datetime, *, now=None, exclude=None):
    """The free slot beginning at ``starts_at``, or None (taken, past, not released, not
    on the office's grid)."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    day = local_day(starts_at)
    if not offers_appointments(office) or not local_day(now) <= day <= last_released_day(now):
        return None
    schedule = hours.Schedule.of(office, day)
    booked = _booked(office, day, day, exclude=exclude)
    return next(
        (s for s in _slots_of_day(office, schedule, day, booked, now) if s.starts_at == starts_at),
        None,
    )


def next_free(office: VideoOffice, *, after: dt.datetime, now=None) -> list[VideoSlot]:
    """The next :data:`ALTERNATIVES` free times from ``after`` on."""
    found: list[VideoSlot] = []
    for _day, free in days_with_slots(office, now=now):
        found += [s for s in free if s.starts_at >= after]
        if len(found) >= ALTERNATIVES:
            break
    return found[:ALTERNATIVES]


# -- booking and cancelling ------------------------------------------------------------


def _open_of_person(*, email: str, user, now) -> int:
    person = Q(email__iexact=email)
    if user is not None and user.is_authenticated:
        person |= Q(user=user)
    return VideoAppointment.objects.filter(person, state=State.BOOKED, ends_at__gt=now).count()


def video_appointment_book(
    *,
    office: VideoOffice,
    starts_at: dt.datetime,
    name: str,
    email: str,
    concern: str,
    language: str,
    mode: str,
    user=None,
    page_language: str = "de",
    now: dt.datetime | None = None,
) -> tuple[VideoAppointment, str]:
    """Book the block of ``office`` beginning at ``starts_at``; returns the appointment
    and its manage token (only its hash is stored). Raises
    :class:`~buergerbuero.appointments.services.SlotTaken` with the next free times when
    the block is not free (any more), ``ValidationError`` when the office takes no
    appointments or the person holds ``APPOINTMENT_MAX_OPEN_PER_PERSON`` open ones."""
    now = now or timezone.now()
    if not offers_appointments(office):
        raise ValidationError(
            _("Bei diesem virtuellen Amt kann man keine Termine buchen."), code="no_appointments"
        )
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        # Bookings of one office take turns here (see the module's docstring).
        VideoOffice.objects.select_for_update().filter(pk=office.pk).values_list("pk").first()
        limit = settings.APPOINTMENT_MAX_OPEN_PER_PERSON
        if _open_of_person(email=email, user=user, now=now) >= limit:
            raise open_limit_error(limit)
        slot = slot_at(office, starts_at, now=now)
        if slot is None:
            raise SlotTaken(next_free(office, after=starts_at, now=now))
        try:
            with transaction.atomic():
                appointment = VideoAppointment.objects.create(
                    office=office,
                    line=slot.free_lines[0],
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    name=name,
                    email=email,
                    user=user if user is not None and user.is_authenticated else None,
                    concern=concern.strip()[:500],
                    language=language,
                    page_language=page_language,
                    mode=mode,
                    consent_at=now,
                    token_hash=token_hash(token),
                )
        except IntegrityError:
            raise SlotTaken(next_free(office, after=starts_at, now=now)) from None
        _send(appointment, "booked", token=token)
    logger.info("video: appointment %s booked at %s", appointment.public_id, office.slug)
    return appointment, token


def video_appointment_cancel(appointment: VideoAppointment) -> bool:
    """Cancel a booked appointment that has not ended; its time is free at once. False
    when it was no longer booked (a second click, already entered or over)."""
    with transaction.atomic():
        cancelled = VideoAppointment.objects.filter(
            pk=appointment.pk, state=State.BOOKED, ends_at__gt=timezone.now()
        ).update(state=State.CANCELLED, cancelled_at=timezone.now())
        if not cancelled:
            return False
        appointment.refresh_from_db()
        _send(appointment, "cancelled")
    logger.info("video: appointment %s cancelled", appointment.public_id)
    return True


def video_appointment_get(public_id, token: str) -> VideoAppointment | None:
    """The appointment if ``token`` is its manage token (compared in constant time)."""
    found = VideoAppointment.objects.select_related("office", "knock")
    appointment = found.filter(public_id=public_id).first()
    if appointment is None or not appointment_token_matches(appointment, token):
        return None
    return appointment


def manage_url(appointment: VideoAppointment, token: str) -> str:
    path = reverse("videooffice:appointment", args=[appointment.public_id])
    return f"{settings.SITE_URL.rstrip('/')}{path}?t={token}"


# -- at its time -----------------------------------------------------------------------


def door_opens_at(appointment: VideoAppointment) -> dt.datetime:
    return appointment.starts_at - dt.timedelta(minutes=early_minutes())


def door_state(appointment: VideoAppointment, now: dt.datetime | None = None) -> str:
    """``"not_yet"``, ``"open"`` or ``"over"`` — may its holder enter the waiting room?"""
    now = now or timezone.now()
    if now < door_opens_at(appointment):
        return "not_yet"
    if now >= appointment.ends_at:
        return "over"
    return "open"


def video_appointment_enter(appointment: VideoAppointment, request) -> Knock:
    """Knock for the appointment's holder: ahead of walk-in knocks. Entering again (a
    second tab, after leaving the waiting room) within the time gives the knock that is
    still going on, or a new one. Raises ``services.KnockRefused`` outside the time, for a
    cancelled appointment, or while the same person waits at another door."""
    now = timezone.now()
    if appointment.state not in (State.BOOKED, State.ENTERED):
        raise services.KnockRefused(
            "cancelled", _("Dieser Termin wurde abgesagt. Sie können einen neuen buchen.")
        )
    state = door_state(appointment, now)
    if state == "not_yet":
        raise services.KnockRefused(
            "not_yet",
            _("Der Warteraum öffnet %(minutes)d Minuten vor Ihrem Termin.")
            % {"minutes": early_minutes()},
        )
    if state == "over":
        raise services.KnockRefused(
            "over", _("Die Zeit dieses Termins ist vorbei. Sie können einen neuen buchen.")
        )
    with transaction.atomic():
        # The appointment's row is locked: the link opened in two browsers at once gives
        # one knock, which the second adopts.
        locked = VideoAppointment.objects.select_for_update(of=("self",)).select_related("knock")
        current = locked.get(pk=appointment.pk).knock
        if current is not None and current.state in ACTIVE_KNOCK_STATES:
            services.knock_adopt(request, current)
            return current
        knock = services.knock_create(
            office=appointment.office,
            request=request,
            concern=appointment.concern,
            language=appointment.language,
            mode=appointment.mode,
            priority=Knock.PRIORITY_APPOINTMENT,
            consent_at=appointment.consent_at,
        )
        VideoAppointment.objects.filter(pk=appointment.pk).update(knock=knock, state=State.ENTERED)
    appointment.knock, appointment.state = knock, State.ENTERED
    logger.info("video: appointment %s entered the waiting room", appointment.public_id)
    return knock


# -- for the caseworkers and the housekeeping ------------------------------------------


def of_day(office: VideoOffice, now: dt.datetime) -> list[VideoAppointment]:
    """Today's appointments of ``office`` that were not cancelled, by time."""
    if not office.appointment_minutes:
        return []
    today = local_day(now)
    return list(
        VideoAppointment.objects.filter(
            office=office,
            starts_at__gte=utc_at(today, dt.time(0)),
            starts_at__lt=utc_at(today + dt.timedelta(days=1), dt.time(0)),
        ).exclude(state=State.CANCELLED)
    )


def of_knock(knock: Knock) -> VideoAppointment | None:
    try:
        return knock.appointment
    except VideoAppointment.DoesNotExist:
        return None


def appointments_housekeeping(now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the holders of tomorrow's appointments (once each: ``reminder_sent_at`` is
    claimed by a conditional update), record appointments nobody came to, and erase the
    holder's name, address and concern ``VIDEO_KNOCK_RETENTION_DAYS`` after the end."""
    now = now or timezone.now()
    tomorrow = local_day(now) + dt.timedelta(days=1)
    due = VideoAppointment.objects.filter(
        state=State.BOOKED,
        reminder_sent_at=None,
        starts_at__gte=utc_at(tomorrow, dt.time(0)),
        starts_at__lt=utc_at(tomorrow + dt.timedelta(days=1), dt.time(0)),
    ).select_related("office")
    reminded = 0
    for appointment in due:
        with transaction.atomic():
            if VideoAppointment.objects.filter(pk=appointment.pk, reminder_sent_at=None).update(
                reminder_sent_at=now
            ):
                _send(appointment, "reminder")
                reminded += 1
    missed = VideoAppointment.objects.filter(state=State.BOOKED, ends_at__lte=now).update(
        state=State.MISSED
    )
    # Name, address and concern were for this appointment only (the booking page says so).
    retention = dt.timedelta(days=settings.VIDEO_KNOCK_RETENTION_DAYS)
    forgotten = (
        VideoAppointment.objects.filter(ends_at__lt=now - retention)
        .exclude(name="", email="", concern="")
        .update(name="", email="", concern="")
    )
    return {"reminded": reminded, "missed": missed, "forgotten": forgotten}


# -- emails ----------------------------------------------------------------------------


def _send(appointment: VideoAppointment, kind: str, *, token: str = "") -> None:
    url = manage_url(appointment, token) if token else ""
    attachments: Iterable[Attachment] = ()
    if kind == "booked":
        attachments = [Attachment("termin.ics", _ics(appointment, url), "text/calendar")]
    send_email(
        to=appointment.email,
        template=f"videooffice/email/appointment_{kind}",
        context={
            "office": appointment.office,
            "starts_at": timezone.localtime(appointment.starts_at),
            "ends_at": timezone.localtime(appointment.ends_at),
            "manage_url": url,
            "early_minutes": early_minutes(),
        },
        language=appointment.page_language,
        attachments=attachments,
        topic=f"video_appointment.{kind}",
    )


def _ics(appointment: VideoAppointment, url: str) -> bytes:
    return calendar_event(
        uid=f"video-{appointment.public_id}",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=str(_("Video-Termin: %(office)s") % {"office": appointment.office.name}),
        location=url,
        description=str(_("Zum Warteraum und zum Absagen: %(url)s") % {"url": url}),
        url=url,
    )
