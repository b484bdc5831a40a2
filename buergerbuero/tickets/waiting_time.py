"""How long a ticket will wait: learned from today's real service times.

The method (docs/tickets.md has the long form):

1. **Service time per ticket** of a group, ``m``: the median of the service times
   (``done_at - service_started_at``) of the group's last :data:`RECENT` tickets done today,
   shrunk towards the group's configured ``typical_minutes`` while there are few of them:
   ``m = (n·median + PRIOR·typical) / (n + PRIOR)``. In the morning (n = 0) that is the
   typical time; after a dozen tickets it is almost the day's own median. The median
   ignores the one 45-minute case that would drag a mean up.
2. **Capacity** ``c``: the open counters that serve the group. A counter that serves
   several groups counts for this group in proportion to this group's share of the
   tickets waiting for it (a counter for A and B with 6 waiting in A and 2 in B is ¾ of a
   counter for A). No counter open: one counter is assumed (somebody will open).
3. **Wait** of a ticket with ``ahead`` tickets before it: ``(ahead + ½) · m / c`` — the
   tickets ahead, plus on average half a service still running at the counters.
4. **Range**: the same with the lower and upper quartile of the recent service times
   (shrunk like the median), widened by ±2 minutes, rounded to whole minutes.

``estimate_wait`` is the pure calculation (bench/tickets_estimator.py replays a day through
it); ``group_estimate`` reads its inputs from the database.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

RECENT = 15  # the last tickets done today that count
CAP = 3.0  # a service time counts for at most three times the median
PRIOR = 3  # weight of the typical time, in tickets
MARGIN_MINUTES = 2.0


@dataclass(frozen=True)
class Estimate:
    minutes: int  # point estimate
    low: int
    high: int


@dataclass(frozen=True)
class ServiceTimes:
    """The learned service time of a group: median and quartiles, in minutes."""

    mean: float  # robust: each time capped at CAP × the median
    q1: float
    q3: float

    @classmethod
    def learn(cls, recent: Sequence[float], typical: float) -> ServiceTimes:
        recent = list(recent)[-RECENT:]
        n = len(recent)
        if n == 0:
            return cls(typical, typical * 0.7, typical * 1.3)
        if n == 1:
            median = q1 = q3 = recent[0]
        else:
            q1, median, q3 = statistics.quantiles(recent, n=4, method="inclusive")
        mean = statistics.fmean(min(value, CAP * median) for value in recent)

        def shrink(value: float, prior: float) -> float:
            return (n * value + PRIOR * prior) / (n + PRIOR)

        return cls(shrink(mean, typical), shrink(q1, typical * 0.7), shrink(q3, typical * 1.3))


def estimate_wait(ahead: int, times: ServiceTimes, capacity: float, free: float = 0.0) -> Estimate:
    """The wait of a ticket with ``ahead`` tickets before it, ``capacity`` counters of
    which ``free`` have nobody at them."""
    capacity = capacity if capacity > 0 else 1.0
    if ahead < free:  # a counter is free for it
        return Estimate(0, 0, int(MARGIN_MINUTES))
    factor = (ahead - free + 0.5) / capacity
    point = factor * times.mean
    low = max(0.0, factor * times.q1 - MARGIN_MINUTES)
    high = factor * times.q3 + MARGIN_MINUTES
    return Estimate(round(point), int(low), int(high + 0.999))


def capacity_for(group_id: int, counters: Sequence[tuple[Sequence[int], bool]], waiting_by_group):
    """The counters serving ``group_id``: ``counters`` is (group ids, open) per counter,
    ``waiting_by_group`` the waiting tickets per group id."""
    capacity = 0.0
    for groups, is_open in counters:
        if not is_open or group_id not in groups:
            continue
        total = sum(waiting_by_group.get(g, 0) for g in groups)
        if total == 0 or len(groups) == 1:
            capacity += 1.0
        else:
            capacity += max(waiting_by_group.get(group_id, 0), 1) / max(total, 1)
    return capacity


# -- from the database -------------------------------------------------------------------


def service_minutes_today(group, day: dt.date) -> list[float]:
    """Service times (minutes) of the group's last tickets done on ``day``, oldest first."""
    from .models import Ticket, TicketState

    rows = (
        Ticket.objects.filter(
            group=group, day=day, state=TicketState.DONE, service_started_at__isnull=False
        )
        .order_by("-done_at")
        .values_list("service_started_at", "done_at")[:RECENT]
    )
    return [(done - started).total_seconds() / 60 for started, done in reversed(rows)]


@dataclass(frozen=True)
class GroupEstimator:
    times: ServiceTimes
    capacity: float
    free: float = 0.0

    def for_ahead(self, ahead: int) -> Estimate:
        return estimate_wait(ahead, self.times, self.capacity, self.free)


def centre_counters(centre) -> list[tuple[list[int], bool]]:
    """(group ids, open) of each counter of the centre, for :func:`capacity_for`."""
    return [
        ([g.pk for g in counter.groups.all()], counter.is_open)
        for counter in centre.counters.prefetch_related("groups")
    ]


def group_estimator(
    group, day: dt.date, waiting_by_group: dict[int, int], counters=None, free: float = 0.0
) -> GroupEstimator:
    """The estimator of ``group`` on ``day``; ``counters`` from :func:`centre_counters`
    (read when not given)."""
    counters = centre_counters(group.centre) if counters is None else counters
    times = ServiceTimes.learn(service_minutes_today(group, day), group.typical_minutes)
    return GroupEstimator(times, capacity_for(group.pk, counters, waiting_by_group), free)
