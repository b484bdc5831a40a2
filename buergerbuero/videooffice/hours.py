"""When a virtual office is open: weekly consultation hours, exceptions and NRW holidays.

A local day's hours are, in this order of precedence:

1. its :class:`~.models.HoursException` rows: those with times are the day's windows (they
   replace the weekly hours); a day with only rows without times is closed;
2. closed on a public holiday of North Rhine-Westphalia (from the ``holidays`` package);
3. the weekly :class:`~.models.ConsultationHours` of its weekday.

Windows are built per local date in ``settings.TIME_ZONE``, so "08:00–12:00" means 08:00
Berlin time in summer and in winter, and the day the clocks change is 23 or 25 hours long.
Internally every instant is compared in UTC: two datetimes sharing a ``ZoneInfo`` compare
by wall time, which is wrong across the change.

A time field cannot say 24:00: windows less than :data:`JOIN_GAP` apart (a day's hours
ending 23:59 and the next day's starting 00:00) count as one stretch, so an office open
"Mon–Sun 00:00–23:59" never closes for that minute and never ends its queue at midnight.

Usage::

    status = office_status(office)            # the API's dict, ISO 8601 with offset
    if is_open(office): ...
    closes_at(office)                         # end of the current stretch, or None
    next_opening(office)                      # start of the next stretch if closed, or None

For a list, load the offices with :func:`prefetch_for_status` (hours, exceptions and the
waiting count in three queries, however many offices).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

# The city's calendar: NRW holidays and wall times (organisation/hours.py explains the
# daylight-saving rules), the same for counters and consultation hours.
from buergerbuero.organisation.hours import holiday_name, local_zone, utc_at

from . import queue
from .models import HoursException, VideoOffice

SEARCH_DAYS = 60
JOIN_GAP = dt.timedelta(minutes=1)
# Annotation set by prefetch_for_status: the queue length, counted with the offices.
WAITING_ANNOTATION = "waiting_now"

Window = tuple[dt.datetime, dt.datetime]
Times = tuple[dt.time, dt.time]


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(local_zone())


@dataclass(frozen=True)
class Schedule:
    """An office's hours loaded once, so that searching 60 days asks the database at most
    twice (and not at all for an office from :func:`prefetch_for_status`)."""

    weekly: dict[int, list[Times]]
    exceptions: dict[dt.date, list[Times]]
    exception_reasons: dict[dt.date, str]

    @classmethod
    def of(cls, office: VideoOffice, around: dt.date) -> Schedule:
        weekly: dict[int, list[Times]] = {}
        for hours in office.hours.all():
            weekly.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
        exceptions: dict[dt.date, list[Times]] = {}
        reasons: dict[dt.date, str] = {}
        for exception in _exceptions_near(office, around):
            times = exceptions.setdefault(exception.date, [])
            if exception.opens is not None:
                times.append((exception.opens, exception.closes))
            if exception.reason:
                reasons.setdefault(exception.date, exception.reason)
        return cls(
            weekly={day: sorted(times) for day, times in weekly.items()},
            exceptions={day: sorted(times) for day, times in exceptions.items()},
            exception_reasons=reasons,
        )

    def times_on(self, day: dt.date) -> list[Times]:
        if day in self.exceptions:
            return self.exceptions[day]
        if holiday_name(day):
            return []
        return self.weekly.get(day.weekday(), [])

    def utc_windows_on(self, day: dt.date) -> list[Window]:
        return [(utc_at(day, opens), utc_at(day, closes)) for opens, closes in self.times_on(day)]


def _exceptions_near(office: VideoOffice, around: dt.date) -> Iterable[HoursException]:
    if "exceptions" in getattr(office, "_prefetched_objects_cache", {}):
        return office.exceptions.all()
    return office.exceptions.filter(
        date__gte=around - dt.timedelta(days=2),
        date__lte=around + dt.timedelta(days=SEARCH_DAYS + 2),
    )


def prefetch_for_status(offices: QuerySet[VideoOffice], at: dt.datetime | None = None):
    """``offices`` with what :func:`office_status` needs: their hours, the exceptions of
    the coming :data:`SEARCH_DAYS` and the number of people waiting."""
    today = (at or timezone.now()).astimezone(local_zone()).date()
    upcoming = HoursException.objects.filter(
        date__gte=today - dt.timedelta(days=2), date__lte=today + dt.timedelta(days=SEARCH_DAYS + 2)
    )
    return offices.prefetch_related("hours", Prefetch("exceptions", queryset=upcoming)).annotate(
        **{WAITING_ANNOTATION: Count("knocks", filter=Q(knocks__state__in=queue.QUEUE_STATES))}
    )


def windows_on(office: VideoOffice, date: dt.date) -> list[Window]:
    """The office's consultation windows on the local ``date``, as aware local datetimes."""
    schedule = Schedule.of(office, date)
    return [(_local(start), _local(end)) for start, end in schedule.utc_windows_on(date)]


def _stretches(
    schedule: Schedule, first_day: dt.date
) -> Iterator[tuple[dt.datetime, dt.datetime | None]]:
    """Windows from ``first_day`` on for :data:`SEARCH_DAYS` days, joined where less than
    :data:`JOIN_GAP` apart, in UTC. A stretch still running on the day after the search
    ends with None: it does not close within sight."""
    current: Window | None = None
    for offset in range(SEARCH_DAYS + 1):
        for start, end in schedule.utc_windows_on(first_day + dt.timedelta(days=offset)):
            if current and start - current[1] <= JOIN_GAP:
                current = (current[0], max(current[1], end))
                continue
            if current:
                yield current
            current = (start, end)
    if current:
        beyond = schedule.utc_windows_on(first_day + dt.timedelta(days=SEARCH_DAYS + 1))
        runs_on = bool(beyond) and beyond[0][0] - current[1] <= JOIN_GAP
        yield (current[0], None if runs_on else current[1])


def _now_and_after(schedule: Schedule, at: dt.datetime):
    """The stretch containing ``at`` (or None) and the start of the next one (or None)."""
    at = at.astimezone(dt.UTC)
    yesterday = at.astimezone(local_zone()).date() - dt.timedelta(days=1)
    for start, end in _stretches(schedule, yesterday):
        if start > at:
            return None, start
        if end is None or at < end:
            return (start, end), None
    return None, None


def _schedule_at(office: VideoOffice, at: dt.datetime | None):
    at = at or timezone.now()
    return Schedule.of(office, at.astimezone(local_zone()).date()), at


def is_open(office: VideoOffice, at: dt.datetime | None = None) -> bool:
    """Whether citizens may knock at ``at`` (default: now)."""
    current, _next = _now_and_after(*_schedule_at(office, at))
    return current is not None


def closes_at(office: VideoOffice, at: dt.datetime | None = None) -> dt.datetime | None:
    """When the current opening ends (local time); None if closed, or if it does not end
    within :data:`SEARCH_DAYS` days."""
    current, _next = _now_and_after(*_schedule_at(office, at))
    return _local(current[1]) if current else None


def next_opening(office: VideoOffice, at: dt.datetime | None = None) -> dt.datetime | None:
    """When a closed office opens next (local time). None while it is open (the citizen can
    knock now) and when no hours are planned within :data:`SEARCH_DAYS` days."""
    _current, upcoming = _now_and_after(*_schedule_at(office, at))
    return _local(upcoming)


@dataclass(frozen=True)
class OfficeStatus:
    """What the list page and the API show of an office at one moment (local datetimes)."""

    office: VideoOffice
    open: bool
    waiting: int
    estimated_wait_minutes: int | None
    next_opening: dt.datetime | None
    closes_at: dt.datetime | None

    def as_dict(self) -> dict:
        return {
            "slug": self.office.slug,
            "name": self.office.name,
            "open": self.open,
            "waiting": self.waiting,
            "estimated_wait_minutes": self.estimated_wait_minutes,
            "next_opening": self.next_opening.isoformat() if self.next_opening else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
        }


def status_of(office: VideoOffice, at: dt.datetime | None = None) -> OfficeStatus:
    """The office's status; the estimate is the wait a knock made now would have (None
    while closed: nobody can knock)."""
    current, upcoming = _now_and_after(*_schedule_at(office, at))
    waiting = getattr(office, WAITING_ANNOTATION, None)
    if waiting is None:
        waiting = queue.waiting_count(office)
    estimate = queue.estimate_minutes(office, waiting + 1) if current else None
    return OfficeStatus(
        office=office,
        open=current is not None,
        waiting=waiting,
        estimated_wait_minutes=estimate,
        next_opening=_local(upcoming),
        closes_at=_local(current[1]) if current else None,
    )


def office_status(office: VideoOffice, at: dt.datetime | None = None) -> dict:
    """The API's view of an office: slug, name, open, waiting, estimated_wait_minutes,
    next_opening and closes_at (ISO 8601 with offset, or None)."""
    return status_of(office, at).as_dict()


@dataclass(frozen=True)
class Deviation:
    """A coming day whose hours are not the weekly ones."""

    date: dt.date
    windows: list[Window]
    reason: str


def upcoming_deviations(
    office: VideoOffice, at: dt.datetime | None = None, days: int = 14
) -> list[Deviation]:
    """Exceptions and holidays of the next ``days`` days that change the office's hours, so
    that a citizen reading "Monday 8–12" also learns that next Monday is Whit Monday."""
    schedule, at = _schedule_at(office, at)
    today = at.astimezone(local_zone()).date()
    deviations = []
    for offset in range(days + 1):
        day = today + dt.timedelta(days=offset)
        holiday = holiday_name(day)
        if day not in schedule.exceptions and not (holiday and schedule.weekly.get(day.weekday())):
            continue
        windows = [(_local(start), _local(end)) for start, end in schedule.utc_windows_on(day)]
        reason = schedule.exception_reasons.get(day) or holiday or ""
        deviations.append(Deviation(date=day, windows=windows, reason=reason))
    return deviations
