"""The ZBP's REST interface as this adapter assumes it. Every assumption lives here.

What is known from public sources (docs/identity-zbp.md has the references): the ZBP takes
messages for a citizen's BundID inbox over REST, reachable only inside the Netze des Bundes
or the Verbindungsnetz, authenticated with a BPKI client certificate; a message carries
``mailboxUuid`` (the recipient's Postkorb-Handle), ``sender``, ``title`` (≤ 1024
characters), ``content``, ``service``, ``stork_qaa_level`` (the trust level needed to read
it), optionally ``reference``, ``senderUrl``, ``applicationId`` and attachments described by
``filename``, ``sha512sum`` and ``contentLength``.

What is assumed, because the ZBP's own interface description is not public:

- the base URL (``ZBP_URL``) plus ``/messages`` takes one message as JSON by POST and
  answers 200/201 with ``{"messageId": "..."}``;
- ``GET /messages/{messageId}`` answers ``{"messageId": ..., "status": ...}``;
- attachments travel inline, base64 in ``content``, with ``mimeType``;
- an ``Idempotency-Key`` header lets the ZBP drop a repeated message;
- the recipient's bPK2 travels as ``bpk2`` beside ``mailboxUuid``, for a gateway that
  resolves the inbox by bPK2 when no Postkorb-Handle is known;
- the online-service id travels as ``onlineServiceId``;
- OAuth2 client credentials (client_secret_basic) at ``ZBP_TOKEN_URL`` give a bearer token.

Change this module, and only this one, when the real interface description says otherwise.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .base import InboxMessage

MESSAGES_PATH = "/messages"
IDEMPOTENCY_HEADER = "Idempotency-Key"

# Statuses the adapter understands; anything else is stored as the ZBP sent it.
STATUS_DELIVERED = "DELIVERED"
STATUS_READ = "READ"

MAX_TITLE = 1024
MAX_SENDER = 255
MAX_SERVICE = 255
MAX_REFERENCE = 255


def messages_url(base_url: str) -> str:
    return base_url.rstrip("/") + MESSAGES_PATH


def message_url(base_url: str, provider_id: str) -> str:
    return f"{messages_url(base_url)}/{provider_id}"


def message_payload(message: InboxMessage) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "stork_qaa_level": message.stork_qaa_level,
        "bpk2": message.recipient_subject,
        "sender": message.sender[:MAX_SENDER],
        "title": message.title[:MAX_TITLE],
        "content": message.content,
        "service": message.service[:MAX_SERVICE],
    }
    if message.mailbox_handle:
        payload["mailboxUuid"] = message.mailbox_handle
    if message.reference:
        payload["reference"] = message.reference[:MAX_REFERENCE]
    if message.sender_url:
        payload["senderUrl"] = message.sender_url[:255]
    if message.online_service_id:
        payload["onlineServiceId"] = message.online_service_id
    if message.attachments:
        payload["attachments"] = [
            {
                "filename": attachment.filename,
                "mimeType": attachment.content_type,
                "sha512sum": hashlib.sha512(attachment.content).hexdigest(),
                "contentLength": len(attachment.content),
                "content": base64.b64encode(attachment.content).decode("ascii"),
            }
            for attachment in message.attachments
        ]
    return payload


def headers(message: InboxMessage) -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: message.idempotency_key}


def message_id_from(answer: Any) -> str:
    """The ZBP's id of the stored message; raises ValueError for an answer without one."""
    if isinstance(answer, dict) and isinstance(answer.get("messageId"), str | int):
        return str(answer["messageId"])
    raise ValueError("the ZBP's answer has no messageId")


def status_from(answer: Any) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("status"), str):
        return answer["status"][:40]
    raise ValueError("the ZBP's answer has no status")


def error_detail(answer: Any) -> str:
    """A short reason from an error answer, for the operator's log (no message content)."""
    if isinstance(answer, dict):
        for key in ("error_description", "detail", "error", "message"):
            value = answer.get(key)
            if isinstance(value, str | list):
                return str(value)[:300]
    return ""
