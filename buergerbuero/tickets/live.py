"""What the walk-in queue tells open pages, over the channel layer.

Two kinds of group:

- ``tickets.centre.<id>`` — the call display and every status page of the centre's tickets:
  ``queue.changed`` (something moved: status pages read their ticket again) and
  ``ticket.called`` (the number and the counter, for the call display).
- ``tickets.ticket.<id>`` — one ticket's status pages: ``ticket.changed``.

Everything is sent after the transaction commits. A broken channel layer never breaks the
change; pages catch up when they reconnect (they read the state from the database).
"""

from __future__ import annotations

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("buergerbuero.tickets")


def centre_group(centre_id: int) -> str:
    return f"tickets.centre.{centre_id}"


def ticket_group(ticket_id: int) -> str:
    return f"tickets.ticket.{ticket_id}"


def send_after_commit(group: str, message: dict) -> None:
    transaction.on_commit(partial(_send, group, message))


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # noqa: BLE001 — Redis down: pages catch up on reconnect
        logger.exception("tickets: could not send %s to %s", message.get("type"), group)


def queue_changed(centre_id: int) -> None:
    send_after_commit(centre_group(centre_id), {"type": "queue.changed"})


def ticket_called(ticket) -> None:
    """Tell the call display and the ticket's own pages that ``ticket`` was called."""
    send_after_commit(
        centre_group(ticket.centre_id),
        {
            "type": "ticket.called",
            "display": ticket.display,
            "counter": ticket.counter.name if ticket.counter_id else "",
            "call_count": ticket.call_count,
            "at": ticket.called_at.isoformat() if ticket.called_at else "",
        },
    )
    ticket_changed(ticket)


def ticket_changed(ticket) -> None:
    send_after_commit(ticket_group(ticket.pk), {"type": "ticket.changed"})
