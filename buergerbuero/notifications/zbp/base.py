"""The interface of an inbox backend and the message it delivers.

A backend delivers one :class:`InboxMessage` and answers the id the inbox gave it::

    class MyInbox(InboxBackend):
        def send(self, message: InboxMessage) -> str:
            ...  # hand it over; raise InboxTemporaryError to retry later
            return "provider-message-id"

        def status(self, provider_id: str) -> str:
            return "DELIVERED"

A backend raises :class:`InboxTemporaryError` when trying again later may help (the inbox
is down, busy, or did not answer in time), :class:`InboxAuthError` when it refused our
credentials, and :class:`InboxRejected` when it refused this message — the last two stop
the retries: an operator has to act before a resend can succeed.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field


@dataclass(frozen=True)
class InboxFile:
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class InboxMessage:
    """One message to one citizen's inbox.

    ``idempotency_key`` is the same for every attempt of the same message: an inbox that
    honours it stores the message once however often it is sent.
    """

    idempotency_key: str
    recipient_subject: str  # the bPK2 of the citizen's BundID
    mailbox_handle: str  # the Postkorb-Handle, "" when BundID did not send one
    sender: str
    title: str
    content: str
    service: str
    stork_qaa_level: int = 1
    reference: str = ""
    sender_url: str = ""
    online_service_id: str = ""
    attachments: tuple[InboxFile, ...] = field(default_factory=tuple)


class InboxError(Exception):
    """Delivery failed. ``str(error)`` is a line for the operator, free of personal data."""


class InboxTemporaryError(InboxError):
    """Worth another try later: unreachable, a timeout, 5xx, 429."""


class InboxAuthError(InboxError):
    """The inbox refused our credentials: fix the configuration, then resend."""


class InboxRejected(InboxError):
    """The inbox refused this message (invalid, unknown recipient): resending won't help
    until the cause is fixed."""


class InboxNotConfigured(InboxError):
    """No inbox backend is configured (``ZBP_URL`` is empty)."""


class InboxBackend(abc.ABC):
    @abc.abstractmethod
    def send(self, message: InboxMessage) -> str:
        """Deliver ``message``; return the inbox's id of it."""

    @abc.abstractmethod
    def status(self, provider_id: str) -> str:
        """The inbox's status of a delivered message, e.g. ``DELIVERED`` or ``READ``."""
