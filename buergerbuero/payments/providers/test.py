"""The built-in test provider: a page of our own that looks like a provider's.

``/bezahlen/testanbieter/<uuid>/`` (``payments:test_provider``) shows the amount and three
buttons — pay, cancel, simulate a failure — and sends the citizen back to the payment's
return URL with ``?zahlung=<uuid>``. No money moves. The page is served only when
``PAYMENT_TEST_PROVIDER_ENABLED`` (default: ``DEBUG or DEMO_MODE``); ``manage.py check
--deploy`` warns when this provider is active without DEBUG.
"""

from __future__ import annotations

from django.urls import reverse

from ..models import Payment, PaymentStatus, TransitionSource
from ..services import transition
from ..transitions import PaymentTransitionError
from .base import PaymentProvider
from .registry import registry

#: The page's buttons (the ``aktion`` value of the POST) and what each reports.
OUTCOMES = {
    "bezahlen": (PaymentStatus.PAID, "Testanbieter: bezahlt."),
    "abbrechen": (PaymentStatus.CANCELLED, "Testanbieter: Zahlung abgebrochen."),
    "fehlschlag": (PaymentStatus.FAILED, "Testanbieter: Fehlschlag simuliert."),
}


@registry.register
class BuiltinTestProvider(PaymentProvider):
    __test__ = False  # a provider, not a test class (for pytest's name rule)

    key = "test"
    verbose_name = "Testanbieter"

    def begin(self, payment: Payment) -> str:
        return reverse("payments:test_provider", kwargs={"payment_id": payment.uuid})


def payment_settle_at_test_provider(*, payment: Payment, outcome: str) -> Payment:
    """Record what the citizen chose on the test page (source ``provider``).

    A finished payment stays as it is: pressing "Bezahlen" again (a second tab, the back
    button) charges nothing and logs nothing.
    """
    to_status, detail = OUTCOMES[outcome]
    try:
        return transition(payment, to_status, source=TransitionSource.PROVIDER, detail=detail)
    except PaymentTransitionError:
        payment.refresh_from_db()
        return payment
