"""Signals other apps listen to.

``payment_status_changed`` is sent once per real status change, after the database commit
(never for a change that was rolled back, never for a repeated report of the same status),
with ``sender=Payment`` and the keyword arguments ``payment``, ``old_status``,
``new_status`` and ``source``::

    @receiver(payment_status_changed)
    def _submit_when_paid(sender, payment, old_status, new_status, **kwargs):
        if new_status == PaymentStatus.PAID and payment.purpose.startswith("application:"):
            ...

Receivers must be idempotent: a citizen's return page may act on the same payment too.
A receiver that raises is logged and does not stop the others.
"""

from django.dispatch import Signal

payment_status_changed = Signal()
