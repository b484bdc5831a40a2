"""Every row lock of the walk-in queue, in one place.

Numbers need no lock: ``core.counters.counter_next`` is one atomic upsert. Calling the next
ticket locks candidate tickets with ``SKIP LOCKED`` on PostgreSQL, so two counters calling at
the same instant look at different rows instead of waiting for each other. SQLite has no row
locks (Django leaves ``FOR UPDATE`` out); there the database's single writer serialises the
transactions, and the conditional update in ``services._claim`` (``WHERE state='waiting'``,
exactly one row) makes the claim correct on both.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Counter, Ticket


def counter_lock(counter_id: int) -> Counter:
    """The counter row, locked until the end of the transaction (open/close, call next)."""
    return Counter.objects.select_for_update().get(pk=counter_id)


def next_candidate_lock(tickets: QuerySet[Ticket]) -> Ticket | None:
    """The first of ``tickets`` (already ordered) that no other transaction holds, locked."""
    return tickets.select_for_update(skip_locked=True, of=("self",)).first()


def ticket_lock(ticket_id: int) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("group").get(pk=ticket_id)
