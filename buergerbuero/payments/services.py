"""Writes of the payments app: start a payment, change its status, ask the provider.

Other apps call :func:`start_payment` and listen to ``signals.payment_status_changed``;
every status change goes through :func:`transition`, which checks it against
``transitions.ALLOWED_TRANSITIONS``, changes the row if its status is still the one checked
(compare-and-set) and logs a ``PaymentTransition``.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import lock_objects
from .models import (
    OFFLINE_CHANNELS,
    Payment,
    PaymentReference,
    PaymentStatus,
    PaymentTransition,
    TransitionSource,
)
from .providers.base import PaymentProviderUnavailable
from .providers.registry import UnknownPaymentProvider, registry
from .references import reference_for
from .return_urls import return_url_is_ours, return_url_with_payment
from .selectors import payment_for
from .signals import payment_status_changed
from .transitions import PaymentTransitionError, transition_check

__all__ = [
    "PaymentTransitionError",
    "payment_for",  # lives in selectors.py; importable from here as part of the interface
    "payment_offline_create",
    "payment_record_received",
    "payment_refund",
    "refresh_status",
    "start_payment",
    "transition",
]

logger = logging.getLogger(__name__)


def start_payment(
    *,
    purpose: str,
    amount_cents: int,
    description: str,
    return_url: str,
    user=None,
    reference: PaymentReference | None = None,
) -> tuple[Payment, str]:
    """Start (or resume) paying ``amount_cents`` for ``purpose``; return the payment and
    the URL to redirect the citizen to.

    No citizen is charged twice for one purpose:

    - a paid payment of ``purpose`` is returned as it is, with ``return_url`` (plus
      ``?zahlung=<uuid>``) as the redirect: the caller sees it paid and carries on;
    - an open or pending payment of the same amount at the active provider is resumed;
    - one of another amount (the fee changed) or at another provider is cancelled
      (logged with source ``system``) and a new payment started.

    ``return_url`` is a path on this site (``reverse(...)``) or an absolute URL of a host
    in ``ALLOWED_HOSTS`` (``request.build_absolute_uri(...)``); the citizen comes back to it
    with ``?zahlung=<uuid>`` whether they paid, cancelled or failed. Raises
    ``providers.base.PaymentProviderUnavailable`` if the provider cannot be reached (the
    payment then stays open and a later call resumes it). The purpose's Kassenzeichen is
    made on first use (``references.reference_for``, owned by ``user``) and follows the
    amount; pass ``reference`` instead to pay (the open part of) an existing one, whose
    amount owed stays as it is::

        payment, url = start_payment(
            purpose=f"application:{application.uuid}",
            amount_cents=1800,
            description="Anwohnerparkausweis",
            return_url=reverse("applications:payment_return", args=[application.uuid]),
        )
        return redirect(url)
    """
    _check_arguments(purpose=purpose, amount_cents=amount_cents, return_url=return_url)
    provider = registry.active()
    if reference is None:
        reference = reference_for(
            purpose=purpose, amount_cents=amount_cents, description=description, user=user
        )
    elif reference.purpose != purpose:
        raise ValueError(f"reference {reference.code} belongs to {reference.purpose!r}.")
    latest = payment_for(purpose)
    if latest is not None and latest.is_live:
        # The provider may know that it has been paid meanwhile. Asked before taking any
        # lock: a network call must not hold rows of other requests.
        refresh_status(latest)
    try:
        payment, is_paid = _payment_to_use(
            reference,
            amount_cents=amount_cents,
            description=description,
            return_url=return_url,
            provider_key=provider.key,
        )
    except IntegrityError:
        # Another request created the live payment between our lock and our insert
        # (PostgreSQL locks no row that does not exist yet): use that one.
        payment, is_paid = _payment_to_use(
            reference,
            amount_cents=amount_cents,
            description=description,
            return_url=return_url,
            provider_key=provider.key,
        )
    if is_paid:
        return payment, return_url_with_payment(return_url, payment.uuid)
    return payment, registry.get(payment.provider).begin(payment)


def _payment_to_use(
    reference: PaymentReference,
    *,
    amount_cents: int,
    description: str,
    return_url: str,
    provider_key: str,
) -> tuple[Payment, bool]:
    purpose = reference.purpose
    with transaction.atomic():
        live = lock_objects.payments_lock_live(purpose=purpose)
        paid = (
            Payment.objects.filter(purpose=purpose, status=PaymentStatus.PAID)
            .order_by("-pk")
            .first()
        )
        if paid is not None:
            return paid, True
        resumed = None
        for payment in live:
            if resumed is None and (payment.amount_cents, payment.provider) == (
                amount_cents,
                provider_key,
            ):
                resumed = payment
                continue
            transition(
                payment,
                PaymentStatus.CANCELLED,
                source=TransitionSource.SYSTEM,
                detail=(
                    f"Ersetzt durch eine neue Zahlung über {amount_cents} Cent "
                    f"bei „{provider_key}“ (bisher {payment.amount_cents} Cent "
                    f"bei „{payment.provider}“)."
                ),
            )
        if resumed is not None:
            # The citizen may come back in another language: return to where they are now.
            resumed.description = description
            resumed.return_url = return_url
            resumed.save(update_fields=["description", "return_url", "updated_at"])
            return resumed, False
        payment = Payment.objects.create(
            purpose=purpose,
            reference=reference,
            amount_cents=amount_cents,
            description=description,
            return_url=return_url,
            provider=provider_key,
        )
        PaymentTransition.objects.create(
            payment=payment,
            from_status="",
            to_status=payment.status,
            source=TransitionSource.SYSTEM,
            detail="Zahlung angelegt.",
        )
    logger.info("payment %s started for %s at %s", payment.uuid, purpose, provider_key)
    return payment, False


def _check_arguments(*, purpose: str, amount_cents: int, return_url: str) -> None:
    if not purpose or len(purpose) > 200:
        raise ValueError("purpose must be a non-empty key of at most 200 characters.")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValueError(
            f"amount_cents must be a positive int (cents), not {amount_cents!r}: "
            "pass 1800 for 18,00 €; a fee of 0 needs no payment."
        )
    if not return_url_is_ours(return_url):
        raise ValueError(
            f"return_url must be a path on this site such as reverse(...) or an http(s) URL "
            f"of a host in ALLOWED_HOSTS, not {return_url!r}."
        )


def transition(
    payment: Payment,
    to_status: PaymentStatus | str,
    *,
    source: TransitionSource | str,
    detail: str = "",
    actor=None,
) -> Payment:
    """Move ``payment`` to ``to_status`` as reported by ``source``; return it as stored.

    The status is changed by compare-and-set: one ``UPDATE … WHERE status = <the status
    checked>`` and the ``PaymentTransition`` in one transaction, no row lock. If the stored
    status is not the one the instance shows (a stale instance, or another request changed
    the payment first), nothing is written and the change is decided again on the stored
    status with the row locked, so a stale instance is harmless and two reports of one
    change log it once. Reporting the status the payment already has (as stored) changes
    nothing and locks nothing (no log row, no signal): a provider may call back twice, a
    citizen may press "pay" twice. A change the state machine does not allow raises
    ``PaymentTransitionError`` (e.g. paid → cancelled). ``actor`` is the staff user behind
    a ``clerk`` change. Listeners of ``payment_status_changed`` hear of the change after the
    commit. The passed instance is updated (``status``, ``paid_at``, ``updated_at``) and
    returned::

        payment = transition(payment, PaymentStatus.PAID, source=TransitionSource.PROVIDER)
    """
    to_status = PaymentStatus(to_status)
    source = TransitionSource(source)
    seen = PaymentStatus(payment.status)
    if seen == to_status:
        # The instance may be stale: only the stored status makes this a repeat.
        if _status_reload(payment) == to_status:
            return payment
    elif _allowed(seen, to_status, source):
        # The usual case: the caller has just read the payment.
        with transaction.atomic():
            if _status_move(payment, seen, to_status, source=source, detail=detail, actor=actor):
                return payment
    # A stale instance, a lost race or a refused change: decide on the stored status, which
    # the lock keeps as it is until the commit.
    with transaction.atomic():
        stored = lock_objects.payment_lock(payment_id=payment.pk)
        for field in ("status", "paid_at", "updated_at"):
            setattr(payment, field, getattr(stored, field))
        old_status = PaymentStatus(stored.status)
        if old_status != to_status:
            transition_check(from_status=old_status, to_status=to_status, source=source)
            # Cannot miss: the row keeps the status just read until the commit.
            _status_move(payment, old_status, to_status, source=source, detail=detail, actor=actor)
    return payment


def _allowed(from_status: PaymentStatus, to_status: PaymentStatus, source) -> bool:
    try:
        transition_check(from_status=from_status, to_status=to_status, source=source)
    except PaymentTransitionError:
        return False  # perhaps only for the instance's status: checked again on the stored one
    return True


def _status_reload(payment: Payment) -> PaymentStatus:
    """The stored status (read, not locked), also put on the instance."""
    payment.status, payment.paid_at, payment.updated_at = (
        Payment.objects.filter(pk=payment.pk).values_list("status", "paid_at", "updated_at").get()
    )
    return PaymentStatus(payment.status)


def _status_move(
    payment: Payment,
    from_status: PaymentStatus,
    to_status: PaymentStatus,
    *,
    source: TransitionSource,
    detail: str,
    actor,
) -> bool:
    """Inside ``transaction.atomic``: move the stored payment from ``from_status`` to
    ``to_status`` and log the change, or write nothing and return False if it no longer
    has ``from_status`` (compare-and-set). Announces the change after the commit."""
    now = timezone.now()
    paid_at = now if to_status == PaymentStatus.PAID else None
    stamp = connection.ops.adapt_datetimefield_value(now)
    # Two plain statements rather than QuerySet.update() and objects.create(): building
    # those two queries costs more CPU than PostgreSQL needs to run them (0.9 against 0.4 ms
    # per change, see bench/README.md, "Callbacks"). Under READ COMMITTED an UPDATE that
    # meets a concurrent one waits for its commit and then tests the status again, so of
    # two equal changes one finds no row.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payments_payment SET status = %s, updated_at = %s, "
            "paid_at = COALESCE(%s, paid_at) WHERE id = %s AND status = %s",
            [to_status.value, stamp, stamp if paid_at else None, payment.pk, from_status.value],
        )
        if cursor.rowcount != 1:
            return False
        cursor.execute(
            "INSERT INTO payments_paymenttransition "
            "(payment_id, from_status, to_status, source, detail, actor_id, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                payment.pk,
                from_status.value,
                to_status.value,
                source.value,
                detail,
                actor.pk if actor is not None else None,
                stamp,
            ],
        )
    payment.status, payment.updated_at = to_status, now
    if paid_at is not None:
        payment.paid_at = paid_at
    transaction.on_commit(
        partial(
            status_change_announce,
            payment=payment,
            old_status=from_status,
            new_status=to_status,
            source=source,
        )
    )
    logger.info("payment %s: %s -> %s (%s)", payment.uuid, from_status, to_status, source)
    return True


def status_change_announce(
    *,
    payment: Payment,
    old_status: PaymentStatus,
    source: TransitionSource,
    new_status: PaymentStatus | None = None,
) -> None:
    """``payment_status_changed`` to every receiver; one that fails is logged. Call it
    after the commit of a change written here or in bulk (the bank statement import). Pass
    ``new_status`` when the instance may have moved on before the commit (default: its
    status)."""
    results = payment_status_changed.send_robust(
        sender=Payment,
        payment=payment,
        old_status=old_status,
        new_status=PaymentStatus(new_status or payment.status),
        source=source,
    )
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "payment %s: receiver %r of payment_status_changed failed",
                payment.uuid,
                receiver,
                exc_info=(type(result), result, result.__traceback__),
            )


def refresh_status(payment: Payment, *, raise_unavailable: bool = False) -> Payment:
    """Ask the payment's provider for news and record it (source ``provider``).

    Only unfinished payments are asked. The test provider never has news (our database is
    its truth), so this is a no-op there. A status the state machine refuses is logged
    and ignored; the payment is returned as stored. A provider that cannot be reached
    changes nothing (the page the citizen comes back to still works); pass
    ``raise_unavailable`` to get its ``PaymentProviderUnavailable`` instead.
    """
    if not payment.is_live or payment.provider in OFFLINE_CHANNELS:
        return payment
    try:
        provider = registry.get(payment.provider)
    except UnknownPaymentProvider:
        logger.warning("payment %s: provider %r is not registered", payment.uuid, payment.provider)
        return payment
    try:
        reported = provider.fetch_status(payment)
    except PaymentProviderUnavailable:
        if raise_unavailable:
            raise
        logger.warning(
            "payment %s: provider %r unreachable; asked later", payment.uuid, payment.provider
        )
        return payment
    if reported is None or reported == payment.status:
        return payment
    try:
        return transition(
            payment, reported, source=TransitionSource.PROVIDER, detail="Statusabfrage."
        )
    except PaymentTransitionError:
        logger.warning(
            "payment %s: provider %r reports %s, which cannot follow %s; ignored",
            payment.uuid,
            payment.provider,
            reported,
            payment.status,
        )
        return payment


def payment_record_received(
    reference: PaymentReference,
    *,
    channel: str,
    amount_cents: int,
    source: TransitionSource | str,
    detail: str,
    actor=None,
) -> Payment:
    """Record money that came in for ``reference`` outside an online provider (a bank
    transfer found on a statement, cash at the counter entered by a clerk) as a paid
    payment of ``channel``; return it.

    Online attempts still open for the same purpose are cancelled first (source
    ``system``): the citizen paid another way. Should one of them be confirmed later all
    the same, ``transition`` records that too and the reference shows as overpaid.
    """
    with transaction.atomic():
        payment = payment_offline_create(
            reference,
            channel=channel,
            amount_cents=amount_cents,
            source=source,
            detail=detail,
            replaced_because=f"Anders bezahlt: {detail}",
            actor=actor,
        )
        return transition(payment, PaymentStatus.PAID, source=source, detail=detail, actor=actor)


def payment_offline_create(
    reference: PaymentReference,
    *,
    channel: str,
    amount_cents: int,
    source: TransitionSource | str,
    detail: str,
    replaced_because: str,
    actor=None,
    **fields,
) -> Payment:
    """Inside ``transaction.atomic``: an open payment of ``reference`` by an offline
    ``channel`` (bank transfer, direct debit), logged with ``detail``. Online attempts
    still open for the purpose are cancelled first (source ``system``, ``replaced_because``)
    — one live payment per purpose. ``fields`` go to the payment (``mandate``,
    ``direct_debit_run``). The caller moves it on (paid, pending)."""
    if amount_cents <= 0:
        raise ValueError(f"amount_cents must be positive, not {amount_cents!r}.")
    for live in lock_objects.payments_lock_live(purpose=reference.purpose):
        transition(
            live, PaymentStatus.CANCELLED, source=TransitionSource.SYSTEM, detail=replaced_because
        )
    payment = Payment.objects.create(
        purpose=reference.purpose,
        reference=reference,
        description=reference.description,
        amount_cents=amount_cents,
        currency=reference.currency,
        provider=channel,
        return_url="/",
        **fields,
    )
    PaymentTransition.objects.create(
        payment=payment,
        from_status="",
        to_status=payment.status,
        source=source,
        detail=detail,
        actor=actor,
    )
    return payment


def payment_refund(payment: Payment, *, reason: str, by) -> Payment:
    """Record that the cash office paid ``payment`` back (source ``clerk``, the reason as
    detail) and tell the citizen why, by email after the commit. Raises
    ``PaymentTransitionError`` unless the payment is paid."""
    with transaction.atomic():
        payment = transition(
            payment, PaymentStatus.REFUNDED, source=TransitionSource.CLERK, detail=reason, actor=by
        )
        transaction.on_commit(partial(_refund_notify, payment.pk))
    logger.info("payment %s refunded by %s", payment.uuid, by.get_username())
    return payment


def _refund_notify(payment_id: int) -> None:
    from .tasks import refund_notify  # tasks use this module's services

    refund_notify.enqueue(payment_id)
