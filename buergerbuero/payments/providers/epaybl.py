"""ePayBL: the adapter slot for the payment platform of the federal government and the
states (ePayment Bund-Länder), whose native interface is not public.

Selecting ``PAYMENT_PROVIDER = "epaybl"`` is refused by ``manage.py check`` (payments.E002)
until a city with ePayBL access fills this class in. Before doing so, ask the ePayBL
operator (e.g. Dataport) whether the connector speaks XBezahldienste: then the
``xbezahldienste`` provider already does the job, with ``XBEZAHLDIENSTE_CLIENT_CERT`` for
the client certificate the connector requires, and this slot stays empty.

What an implementation provides (see ``base.PaymentProvider`` for the contract):

- ``begin(payment)``: register the payment with ePayBL (amount from
  ``payment.amount_cents`` as exact euros, ``payment.description``, the Kassenzeichen
  ``payment.reference.code``, the return URL ``site_url(selectors.payment_return_url(
  payment))``), store ePayBL's id in ``payment.provider_reference`` and the address of its
  payment page in ``payment.provider_url``, and return that address. Called again for the
  same payment, reuse the session while ePayBL still accepts it. Raise
  ``PaymentProviderUnavailable`` for every network or ePayBL error.
- ``fetch_status(payment)``: ask ePayBL for the payment's state and return our
  ``PaymentStatus`` (open at ePayBL: ``PENDING``; paid: ``PAID`` only if ePayBL's amount
  equals ``payment.amount_cents``), ``None`` when it cannot tell.
- ``handle_callback(request)``, if ePayBL notifies: verify the notification (ePayBL's own
  mechanism), find the payment by ``provider_reference``, record the status with
  ``services.transition(..., source=TransitionSource.PROVIDER)`` and return a
  ``base.CallbackResult``; the URL is ``/bezahlen/rueckmeldung/epaybl/``.
- ``check_configuration()``: errors for missing settings, and set ``implemented = True``.

Settings it would read, by analogy with the other adapters (read at call time through
``getattr(settings, ...)``): ``EPAYBL_URL`` (the service endpoint), ``EPAYBL_MANDANT_ID``
(the city's client number at ePayBL), ``EPAYBL_BEWIRTSCHAFTER_NR`` and
``EPAYBL_HAUSHALTSSTELLE`` / ``EPAYBL_OBJEKTNUMMER`` (the booking data the cash system
needs), ``EPAYBL_CLIENT_CERT`` (PEM with certificate and key) and ``EPAYBL_TIMEOUT``.
"""

from __future__ import annotations

import logging

from django.core import checks

from .. import provider_checks  # noqa: F401  (registers the providers' system check)
from .base import PaymentProvider, PaymentProviderUnavailable
from .registry import registry

logger = logging.getLogger(__name__)

NOT_IMPLEMENTED = (
    "The ePayBL adapter is an empty slot (buergerbuero/payments/providers/epaybl.py): its "
    "interface is not public. Fill in the slot with your ePayBL access, or use "
    "PAYMENT_PROVIDER='xbezahldienste' if your ePayBL connector speaks XBezahldienste."
)


@registry.register
class EPayBLProvider(PaymentProvider):
    key = "epaybl"
    verbose_name = "ePayBL"
    #: False until the slot is filled in; ``manage.py check`` refuses the provider meanwhile.
    implemented = False

    def begin(self, payment):
        logger.error("payment %s cannot start: %s", payment.uuid, NOT_IMPLEMENTED)
        raise PaymentProviderUnavailable(NOT_IMPLEMENTED)

    def fetch_status(self, payment):
        # Not an exception: refresh_status() runs on pages the citizen opens.
        logger.error("payment %s: status not asked: %s", payment.uuid, NOT_IMPLEMENTED)
        return None

    def handle_callback(self, request):
        raise NotImplementedError(NOT_IMPLEMENTED)

    def check_configuration(self):
        if self.implemented:
            return []
        return [
            checks.Error(
                "PAYMENT_PROVIDER is 'epaybl', but the ePayBL adapter is an empty slot: "
                "no fee could be paid.",
                hint=NOT_IMPLEMENTED,
                id="payments.E002",
            )
        ]
