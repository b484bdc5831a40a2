"""Writes of the walk-in queue. Every change of the queue ends in :func:`_queue_changed`:
the pages are told after commit and the SMS that became due are sent (sms.py).

Decisions (docs/tickets.md):

- **Calling next** finishes the ticket still at the counter (called or being served) as
  done: the counter asks for the next person when the last one has been served.
- **Transfer** to another group keeps the ticket's place by the time it was drawn: the
  citizen has waited already and is not sent to the back of the line for our routing.
- **Service time** runs from "Bearbeitung beginnen" (or from the call, when the counter
  went straight to "Erledigt") to "Erledigt".
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.counters import counter_next
from buergerbuero.organisation.hours import local_day
from buergerbuero.organisation.models import CustomerCentre

from . import live, lock_objects, selectors, sms
from .models import Counter, ServiceGroup, Ticket, TicketNumberCounter, TicketSource, TicketState

# Candidates one call tries at most before giving up (each one was taken by another
# counter between the lock and the claim: only possible without row locks).
CALL_ATTEMPTS = 20


class TicketRefused(Exception):
    """A change that cannot be made; ``message`` is German and meant for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _queue_changed(centre_id: int, day: dt.date) -> None:
    live.queue_changed(centre_id)
    sms.few_ahead_send(centre_id, day)


@transaction.atomic
def ticket_draw(
    *,
    centre: CustomerCentre,
    group: ServiceGroup,
    source: str,
    phone: str = "",
    language: str = "de",
    due_at: dt.datetime | None = None,
    draw_key: uuid.UUID | None = None,
) -> Ticket:
    """A new waiting ticket for today. ``phone`` is E.164 already
    (``notifications.phone.mobile_number_clean``); whether the centre is open is the
    caller's check (views), so that staff can still check in late appointment holders.

    ``draw_key`` makes the draw idempotent: the kiosk sends one UUID per press and sends
    it again when the answer was lost (network down). A key this centre has seen returns
    the ticket it drew, unchanged, whatever the group or number sent the second time::

        first = ticket_draw(centre=c, group=a, source="kiosk", draw_key=key)
        assert ticket_draw(centre=c, group=a, source="kiosk", draw_key=key) == first
    """
    if group.centre_id != centre.pk:
        raise ValueError("The service group belongs to another centre.")
    if source not in TicketSource.values:
        raise ValueError(f"Unknown source {source!r}; one of {TicketSource.values}.")
    if draw_key is not None:
        drawn = selectors.ticket_by_draw_key(centre_id=centre.pk, draw_key=draw_key)
        if drawn is not None:
            return drawn
    now = timezone.now()
    day = local_day(now)
    # Mobile numbers are kept for the day only: the first draw of a later day forgets them.
    Ticket.objects.filter(day__lt=day).exclude(phone="").update(phone="")
    try:
        # A savepoint: when the same key arrives twice at once, the loser's number is
        # given back with it (no gap in the numbers) and it answers with the winner's ticket.
        with transaction.atomic():
            number = counter_next(
                TicketNumberCounter, centre_id=centre.pk, day=day, group_id=group.pk
            )
            ticket = Ticket.objects.create(
                centre=centre,
                group=group,
                number_group=group,
                day=day,
                number=number,
                display=f"{group.letter}-{number:03d}",
                source=source,
                due_at=due_at,
                phone=phone,
                language=language[:8] or "de",
                drawn_at=now,
                queued_at=now,
                draw_key=draw_key,
            )
    except IntegrityError:
        drawn = (
            selectors.ticket_by_draw_key(centre_id=centre.pk, draw_key=draw_key)
            if draw_key is not None
            else None
        )
        if drawn is None:
            raise
        return drawn
    _queue_changed(centre.pk, day)
    return ticket


def _finish_current(counter: Counter, now: dt.datetime) -> None:
    for ticket in Ticket.objects.filter(
        counter=counter, state__in=[TicketState.CALLED, TicketState.SERVING]
    ):
        _done(ticket, now)


def _done(ticket: Ticket, now: dt.datetime) -> None:
    ticket.state = TicketState.DONE
    ticket.service_started_at = ticket.service_started_at or ticket.called_at or now
    ticket.done_at = now
    ticket.save(update_fields=["state", "service_started_at", "done_at"])
    live.ticket_changed(ticket)


def _claim(ticket_id: int, counter: Counter, now: dt.datetime) -> bool:
    """Take the ticket for the counter if it is still waiting: exactly one row or none."""
    return (
        Ticket.objects.filter(pk=ticket_id, state=TicketState.WAITING).update(
            state=TicketState.CALLED, counter=counter, called_at=now, call_count=1
        )
        == 1
    )


@transaction.atomic
def counter_call_next(*, counter: Counter, by=None) -> Ticket | None:
    """Call the next ticket for ``counter`` (None when nobody waits for its groups).

    Two counters calling at the same time never get the same ticket: the candidates are
    locked with SKIP LOCKED (PostgreSQL) and claimed with a conditional update that must
    change exactly one row (both databases)."""
    counter = lock_objects.counter_lock(counter.pk)
    if not counter.is_open:
        raise TicketRefused(_("Der Schalter ist geschlossen. Bitte öffnen Sie ihn zuerst."))
    now = timezone.now()
    day = local_day(now)
    _finish_current(counter, now)
    group_ids = list(counter.groups.values_list("pk", flat=True))
    waiting = Ticket.objects.filter(
        centre_id=counter.centre_id, day=day, state=TicketState.WAITING, group_id__in=group_ids
    )
    # Due appointment holders first (by appointment time), then the queue: the order of
    # selectors.call_order_key, in SQL, so that the lock takes the head of the queue. One
    # row at a time: a counter that locked many would leave the other one none.
    ordered = waiting.annotate(
        due_first=Case(When(due_at__lte=now, then=Value(0)), default=Value(1)),
        place=Case(When(due_at__lte=now, then=F("due_at")), default=F("queued_at")),
    ).order_by("due_first", "place", "pk")
    tried: list[int] = []
    for _attempt in range(CALL_ATTEMPTS):
        candidate = lock_objects.next_candidate_lock(ordered.exclude(pk__in=tried))
        if candidate is None:
            break
        tried.append(candidate.pk)
        if _claim(candidate.pk, counter, now):
            ticket = Ticket.objects.select_related("counter", "group", "centre").get(
                pk=candidate.pk
            )
            if by is not None and counter.staffed_by_id != getattr(by, "pk", None):
                Counter.objects.filter(pk=counter.pk).update(staffed_by=by)
            live.ticket_called(ticket)
            sms.called_send(ticket)
            _queue_changed(counter.centre_id, day)
            return ticket
    _queue_changed(counter.centre_id, day)
    return None


def _ticket_at(ticket: Ticket, states) -> Ticket:
    locked = lock_objects.ticket_lock(ticket.pk)
    if locked.state not in states:
        raise TicketRefused(
            _("Die Wartemarke %(display)s ist nicht mehr %(state)s.")
            % {"display": locked.display, "state": TicketState(states[0]).label}
        )
    return locked


@transaction.atomic
def ticket_call_again(*, ticket: Ticket) -> Ticket:
    ticket = _ticket_at(ticket, [TicketState.CALLED])
    ticket.call_count += 1
    ticket.called_at = timezone.now()
    ticket.save(update_fields=["call_count", "called_at"])
    ticket = Ticket.objects.select_related("counter").get(pk=ticket.pk)
    live.ticket_called(ticket)
    return ticket


@transaction.atomic
def ticket_serve_start(*, ticket: Ticket) -> Ticket:
    """The citizen has come to the counter: the service time starts."""
    ticket = _ticket_at(ticket, [TicketState.CALLED])
    ticket.state = TicketState.SERVING
    ticket.service_started_at = timezone.now()
    ticket.save(update_fields=["state", "service_started_at"])
    live.ticket_changed(ticket)
    return ticket


@transaction.atomic
def ticket_no_show(*, ticket: Ticket) -> Ticket:
    return _close(_ticket_at(ticket, [TicketState.CALLED]), TicketState.NO_SHOW)


@transaction.atomic
def ticket_done(*, ticket: Ticket) -> Ticket:
    ticket = _ticket_at(ticket, [TicketState.SERVING, TicketState.CALLED])
    _done(ticket, timezone.now())
    _queue_changed(ticket.centre_id, ticket.day)
    return ticket


@transaction.atomic
def ticket_transfer(*, ticket: Ticket, group: ServiceGroup) -> Ticket:
    """Send the ticket to another group of the same centre. It waits again, keeps its
    number and its place by drawn time (``queued_at`` is not reset)."""
    ticket = _ticket_at(ticket, [TicketState.CALLED, TicketState.SERVING, TicketState.WAITING])
    if group.centre_id != ticket.centre_id:
        raise TicketRefused(_("Diese Leistungsgruppe gehört zu einem anderen Kundenzentrum."))
    if group.pk == ticket.group_id and ticket.state == TicketState.WAITING:
        return ticket
    ticket.group = group
    ticket.state = TicketState.WAITING
    ticket.counter = None
    ticket.called_at = None
    ticket.call_count = 0
    ticket.service_started_at = None
    ticket.few_ahead_sms_sent_at = None  # a new queue: its own "few ahead" message
    ticket.save(
        update_fields=[
            "group",
            "state",
            "counter",
            "called_at",
            "call_count",
            "service_started_at",
            "few_ahead_sms_sent_at",
        ]
    )
    live.ticket_changed(ticket)
    _queue_changed(ticket.centre_id, ticket.day)
    return ticket


@transaction.atomic
def ticket_cancel(*, ticket: Ticket) -> Ticket:
    """The citizen gives the ticket back (status page)."""
    return _close(_ticket_at(ticket, [TicketState.WAITING]), TicketState.CANCELLED)


def _close(ticket: Ticket, state: TicketState) -> Ticket:
    """End a ticket without service (no-show, given back); its queue moves up."""
    ticket.state = state
    ticket.done_at = timezone.now()
    ticket.save(update_fields=["state", "done_at"])
    live.ticket_changed(ticket)
    _queue_changed(ticket.centre_id, ticket.day)
    return ticket


@transaction.atomic
def counter_open(*, counter: Counter, by=None) -> Counter:
    counter = lock_objects.counter_lock(counter.pk)
    counter.is_open = True
    counter.staffed_by = by
    counter.save(update_fields=["is_open", "staffed_by"])
    _queue_changed(counter.centre_id, local_day(timezone.now()))
    return counter


@transaction.atomic
def counter_close(*, counter: Counter) -> Counter:
    """Close the counter; a ticket still at it is finished as done."""
    counter = lock_objects.counter_lock(counter.pk)
    now = timezone.now()
    _finish_current(counter, now)
    counter.is_open = False
    counter.staffed_by = None
    counter.save(update_fields=["is_open", "staffed_by"])
    _queue_changed(counter.centre_id, local_day(now))
    return counter
