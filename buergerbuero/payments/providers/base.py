"""The interface every payment provider implements.

A provider takes the citizen from our page to where they pay and tells us what happened.
Subclasses set ``key`` and ``verbose_name`` and implement :meth:`begin`; providers that can
be asked (status polling) implement :meth:`fetch_status`, those that call us back
implement :meth:`handle_callback`. Register the class with the registry::

    from buergerbuero.payments.providers.base import PaymentProvider
    from buergerbuero.payments.providers.registry import registry

    @registry.register
    class XBezahldiensteProvider(PaymentProvider):
        key = "xbezahldienste"
        verbose_name = "XBezahldienste"

        def begin(self, payment):
            session = self.client.create(payment.amount_cents, payment.description)
            payment.provider_reference = session.id
            payment.save(update_fields=["provider_reference", "updated_at"])
            return session.redirect_url

and select it with ``PAYMENT_PROVIDER = "xbezahldienste"``. A provider never changes
``payment.status`` itself: it reports through ``services.transition`` (source
``provider``) or returns the status from :meth:`fetch_status`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import Payment, PaymentStatus


class PaymentProviderUnavailable(Exception):
    """The provider cannot be reached or refused the request; the payment stays open and
    the citizen may try again. Callers show a message and keep the application a draft."""


class PaymentProvider(ABC):
    key: ClassVar[str]
    verbose_name: ClassVar[str]

    @abstractmethod
    def begin(self, payment: Payment) -> str:
        """Return the URL to send the citizen to for paying ``payment``.

        Called again when the citizen comes back to an unfinished payment: return the same
        provider session if it is still valid rather than opening a second one. Raise
        :class:`PaymentProviderUnavailable` when the provider cannot be reached.
        """

    def fetch_status(self, payment: Payment) -> PaymentStatus | None:
        """Ask the provider for the payment's status; ``None`` when it cannot tell (or,
        like the test provider, when our database already is the truth)."""
        return None

    def handle_callback(self, request: HttpRequest) -> Payment:
        """Verify a server-to-server notification, record the status it reports through
        ``services.transition`` and return the payment. Providers without callbacks keep
        this default."""
        raise NotImplementedError(f"The payment provider {self.key!r} has no callbacks.")
