"""Reads of the walk-in queue: the order of the queue, a ticket's place and wait, the
waiting times of the centres."""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from buergerbuero.organisation.hours import centre_status, local_day, prefetch_for_hours
from buergerbuero.organisation.models import CustomerCentre

from .models import Counter, ServiceGroup, Ticket, TicketState
from .waiting_time import Estimate, centre_counters, group_estimator

# Called tickets shown on the call display.
LAST_CALLS = 8


def call_order_key(ticket: Ticket, now: dt.datetime) -> tuple:
    """Appointment holders whose time has come first (by appointment time), then everybody
    else by their place in the queue."""
    if ticket.due_at is not None and ticket.due_at <= now:
        return (0, ticket.due_at, ticket.pk)
    return (1, ticket.queued_at, ticket.pk)


def waiting_tickets(centre_id: int, day: dt.date, group_ids: Iterable[int] | None = None):
    tickets = Ticket.objects.filter(centre_id=centre_id, day=day, state=TicketState.WAITING)
    if group_ids is not None:
        tickets = tickets.filter(group_id__in=list(group_ids))
    return tickets


def queue_of(centre_id: int, day: dt.date, group_id: int, now=None) -> list[Ticket]:
    """The group's waiting tickets in the order the counters will call them."""
    now = now or timezone.now()
    tickets = waiting_tickets(centre_id, day, [group_id])
    return sorted(tickets, key=lambda t: call_order_key(t, now))


def waiting_by_group(centre_id: int, day: dt.date) -> dict[int, int]:
    return dict(
        Tally(waiting_tickets(centre_id, day).values_list("group_id", flat=True).iterator())
    )


@dataclass(frozen=True)
class TicketStatus:
    ticket: Ticket
    ahead: int | None  # tickets before it (waiting tickets only)
    estimate: Estimate | None

    @property
    def position(self) -> int | None:
        return None if self.ahead is None else self.ahead + 1

    def as_json(self) -> dict:
        ticket = self.ticket
        return {
            "display": ticket.display,
            "state": ticket.state,
            "state_label": str(ticket.get_state_display()),
            "position": self.position,
            "ahead": self.ahead,
            "wait_low": self.estimate.low if self.estimate else None,
            "wait_high": self.estimate.high if self.estimate else None,
            "wait_minutes": self.estimate.minutes if self.estimate else None,
            "counter": ticket.counter.name if ticket.counter_id else "",
            "call_count": ticket.call_count,
        }


def free_counters(group_id: int) -> int:
    """Open counters of the group with nobody called or served at them."""
    busy = Ticket.objects.filter(
        day=local_day(timezone.now()), state__in=[TicketState.CALLED, TicketState.SERVING]
    )
    return (
        Counter.objects.filter(groups=group_id, is_open=True)
        .exclude(pk__in=busy.filter(counter__isnull=False).values("counter_id"))
        .count()
    )


def ticket_status(ticket: Ticket, now=None) -> TicketStatus:
    if ticket.state != TicketState.WAITING:
        return TicketStatus(ticket, None, None)
    now = now or timezone.now()
    queue = queue_of(ticket.centre_id, ticket.day, ticket.group_id, now)
    ahead = next((i for i, t in enumerate(queue) if t.pk == ticket.pk), len(queue))
    estimator = group_estimator(
        ticket.group,
        ticket.day,
        waiting_by_group(ticket.centre_id, ticket.day),
        free=free_counters(ticket.group_id),
    )
    return TicketStatus(ticket, ahead, estimator.for_ahead(ahead))


def ticket_by_public_id(public_id) -> Ticket | None:
    return (
        Ticket.objects.select_related("group", "centre", "counter")
        .filter(public_id=public_id)
        .first()
    )


def ticket_by_draw_key(*, centre_id: int, draw_key) -> Ticket | None:
    """The ticket a kiosk press with this key drew at this centre (services.ticket_draw)."""
    return (
        Ticket.objects.select_related("group", "centre")
        .filter(centre_id=centre_id, draw_key=draw_key)
        .first()
    )


def group_for_services(centre: CustomerCentre, services) -> ServiceGroup | None:
    """The centre's group that serves all of ``services`` (the first by position), or the
    one that serves most of them, or None when no group serves any."""
    ids = {service.pk for service in services}
    if not ids:
        return None
    best, best_count = None, 0
    for group in centre.service_groups.prefetch_related("services"):
        count = len(ids & {service.pk for service in group.services.all()})
        if count > best_count:
            best, best_count = group, count
    return best


def last_calls(centre_id: int, day: dt.date, limit: int = LAST_CALLS) -> list[Ticket]:
    return list(
        Ticket.objects.filter(centre_id=centre_id, day=day, called_at__isnull=False)
        .exclude(state=TicketState.WAITING)
        .select_related("counter")
        .order_by("-called_at")[:limit]
    )


def counter_current(counter: Counter) -> Ticket | None:
    """The ticket at the counter now (called or being served)."""
    return (
        Ticket.objects.filter(counter=counter, state__in=[TicketState.CALLED, TicketState.SERVING])
        .select_related("group")
        .order_by("-called_at")
        .first()
    )


@dataclass(frozen=True)
class GroupWait:
    group: ServiceGroup
    waiting: int
    estimate: Estimate


@dataclass(frozen=True)
class CentreWait:
    centre: CustomerCentre
    open: bool
    waiting: int
    groups: list[GroupWait]
    updated_at: dt.datetime

    @property
    def estimated_wait_minutes(self) -> int | None:
        """The longest of the groups' waits for a ticket drawn now (None when closed or
        without groups)."""
        if not self.open or not self.groups:
            return None
        return max(group.estimate.minutes for group in self.groups)


def centre_waits(now=None, centre_ids: Iterable[int] | None = None) -> list[CentreWait]:
    """Every centre with service groups (or those of ``centre_ids``): open now, tickets
    waiting, the wait of a ticket drawn now per group."""
    now = now or timezone.now()
    day = local_day(now)
    centres = CustomerCentre.objects.filter(service_groups__isnull=False).distinct()
    if centre_ids is not None:
        centres = centres.filter(pk__in=list(centre_ids))
    result = []
    for centre in prefetch_for_hours(centres.prefetch_related("service_groups")):
        waiting = waiting_by_group(centre.pk, day)
        counters = centre_counters(centre)
        groups = [
            GroupWait(
                group,
                waiting.get(group.pk, 0),
                group_estimator(
                    group, day, waiting, counters, free=free_counters(group.pk)
                ).for_ahead(waiting.get(group.pk, 0)),
            )
            for group in centre.service_groups.all()
        ]
        result.append(
            CentreWait(centre, centre_status(centre, now).open, sum(waiting.values()), groups, now)
        )
    return result
