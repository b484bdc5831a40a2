"""Free appointment slots: where and when a set of services can still be booked.

A start time ``t`` at a centre is free for services S when one counter

- is planned for all of S on that weekday (:class:`~.models.CounterPlan`),
- inside the centre's opening windows of that local day (``organisation.hours``:
  weekly hours without NRW public holidays and closures),
- has no seat taken in any slot unit from ``t`` for the duration of S (the sum of the
  centre's minutes per service, rounded up to ``APPOINTMENT_SLOT_MINUTES``),

and ``t`` lies in the future and on a released day: a day's slots are released at
``APPOINTMENT_RELEASE_TIME`` (local), ``APPOINTMENT_RELEASE_DAYS`` days before.

Everything a search needs is read first — centres with hours and closures, bookable
services, counter plans, and the seats of the whole date range — in a fixed number of
queries, then computed in memory::

    slots_on(centre=kalk, services=[ausweis], day=date(2026, 3, 29))   # [Slot, …]
    earliest(services=[ausweis])          # the first free slot per centre, earliest first

Instants are compared in UTC; slots are returned in local time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Count, F, Func, Prefetch, Q
from django.utils import timezone

from buergerbuero.catalog.models import Service
from buergerbuero.organisation.hours import (
    SEARCH_DAYS,
    centre_windows_on,
    local_day,
    local_zone,
    utc_at,
)
from buergerbuero.organisation.models import CentreClosure, CustomerCentre

from . import cache
from .cache import Plan
from .models import AppointmentSeat, BookableService, CounterPlan

EARLIEST_CHUNK_DAYS = 7


@dataclass(frozen=True)
class Slot:
    centre: CustomerCentre
    starts_at: dt.datetime  # local time
    ends_at: dt.datetime
    counters: tuple[int, ...] = field(default=(), compare=False)


def slot_minutes() -> int:
    return int(settings.APPOINTMENT_SLOT_MINUTES)


def rounded_minutes(minutes: int) -> int:
    """``minutes`` rounded up to the slot grid."""
    grid = slot_minutes()
    return max(1, math.ceil(minutes / grid)) * grid


def release_time() -> dt.time:
    return dt.time.fromisoformat(settings.APPOINTMENT_RELEASE_TIME)


def release_moment(day: dt.date) -> dt.datetime:
    """When the slots of the local date ``day`` become bookable (aware, UTC)."""
    return utc_at(day - dt.timedelta(days=settings.APPOINTMENT_RELEASE_DAYS), release_time())


def last_released_day(now: dt.datetime | None = None) -> dt.date:
    """The latest local date whose slots are bookable at ``now``."""
    now = now or timezone.now()
    today = local_day(now)
    latest = today + dt.timedelta(days=settings.APPOINTMENT_RELEASE_DAYS)
    return latest if release_moment(latest) <= now else latest - dt.timedelta(days=1)


def slot_param(moment: dt.datetime) -> str:
    """A slot's start in a URL or form (``beginn``): UTC, to the minute."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_slot_param(text: str) -> dt.datetime | None:
    """The aware instant of a ``beginn`` value, or None for anything else."""
    try:
        moment = dt.datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment


def release_rule() -> dict:
    """What ``appointments/_release_rule.html`` says: the rule and the last bookable day."""
    return {
        "days": settings.APPOINTMENT_RELEASE_DAYS,
        "time": release_time(),
        "last_day": last_released_day(),
    }


def _service_ids(services: Iterable[Service | int]) -> frozenset[int]:
    return frozenset(s if isinstance(s, int) else s.pk for s in services)


_Plan = Plan  # a counter plan as the search reads it (cache.Plan)


class SlotBook:
    """What a slot search reads, loaded once for ``centres`` and the local dates
    ``first`` … ``last``."""

    def __init__(
        self,
        centres: Sequence[CustomerCentre],
        first: dt.date,
        last: dt.date,
        ignoring=None,
        seats: bool = True,
        cached: bool = False,
    ):
        self.first, self.last = first, last
        ids = [c.pk for c in centres]
        self.taken: dict[int, set[tuple[int, dt.datetime]]] = defaultdict(set)
        self._ignoring = ignoring
        if cached:
            self._from_cache(ids)
        else:
            self._read(ids, first, last)
        if seats:
            self.load_seats(first, last)

    def _from_cache(self, ids: list[int]) -> None:
        """Hours, closures, services and plans from the process cache (``cache.py``):
        a booking then reads only the seats."""
        entries = [e for e in (cache.centre_static(pk, since=self.first) for pk in ids) if e]
        self.centres = sorted((e.centre for e in entries), key=lambda c: c.name)
        self.minutes: dict[int, dict[int, int]] = defaultdict(dict)
        self.plans: dict[tuple[int, int], list[_Plan]] = defaultdict(list)
        for entry in entries:
            self.minutes[entry.centre.pk] = dict(entry.minutes)
            for weekday, plans in entry.plans.items():
                self.plans[(entry.centre.pk, weekday)] = list(plans)

    def _read(self, ids: list[int], first: dt.date, last: dt.date) -> None:
        # Like hours.prefetch_for_hours, but the closures of exactly this date range
        # (that one counts from today; a day beyond its window would lose its closures).
        # Closures are few: read them for SEARCH_DAYS at least, so that extend_to() needs
        # only the seats of the days it adds.
        closures = CentreClosure.objects.filter(
            date__gte=first, date__lte=max(last, first + dt.timedelta(days=SEARCH_DAYS))
        )
        self.centres = list(
            CustomerCentre.objects.filter(pk__in=ids)
            .order_by("name")
            .prefetch_related("opening_hours", Prefetch("closures", queryset=closures))
        )
        self.minutes: dict[int, dict[int, int]] = defaultdict(dict)
        for centre_id, service_id, minutes in BookableService.objects.filter(
            centre_id__in=ids, active=True
        ).values_list("centre_id", "service_id", "minutes"):
            self.minutes[centre_id][service_id] = minutes
        self.plans: dict[tuple[int, int], list[_Plan]] = defaultdict(list)
        for plan in CounterPlan.objects.filter(centre_id__in=ids).prefetch_related("services"):
            only = frozenset(s.pk for s in plan.services.all()) or None
            self.plans[(plan.centre_id, plan.weekday)].append(
                _Plan(tuple(plan.counter_numbers), plan.starts, plan.ends, only)
            )

    def load_seats(self, first: dt.date, last: dt.date) -> None:
        """Add the seats taken from local date ``first`` to ``last`` (one query)."""
        self._load(
            Q(
                centre_id__in=[c.pk for c in self.centres],
                starts_at__gte=utc_at(first, dt.time(0)),
                starts_at__lt=utc_at(last + dt.timedelta(days=1), dt.time(0)),
            )
        )

    def load_seats_of(self, pairs: Iterable[tuple[int, dt.date]]) -> None:
        """Add the seats of these (centre id, local date) pairs (one query)."""
        where = Q()
        for centre_id, day in pairs:
            where |= Q(
                centre_id=centre_id,
                starts_at__gte=utc_at(day, dt.time(0)),
                starts_at__lt=utc_at(day + dt.timedelta(days=1), dt.time(0)),
            )
        if where:
            self._load(where)

    def seats_per_day(self, days: Sequence[dt.date]) -> dict[tuple[int, dt.date], int]:
        """How many seats each centre has taken on each of ``days`` (local dates; one
        query of plain range counts, no per-row date conversion in the database)."""
        counts = {
            f"d{i}": Count(
                "id",
                filter=Q(
                    starts_at__gte=utc_at(day, dt.time(0)),
                    starts_at__lt=utc_at(day + dt.timedelta(days=1), dt.time(0)),
                ),
            )
            for i, day in enumerate(days)
        }
        rows = (
            AppointmentSeat.objects.filter(
                centre_id__in=[c.pk for c in self.centres],
                starts_at__gte=utc_at(min(days), dt.time(0)),
                starts_at__lt=utc_at(max(days) + dt.timedelta(days=1), dt.time(0)),
            )
            .values("centre_id")
            .annotate(**counts)
        )
        return {(row["centre_id"], day): row[f"d{i}"] for row in rows for i, day in enumerate(days)}

    def capacity(self, centre: CustomerCentre, day: dt.date) -> int:
        """Counter slot units planned on the local date ``day`` inside the opening windows,
        for any service (an upper bound of what the seats of that day can fill)."""
        step = dt.timedelta(minutes=slot_minutes())
        windows = [
            (start.astimezone(dt.UTC), end.astimezone(dt.UTC))
            for start, end in centre_windows_on(centre, day)
        ]
        units = 0
        for plan in self.plans[(centre.pk, day.weekday())]:
            plan_start, plan_end = utc_at(day, plan.starts), utc_at(day, plan.ends)
            for window_start, window_end in windows:
                start = _on_grid(max(plan_start, window_start))
                end = min(plan_end, window_end)
                if end > start:
                    units += len(plan.counters) * ((end - start) // step)
        return units

    def _load(self, where: Q) -> None:
        """Read through the cursor: the ORM's per-row datetime conversion cost more than
        the whole slot computation (tens of thousands of seats for 9 centres × 60 days);
        here each distinct slot start is converted once."""
        seats = AppointmentSeat.objects.filter(where)
        if self._ignoring is not None:  # moving an appointment: its own seats count as free
            seats = seats.exclude(appointment_id=self._ignoring.pk)
        if connection.vendor == "sqlite":
            # The sqlite3 driver would parse every value by its declared type; as plain
            # text ("2026-12-03 08:20:00", UTC) each distinct value is parsed once below.
            seats = seats.annotate(
                moment=Func(
                    F("starts_at"), template="(%(expressions)s || '')", output_field=CharField()
                )
            )
            query = seats.values_list("centre_id", "counter", "moment").query
        else:
            query = seats.values_list("centre_id", "counter", "starts_at").query
        sql, params = query.sql_with_params()
        moments: dict[object, dt.datetime] = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        for centre_id, counter, value in rows:
            moment = moments.get(value)
            if moment is None:
                if isinstance(value, dt.datetime) and value.tzinfo is not None:
                    moment = value.astimezone(dt.UTC)
                else:  # SQLite: text in UTC
                    moment = dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)
                moments[value] = moment
            self.taken[centre_id].add((counter, moment))

    def extend_to(self, last: dt.date) -> None:
        """Read the seats of the days after ``self.last`` up to ``last`` (at most
        SEARCH_DAYS after ``first``: the closures read cover no more)."""
        last = min(last, self.first + dt.timedelta(days=SEARCH_DAYS))
        if last > self.last:
            self.load_seats(self.last + dt.timedelta(days=1), last)
            self.last = last

    def counters_at(
        self, centre: CustomerCentre, service_ids: frozenset[int], starts_at: dt.datetime, now
    ) -> tuple[int, ...]:
        for slot in self.slots_on(centre, service_ids, local_day(starts_at), now):
            if slot.starts_at == starts_at:
                return slot.counters
        return ()

    def offers(self, centre: CustomerCentre, service_ids: frozenset[int]) -> bool:
        return bool(service_ids) and service_ids <= self.minutes[centre.pk].keys()

    def duration(self, centre: CustomerCentre, service_ids: frozenset[int]) -> int:
        """Minutes of the services at ``centre``, on the slot grid."""
        return rounded_minutes(sum(self.minutes[centre.pk][s] for s in service_ids))

    def slots_on(
        self,
        centre: CustomerCentre,
        service_ids: frozenset[int],
        day: dt.date,
        now: dt.datetime,
        first_only: bool = False,
    ) -> list[Slot]:
        if not self.offers(centre, service_ids):
            return []
        if day < local_day(now) or day > last_released_day(now):
            return []
        step = dt.timedelta(minutes=slot_minutes())
        units = self.duration(centre, service_ids) // slot_minutes()
        windows = [
            (start.astimezone(dt.UTC), end.astimezone(dt.UTC))
            for start, end in centre_windows_on(centre, day)
        ]
        available: dict[int, set[dt.datetime]] = defaultdict(set)
        for plan in self.plans[(centre.pk, day.weekday())]:
            if plan.services is not None and not service_ids <= plan.services:
                continue
            plan_start, plan_end = utc_at(day, plan.starts), utc_at(day, plan.ends)
            for window_start, window_end in windows:
                start, end = max(plan_start, window_start), min(plan_end, window_end)
                moment = _on_grid(start)
                while moment + step <= end:
                    for counter in plan.counters:
                        available[counter].add(moment)
                    moment += step
        taken = self.taken[centre.pk]
        free = {
            counter: {t for t in units_of if (counter, t) not in taken}
            for counter, units_of in available.items()
        }
        free = {counter: units_of for counter, units_of in sorted(free.items()) if units_of}
        zone = local_zone()
        found = []
        for moment in sorted(set().union(*free.values())):
            if moment <= now:
                continue
            span = [moment + step * i for i in range(units)]
            counters = tuple(
                counter for counter, units_of in free.items() if all(t in units_of for t in span)
            )
            if counters:
                found.append(
                    Slot(
                        centre,
                        moment.astimezone(zone),
                        (moment + step * units).astimezone(zone),
                        counters,
                    )
                )
                if first_only:
                    break
        return found


def _on_grid(moment: dt.datetime) -> dt.datetime:
    """``moment`` rounded up to the slot grid (UTC minutes; every offset of Europe/Berlin
    is whole hours, so the grid is the same in local time)."""
    grid = slot_minutes() * 60
    seconds = math.ceil(moment.timestamp() / grid) * grid
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or timezone.now()).astimezone(dt.UTC)


def slots_on(
    *,
    centre: CustomerCentre,
    services: Iterable[Service | int],
    day: dt.date,
    now: dt.datetime | None = None,
    ignoring=None,
) -> list[Slot]:
    """The free start times at ``centre`` on the local date ``day`` for ``services``
    (``ignoring``: an appointment whose seats count as free, when moving it)."""
    book = SlotBook([centre], day, day, ignoring=ignoring)
    return book.slots_on(book.centres[0], _service_ids(services), day, _now(now))


def slot_free_counters(
    *,
    centre: CustomerCentre,
    services: Iterable[Service | int],
    starts_at: dt.datetime,
    now: dt.datetime | None = None,
    ignoring=None,
) -> tuple[int, ...]:
    """The counters that can take an appointment for ``services`` at ``starts_at``
    (empty: the time is not free)."""
    day = local_day(starts_at)
    book = SlotBook([centre], day, day, ignoring=ignoring)
    return book.counters_at(book.centres[0], _service_ids(services), starts_at, _now(now))


def centres_offering(services: Iterable[Service | int]) -> list[CustomerCentre]:
    """The centres at which all ``services`` can be booked."""
    ids = _service_ids(services)
    if not ids:
        return []
    centres = CustomerCentre.objects.all()
    for service_id in ids:
        centres = centres.filter(
            pk__in=BookableService.objects.filter(service_id=service_id, active=True).values(
                "centre_id"
            )
        )
    return list(centres.order_by("name"))


def earliest(
    *,
    services: Iterable[Service | int],
    centres: Sequence[CustomerCentre] | None = None,
    now: dt.datetime | None = None,
    days: int = SEARCH_DAYS,
) -> list[Slot]:
    """The first free slot of each centre offering ``services`` within ``days`` days,
    earliest first (a centre without a free slot is left out)."""
    ids = _service_ids(services)
    now = _now(now)
    centres = list(centres) if centres is not None else centres_offering(ids)
    if not centres:
        return []
    today = local_day(now)
    last = min(today + dt.timedelta(days=days), last_released_day(now))
    if last < today:
        return []
    # A week at a time: first how many seats each centre has taken per day (one query
    # of counts), then the seats of the days that are not full (one query). A fully
    # booked month is passed over by its counts; in a lightly booked city the first
    # week has a slot everywhere and nothing after it is read.
    book = SlotBook(centres, today, last, seats=False)
    found: dict[int, Slot] = {}
    day = today
    while day <= last and len(found) < len(book.centres):
        chunk = [day + dt.timedelta(days=i) for i in range(EARLIEST_CHUNK_DAYS)]
        chunk = [d for d in chunk if d <= last]
        taken = book.seats_per_day(chunk)
        open_days = [
            (centre, d)
            for d in chunk
            for centre in book.centres
            if centre.pk not in found
            and book.offers(centre, ids)
            and taken.get((centre.pk, d), 0) < book.capacity(centre, d)
        ]
        book.load_seats_of((centre.pk, d) for centre, d in open_days)
        for centre, d in open_days:  # in date order
            if centre.pk not in found:
                first = book.slots_on(centre, ids, d, now, first_only=True)
                if first:
                    found[centre.pk] = first[0]
        day = chunk[-1] + dt.timedelta(days=1)
    return sorted(found.values(), key=lambda s: s.starts_at)


def next_free(
    *,
    centre: CustomerCentre,
    services: Iterable[Service | int],
    after: dt.datetime,
    count: int = 3,
    now: dt.datetime | None = None,
    days: int = 14,
    book: SlotBook | None = None,
) -> list[Slot]:
    """Up to ``count`` free slots at ``centre`` after ``after``, within ``days`` days.
    Seats are read a day at a time (usually the same day has alternatives); ``book``: one
    already loaded from the day of ``after`` (a booking's own), to read nothing twice."""
    ids = _service_ids(services)
    now = _now(now)
    first = max(local_day(after), local_day(now))
    if book is None or book.first != first:
        book = SlotBook([centre], first, first, cached=True)
    # Days after the last released one have no slot yet: reading their seats would only
    # cost queries (a day each), e.g. for every loser of a race for the newest day.
    last = min(first + dt.timedelta(days=days), last_released_day(now))
    found: list[Slot] = []
    day = first
    while day <= last and len(found) < count:
        book.extend_to(day)
        if day > book.last:
            break
        found += [s for s in book.slots_on(book.centres[0], ids, day, now) if s.starts_at > after]
        day += dt.timedelta(days=1)
    return found[:count]
