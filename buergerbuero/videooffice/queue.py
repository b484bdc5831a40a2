"""Reading an office's queue: who waits in which order, and how long it will probably take.

The order is ``(-priority, queue_at, pk)``: a citizen whose caseworker was lost mid-call
comes back with ``Knock.PRIORITY_RETURNED``, ahead of everyone; the holder of a video
appointment that is due knocks with ``PRIORITY_APPOINTMENT``, ahead of the walk-ins;
otherwise first come, first served.

The estimated wait is ``position × average call length ÷ caseworkers available``, the
average taken over the office's last :data:`RECENT_CALLS` finished calls (calls shorter
than a minute — a wrong number, a dropped line — are left out), or the office's
``typical_call_minutes`` while there are none. Caseworkers in a call count as half a
caseworker: they will be free again, but not at once.
"""

from __future__ import annotations

import datetime as dt
import math

from django.db.models import F, Q
from django.utils import timezone

from .models import Availability, Call, CaseworkerPresence, Knock, KnockState, VideoOffice

RECENT_CALLS = 20
SHORTEST_CALL = dt.timedelta(minutes=1)

QUEUE_STATES = (KnockState.KNOCKING, KnockState.WAITING)


def waiting(office: VideoOffice):
    """The knocks in ``office``'s queue, first in line first."""
    return Knock.objects.filter(office=office, state__in=QUEUE_STATES).order_by(
        "-priority", "queue_at", "pk"
    )


def waiting_count(office: VideoOffice) -> int:
    return Knock.objects.filter(office=office, state__in=QUEUE_STATES).count()


def position_of(knock: Knock) -> int:
    """1 for the first in line. Counted in the database: right even after a restart."""
    ahead = Knock.objects.filter(office_id=knock.office_id, state__in=QUEUE_STATES).filter(
        Q(priority__gt=knock.priority)
        | Q(priority=knock.priority, queue_at__lt=knock.queue_at)
        | Q(priority=knock.priority, queue_at=knock.queue_at, pk__lt=knock.pk)
    )
    return ahead.count() + 1


def average_call_seconds(office: VideoOffice) -> float:
    durations = [
        (ended - started).total_seconds()
        for started, ended in Call.objects.filter(
            office=office,
            ended_at__isnull=False,
            ended_at__gte=F("started_at") + SHORTEST_CALL,
        )
        .order_by("-ended_at")
        .values_list("started_at", "ended_at")[:RECENT_CALLS]
    ]
    if not durations:
        return office.typical_call_minutes * 60.0
    return sum(durations) / len(durations)


def serving_capacity(office: VideoOffice) -> float:
    """How many caseworkers work the queue now (busy ones count half); at least 1, so that
    a queue nobody serves yet still gets an estimate rather than "infinite"."""
    statuses = CaseworkerPresence.objects.filter(
        user__video_offices=office, user__is_active=True
    ).values_list("status", flat=True)
    capacity = sum(
        1.0 if s == Availability.AVAILABLE else 0.5 if s == Availability.BUSY else 0.0
        for s in statuses
    )
    return max(capacity, 1.0)


def estimate_minutes(
    office: VideoOffice,
    position: int,
    *,
    per_person: float | None = None,
    capacity: float | None = None,
) -> int:
    """Minutes until the citizen at ``position`` (1 = next) is probably admitted: the people
    ahead of them, each an average call, shared among the caseworkers."""
    if position <= 1:
        return 0
    per_person = average_call_seconds(office) if per_person is None else per_person
    capacity = serving_capacity(office) if capacity is None else capacity
    return math.ceil((position - 1) * per_person / capacity / 60)


def estimate_parameters(office: VideoOffice) -> dict:
    """What a waiting room needs to estimate its own wait after a move of the queue
    without asking the database: sent with every queue message."""
    return {"per_person": average_call_seconds(office), "capacity": serving_capacity(office)}


def now() -> dt.datetime:
    return timezone.now()
