"""When a customer centre is open: weekly opening hours, closures and NRW public holidays.

A local day's opening windows are the :class:`~.models.OpeningHours` of its weekday, none on
a public holiday of North Rhine-Westphalia (``holidays`` package), minus its
:class:`~.models.CentreClosure` rows (without times: the whole day; with times: that span).

Windows are built per local date in ``settings.TIME_ZONE``: "08:00–12:00" means 08:00 Berlin
time in summer and in winter, and the day the clocks change is 23 or 25 hours long. Every
comparison of instants is made in UTC (two datetimes sharing a ``ZoneInfo`` compare by wall
time, which is wrong across the change).

Usage::

    centre_windows_on(centre, date)     # [(start, end), …] aware, local time
    status = centre_status(centre)      # CentreStatus(open, closes_at, next_opening)

For many centres, load them with :func:`prefetch_for_hours` (hours and closures in two
queries, however many centres).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

import holidays
from django.db.models import QuerySet
from django.utils import timezone

from .models import CentreClosure, CustomerCentre

SEARCH_DAYS = 60

Window = tuple[dt.datetime, dt.datetime]


@functools.lru_cache(maxsize=16)
def _holidays_of(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("DE", subdiv="NW", years=year, language="de"))


def holiday_name(day: dt.date) -> str | None:
    """The German name of the NRW public holiday on ``day``, or None on a working day."""
    return _holidays_of(day.year).get(day)


def local_zone():
    return timezone.get_default_timezone()


def utc_at(day: dt.date, time: dt.time) -> dt.datetime:
    """The instant of the local wall time ``time`` on ``day``, in UTC.

    A wall time in the spring-forward gap (02:30 on the last Sunday of March) does not
    exist; fold=0 reads it with the winter offset, i.e. as the instant 03:30 summer time.
    An ambiguous autumn time (02:30 twice) is its first occurrence."""
    return dt.datetime.combine(day, time, tzinfo=local_zone()).astimezone(dt.UTC)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_zone()).date()


@dataclass(frozen=True)
class CentreStatus:
    open: bool
    closes_at: dt.datetime | None  # while open: the end of the current window (local)
    next_opening: dt.datetime | None  # while closed: the next window's start (local)


def prefetch_for_hours(centres: QuerySet[CustomerCentre]):
    """``centres`` with their opening hours and closures, in two queries however many
    centres. All closures: a centre has a handful a year, and any day asked about then
    finds its own."""
    return centres.prefetch_related("opening_hours", "closures")


def _closures_on(centre: CustomerCentre, day: dt.date) -> Iterable[CentreClosure]:
    if "closures" in getattr(centre, "_prefetched_objects_cache", {}):
        return [closure for closure in centre.closures.all() if closure.date == day]
    return centre.closures.filter(date=day)


def _subtract(windows: list[Window], gap: Window) -> list[Window]:
    kept: list[Window] = []
    for start, end in windows:
        if gap[1] <= start or end <= gap[0]:
            kept.append((start, end))
            continue
        if start < gap[0]:
            kept.append((start, gap[0]))
        if gap[1] < end:
            kept.append((gap[1], end))
    return kept


def _utc_windows_on(centre: CustomerCentre, day: dt.date) -> list[Window]:
    if holiday_name(day):
        return []
    windows = sorted(
        (utc_at(day, hours.opens), utc_at(day, hours.closes))
        for hours in centre.opening_hours.all()
        if hours.weekday == day.weekday()
    )
    for closure in _closures_on(centre, day):
        if closure.starts is None:
            return []
        windows = _subtract(windows, (utc_at(day, closure.starts), utc_at(day, closure.ends)))
    return windows


def centre_windows_on(centre: CustomerCentre, day: dt.date) -> list[Window]:
    """The centre's opening windows on the local date ``day``, as aware local datetimes."""
    zone = local_zone()
    return [
        (start.astimezone(zone), end.astimezone(zone))
        for start, end in _utc_windows_on(centre, day)
    ]


def centre_status(centre: CustomerCentre, at: dt.datetime | None = None) -> CentreStatus:
    """Whether the centre is open at ``at`` (default: now), until when, or when it opens
    next (None when nothing opens within :data:`SEARCH_DAYS` days)."""
    at = (at or timezone.now()).astimezone(dt.UTC)
    zone = local_zone()
    today = local_day(at)
    for offset in range(SEARCH_DAYS + 1):
        for start, end in _utc_windows_on(centre, today + dt.timedelta(days=offset)):
            if end <= at:
                continue
            if start <= at:
                return CentreStatus(True, end.astimezone(zone), None)
            return CentreStatus(False, None, start.astimezone(zone))
    return CentreStatus(False, None, None)
