"""What a booking reads about a centre besides its seats, kept in the process for a few
seconds: the centre with its opening hours and closures, its bookable services and its
counter plans.

Every booking (and every loser of a race for the last times) needs them to tell whether a
time is free and which times to offer instead; they change a few times a year, the seats
every second. So the booking reads them from here and only the seats from the database::

    static = centre_static(centre.pk)     # cached; the seats are never cached
    static.minutes[service_id], static.plans[weekday], static.centre

An entry is dropped when one of those rows is saved or deleted in this process (at once
and again on commit, so that no reader caches the old rows in between), and in any case
after ``APPOINTMENT_STATIC_CACHE_SECONDS`` (default 10; 0 turns the cache off), which
bounds how long another process (worker) may go on with the old hours. This is never what
keeps two bookings apart: the seats' unique constraint does that, and a time that the
cache still thinks planned but that is no longer open is at worst offered or booked
during those seconds.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from buergerbuero.organisation.hours import local_day
from buergerbuero.organisation.models import CentreClosure, CustomerCentre, OpeningHours

from .models import BookableService, CounterPlan


@dataclass(frozen=True)
class Plan:
    counters: tuple[int, ...]
    starts: dt.time
    ends: dt.time
    services: frozenset[int] | None  # None: every bookable service of the centre


@dataclass(frozen=True)
class CentreStatic:
    """One centre's hours, closures (from ``closures_from`` on), bookable services and
    counter plans, as read at ``read_at`` (``time.monotonic``)."""

    centre: CustomerCentre  # opening_hours and closures prefetched
    closures_from: dt.date
    minutes: dict[int, int]  # service id → minutes (active bookable services)
    bookables: dict[int, BookableService]  # service id → the row, with its service
    plans: dict[int, list[Plan]]  # weekday → plans
    read_at: float


_lock = threading.Lock()
_entries: dict[int, CentreStatic] = {}
_generation = 0
_reading: dict[int, threading.Lock] = {}


def _seconds() -> float:
    return settings.APPOINTMENT_STATIC_CACHE_SECONDS


def read_static(centre_ids: Iterable[int], closures_from: dt.date) -> dict[int, CentreStatic]:
    """Read the centres' static data from the database (six queries however many)."""
    ids = list(centre_ids)
    now = time.monotonic()
    closures = CentreClosure.objects.filter(date__gte=closures_from)
    centres = CustomerCentre.objects.filter(pk__in=ids).prefetch_related(
        "opening_hours", Prefetch("closures", queryset=closures)
    )
    minutes: dict[int, dict[int, int]] = defaultdict(dict)
    bookables: dict[int, dict[int, BookableService]] = defaultdict(dict)
    for row in BookableService.objects.filter(centre_id__in=ids, active=True).select_related(
        "service"
    ):
        minutes[row.centre_id][row.service_id] = row.minutes
        bookables[row.centre_id][row.service_id] = row
    plans: dict[int, dict[int, list[Plan]]] = defaultdict(lambda: defaultdict(list))
    for plan in CounterPlan.objects.filter(centre_id__in=ids).prefetch_related("services"):
        only = frozenset(s.pk for s in plan.services.all()) or None
        plans[plan.centre_id][plan.weekday].append(
            Plan(tuple(plan.counter_numbers), plan.starts, plan.ends, only)
        )
    return {
        centre.pk: CentreStatic(
            centre=centre,
            closures_from=closures_from,
            minutes=dict(minutes[centre.pk]),
            bookables=dict(bookables[centre.pk]),
            plans={weekday: list(p) for weekday, p in plans[centre.pk].items()},
            read_at=now,
        )
        for centre in centres
    }


def centre_static(centre_id: int, *, since: dt.date | None = None) -> CentreStatic | None:
    """The centre's static data, from the cache when it is younger than the time limit
    and holds the closures from ``since`` (default: yesterday) on; None: no such centre."""
    since = since or local_day(timezone.now()) - dt.timedelta(days=1)
    seconds = _seconds()
    with _lock:
        entry = _entries.get(centre_id)
    if (
        entry is not None
        and time.monotonic() - entry.read_at < seconds
        and entry.closures_from <= since
    ):
        return entry
    if seconds <= 0:
        return _read_one(centre_id, since)
    # One reader per centre (a race's bookers arrive together: one reads, the others wait
    # for its entry instead of all reading the same rows); other centres go on meanwhile.
    with _lock:
        reading = _reading.setdefault(centre_id, threading.Lock())
    with reading:
        with _lock:
            entry = _entries.get(centre_id)
            generation = _generation
        if (
            entry is not None
            and time.monotonic() - entry.read_at < seconds
            and entry.closures_from <= since
        ):
            return entry
        entry = _read_one(centre_id, since)
        if entry is not None:
            with _lock:
                if _generation == generation:  # nothing was changed while we read
                    _entries[centre_id] = entry
        return entry


def _read_one(centre_id: int, since: dt.date) -> CentreStatic | None:
    # Closures from the day before today at the latest, so that every later request of
    # the entry's lifetime finds its own.
    closures_from = min(since, local_day(timezone.now()) - dt.timedelta(days=1))
    return read_static([centre_id], closures_from).get(centre_id)


def clear() -> None:
    """Forget every entry (after a change of hours, closures, plans or services)."""
    global _generation
    with _lock:
        _entries.clear()
        _generation += 1


def _changed(sender, **kwargs) -> None:
    clear()
    transaction.on_commit(clear)  # readers between the change and its commit saw the old rows


for _model in (CustomerCentre, OpeningHours, CentreClosure, BookableService, CounterPlan):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"appointments-cache-{_model.__name__}")
    post_delete.connect(
        _changed, sender=_model, dispatch_uid=f"appointments-cache-del-{_model.__name__}"
    )
m2m_changed.connect(
    _changed, sender=CounterPlan.services.through, dispatch_uid="appointments-cache-plan-services"
)
