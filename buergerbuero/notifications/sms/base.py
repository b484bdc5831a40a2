"""The interface of an SMS gateway.

A gateway hands one text to one mobile number and answers the id it gave the message::

    class MyGateway(SmsGateway):
        name = "mygateway"

        def send(self, *, to: str, text: str, reference: str) -> str:
            ...  # POST it to the provider
            return "provider-message-id"

``to`` is in E.164 (``+491711234567``); ``reference`` is our id of the message, the same on
every attempt (``bb-sms-12``) — pass it on where the provider takes one, so that its
reports name our message. A gateway raises :class:`GatewayUnavailable` when trying again
later may help (the provider is down, busy, or did not answer in time) and
:class:`MessageRejected` when it refused this message or our account (invalid number, wrong
API key, no credit): those stop the retries, an operator has to act before a resend helps.
``str(error)`` is a line for the operator: the provider's own error text, never the key.

Register a new gateway in :mod:`.registry` and document its settings (docs/notifications.md).
"""

from __future__ import annotations

import abc


class SmsError(Exception):
    """The SMS was not handed over."""


class GatewayUnavailable(SmsError):
    """Worth another try later: unreachable, a timeout, HTTP 429 or 5xx."""


class MessageRejected(SmsError):
    """The gateway refused the message or our credentials: retrying cannot help until an
    operator fixes the cause (then resend it in the admin)."""


class SmsGateway(abc.ABC):
    #: The name ``SMS_BACKEND`` selects it by, shown in the outbox and the log.
    name: str = ""

    @abc.abstractmethod
    def send(self, *, to: str, text: str, reference: str) -> str:
        """Hand ``text`` to the provider for ``to``; return the provider's message id."""
