"""Which status changes a payment may make, and who may report each.

The table is the whole state machine::

    open ─┬─> pending ─┬─> paid ──> refunded
          │            │     └──> failed  (money taken back: a returned direct debit)
          ├────────────┼─> failed ────┐
          └────────────┴─> cancelled ─┴─> paid   (money that arrives late)

Only a provider, a bank statement or a clerk may mark a payment as paid; a citizen's
browser (a return URL anyone can call) never can. Money is never lost: a provider that
confirms a payment we had already cancelled (the citizen switched to another way, the
confirmation came late) moves it to paid all the same; if the purpose was paid twice,
the cash office sees it among the overpaid references and refunds one.
"""

from __future__ import annotations

from .models import PaymentStatus as S
from .models import TransitionSource as Src

_PAYMENT_CONFIRMED_BY = frozenset({Src.PROVIDER, Src.BANK_STATEMENT, Src.CLERK})
_FAILURE_REPORTED_BY = frozenset({Src.PROVIDER, Src.SYSTEM, Src.CLERK})
_CANCELLED_BY = frozenset({Src.CITIZEN, Src.PROVIDER, Src.SYSTEM, Src.CLERK})

ALLOWED_TRANSITIONS: dict[tuple[S, S], frozenset[Src]] = {
    (S.OPEN, S.PENDING): frozenset({Src.PROVIDER, Src.SYSTEM}),
    (S.OPEN, S.PAID): _PAYMENT_CONFIRMED_BY,
    (S.PENDING, S.PAID): _PAYMENT_CONFIRMED_BY,
    (S.OPEN, S.FAILED): _FAILURE_REPORTED_BY,
    (S.PENDING, S.FAILED): _FAILURE_REPORTED_BY,
    (S.OPEN, S.CANCELLED): _CANCELLED_BY,
    (S.PENDING, S.CANCELLED): _CANCELLED_BY,
    (S.CANCELLED, S.PAID): _PAYMENT_CONFIRMED_BY,
    (S.FAILED, S.PAID): _PAYMENT_CONFIRMED_BY,
    (S.PAID, S.REFUNDED): frozenset({Src.CLERK}),
    # The payer's bank took the money back (a direct debit returned within eight weeks):
    # the reference owes the amount again.
    (S.PAID, S.FAILED): frozenset({Src.CLERK, Src.BANK_STATEMENT}),
}


class PaymentTransitionError(ValueError):
    """A status change the state machine does not allow (the payment is unchanged)."""


def transition_check(*, from_status: str, to_status: str, source: str) -> None:
    """Raise :class:`PaymentTransitionError` unless ``source`` may move a payment from
    ``from_status`` to ``to_status``."""
    from_status, to_status, source = S(from_status), S(to_status), Src(source)
    sources = ALLOWED_TRANSITIONS.get((from_status, to_status))
    if sources is None:
        onward = sorted(to.value for (fro, to) in ALLOWED_TRANSITIONS if fro == from_status)
        raise PaymentTransitionError(
            f"A payment cannot go from {from_status.value!r} to {to_status.value!r}; "
            f"from {from_status.value!r} it may go to {onward or 'nothing'}."
        )
    if source not in sources:
        raise PaymentTransitionError(
            f"{source.value!r} may not move a payment from {from_status.value!r} to "
            f"{to_status.value!r}; only {sorted(s.value for s in sources)} may."
        )
