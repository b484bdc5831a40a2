"""Every row lock of the payments app, always taken in primary-key order.

Call these inside ``transaction.atomic``. On SQLite (the embedded default) the whole
database is locked by the IMMEDIATE transaction mode instead; the locks matter on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import LIVE_STATUSES, Payment


def payment_lock(*, payment_id: int) -> Payment:
    """The payment, freshly read and locked until the transaction ends. (A status change
    needs it only when its compare-and-set missed, see ``services.transition``.)"""
    return Payment.objects.select_for_update().get(pk=payment_id)


def payments_lock_live(*, purpose: str) -> list[Payment]:
    """The open or pending payments of ``purpose`` (normally one at most), locked."""
    return list(
        Payment.objects.select_for_update()
        .filter(purpose=purpose, status__in=LIVE_STATUSES)
        .order_by("pk")
    )


def payments_lock_live_of(purposes: Iterable[str]) -> list[Payment]:
    """The open and pending payments of these purposes, locked (one query for a batch of
    the bank statement import)."""
    return list(
        Payment.objects.select_for_update()
        .filter(purpose__in=list(purposes), status__in=LIVE_STATUSES)
        .order_by("pk")
    )
