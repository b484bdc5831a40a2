"""The two text messages of a ticket with a mobile number, each sent at most once:

- **few ahead** — when :data:`few_ahead` tickets or fewer are before it. Recomputed on every
  change of the queue (a draw, a call, a transfer, a no-show, a counter opening), not once
  at draw time: a transfer or an appointment holder can move a ticket back, and one that
  starts close to the front is told at once.
- **called** — when a counter calls it (the first call only).

Sending goes through ``notifications.services.send_sms`` (outbox row, delivery after
commit). "Once" is a conditional update of the ``…_sms_sent_at`` column that must change
one row, so two transactions never both send.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from buergerbuero.notifications.services import send_sms

from .models import Ticket, TicketState

logger = logging.getLogger("buergerbuero.tickets")

# Templates of the notifications app (notifications/templates/notifications/sms/).
SMS_FEW_AHEAD = "ticket_few_ahead"
SMS_CALLED = "ticket_called"


def few_ahead() -> int:
    return settings.TICKETS_FEW_AHEAD


def _send(ticket: Ticket, template: str, context: dict) -> None:
    send_sms(
        to=ticket.phone,
        template=template,
        context={"number": ticket.display, "centre": ticket.centre.name, **context},
        language=ticket.language,
        topic=f"tickets.{template.removeprefix('ticket_')}",
    )


def _mark(ticket: Ticket, field: str) -> bool:
    return (
        Ticket.objects.filter(pk=ticket.pk, **{f"{field}__isnull": True}).update(
            **{field: timezone.now()}
        )
        == 1
    )


def few_ahead_send(centre_id: int, day: dt.date) -> int:
    """Send "few ahead" to every waiting ticket with a number that is now close enough and
    was not told yet; returns how many were sent."""
    from .selectors import queue_of

    candidates = set(
        Ticket.objects.filter(
            centre_id=centre_id,
            day=day,
            state=TicketState.WAITING,
            few_ahead_sms_sent_at__isnull=True,
        )
        .exclude(phone="")
        .values_list("group_id", flat=True)
    )
    sent = 0
    now = timezone.now()
    limit = few_ahead()
    for group_id in candidates:
        for ahead, ticket in enumerate(queue_of(centre_id, day, group_id, now)):
            if ahead > limit:
                break
            if (
                ticket.phone
                and ticket.few_ahead_sms_sent_at is None
                and _mark(ticket, "few_ahead_sms_sent_at")
            ):
                _send(ticket, SMS_FEW_AHEAD, {"ahead": ahead})
                sent += 1
    return sent


def called_send(ticket: Ticket) -> bool:
    if not ticket.phone or not _mark(ticket, "called_sms_sent_at"):
        return False
    _send(ticket, SMS_CALLED, {"counter": ticket.counter.name if ticket.counter_id else ""})
    return True
