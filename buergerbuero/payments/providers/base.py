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

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from django.core.checks import CheckMessage
    from django.http import HttpRequest

    from ..models import Payment, PaymentStatus


class PaymentProviderUnavailable(Exception):
    """The provider cannot be reached or refused the request; the payment stays open and
    the citizen may try again. Callers show a message and keep the application a draft."""


class CallbackOutcome(enum.Enum):
    """What became of a provider's notification; the callback view answers with its
    ``http_status``. Providers retry on 5xx and on no answer, so everything the provider
    cannot fix by sending the same notification again is answered with 2xx or 4xx."""

    #: Recorded (or it repeated what we already knew): 204.
    HANDLED = 204
    #: Verified but not applied, e.g. an old status after a newer one, or an amount that
    #: does not match (logged for the operator): 200, so that the provider stops retrying.
    IGNORED = 200
    #: Not a notification we can read: 400.
    MALFORMED = 400
    #: Signature missing or wrong, or callbacks not configured: 403.
    FORBIDDEN = 403
    #: No payment of ours has this provider reference: 404.
    UNKNOWN_PAYMENT = 404

    @property
    def http_status(self) -> int:
        return self.value


@dataclass(frozen=True)
class CallbackResult:
    """The answer of :meth:`PaymentProvider.handle_callback`: ``CallbackResult(
    CallbackOutcome.IGNORED, payment, reason="amount_mismatch")``. ``reason`` is a short
    machine-readable word the view passes back to the provider (never personal data)."""

    outcome: CallbackOutcome
    payment: Payment | None = None
    reason: str = ""


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

    def handle_callback(self, request: HttpRequest) -> CallbackResult | Payment:
        """Verify a server-to-server notification, record the status it reports through
        ``services.transition`` and say what became of it as a :class:`CallbackResult`
        (``views`` at ``payments:provider_callback`` turn it into the HTTP answer; a bare
        ``Payment`` is still accepted and counts as handled). Never raise for a bad
        notification: return ``MALFORMED``, ``FORBIDDEN`` or ``UNKNOWN_PAYMENT``. Providers
        without callbacks keep this default (the view answers 404)."""
        raise NotImplementedError(f"The payment provider {self.key!r} has no callbacks.")

    def check_configuration(self) -> list[CheckMessage]:
        """Problems with this provider's settings, for ``manage.py check`` (asked only while
        it is the active provider, see ``provider_checks.py``). Default: none."""
        return []
