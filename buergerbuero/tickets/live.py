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

from buergerbuero.core.broadcast import group_send_after_commit


def centre_group(centre_id: int) -> str:
    return f"tickets.centre.{centre_id}"


def ticket_group(ticket_id: int) -> str:
    return f"tickets.ticket.{ticket_id}"


def queue_changed(centre_id: int) -> None:
    group_send_after_commit(centre_group(centre_id), {"type": "queue.changed"})


def ticket_called(ticket) -> None:
    """Tell the call display and the ticket's own pages that ``ticket`` was called."""
    group_send_after_commit(
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
    group_send_after_commit(ticket_group(ticket.pk), {"type": "ticket.changed"})
