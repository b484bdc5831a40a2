"""The seven.io adapter (seven communications, Kiel; formerly sms77.io): SMS over its REST API.

What this adapter relies on, from seven's API reference (docs.seven.io, "SMS" endpoint) and
its official API clients:

- ``POST {SMS_GATEWAY_URL}/sms`` (default ``https://gateway.seven.io/api/sms``), the API key
  in the ``X-Api-Key`` header, a JSON body with ``to`` (E.164 is accepted), ``text``,
  optionally ``from`` (sender id: at most 11 letters/digits or 16 digits) and
  ``foreign_id`` (our reference, returned in status reports; letters, digits, ``.-_@``).
- The answer is JSON: ``success`` holds a return code (``"100"``: sent) and ``messages``
  one entry per recipient with ``id``, ``success`` (bool), ``error`` and ``error_text``.
- An error may instead come as a bare return code in the body (e.g. ``900``: the API key
  is wrong), so both forms are read. The codes below are those of seven's clients.

Failures sort into "try again later" (:class:`GatewayUnavailable`: unreachable, timeout,
HTTP 408/425/429/5xx, return codes 600/700) and "an operator must act"
(:class:`MessageRejected`: credentials, number, credit, sender).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from .base import GatewayUnavailable, MessageRejected, SmsGateway

logger = logging.getLogger("buergerbuero.notifications")

DEFAULT_URL = "https://gateway.seven.io/api"
SUCCESS = "100"

# Return codes of the seven API and what an operator should read for them.
RETURN_CODES = {
    "101": "sending to at least one recipient failed",
    "201": "invalid sender (SMS_SENDER: at most 11 letters/digits or 16 digits)",
    "202": "invalid recipient number",
    "300": "no authentication sent",
    "301": "parameter 'to' missing",
    "305": "parameter 'text' missing",
    "306": "invalid sender (SMS_SENDER)",
    "401": "text too long",
    "402": "reload lock: the same SMS was sent moments ago",
    "500": "not enough credit on the seven.io account",
    "600": "the carrier failed to deliver",
    "700": "unknown error at seven.io",
    "900": "authentication failed: check SMS_API_KEY",
    "901": "invalid message id",
    "902": "the API key has no access to this endpoint: check its rights at seven.io",
    "903": "this server's IP address is not allowed for the API key",
}
# Codes worth another try; every other code needs an operator first.
_TEMPORARY_CODES = {"402", "600", "700"}
_TEMPORARY_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class SevenConfig:
    api_key: str
    url: str = DEFAULT_URL
    sender: str = ""
    timeout: float = 10.0


class SevenGateway(SmsGateway):
    name = "seven"

    def __init__(self, config: SevenConfig) -> None:
        self.config = config

    def send(self, *, to: str, text: str, reference: str) -> str:
        payload: dict[str, Any] = {"to": to, "text": text, "foreign_id": reference}
        if self.config.sender:
            payload["from"] = self.config.sender
        url = f"{(self.config.url or DEFAULT_URL).rstrip('/')}/sms"
        headers = {
            "X-Api-Key": self.config.api_key,
            "Accept": "application/json",
            "SentWith": "buergerbuero",
        }
        try:
            response = httpx.post(url, json=payload, headers=headers, timeout=self.config.timeout)
        except httpx.TimeoutException:
            raise GatewayUnavailable(
                f"seven.io did not answer within {self.config.timeout:g} s"
            ) from None
        except httpx.TransportError as error:
            raise GatewayUnavailable(
                f"seven.io unreachable: {type(error).__name__}: {error}"
            ) from None
        return self._message_id(response)

    def _message_id(self, response: httpx.Response) -> str:
        status = response.status_code
        detail = _detail(response)
        if status in (401, 403):
            raise MessageRejected(
                f"seven.io refused the API key (HTTP {status} {detail}): check SMS_API_KEY"
            )
        if status in _TEMPORARY_STATUS or status >= 500:
            raise GatewayUnavailable(f"seven.io failed: HTTP {status} {detail}".strip())
        if not 200 <= status < 300:
            raise MessageRejected(f"seven.io refused the SMS: HTTP {status} {detail}".strip())
        answer = _json(response)
        if not isinstance(answer, dict):
            # A bare return code instead of the JSON answer.
            code = str(answer if answer is not None else response.text).strip()
            if code == SUCCESS:
                return ""
            _raise_for_code(code)
            # Not retried: the SMS may well have gone out, and a retry would send it twice.
            raise MessageRejected(
                f"seven.io answered HTTP {status} with {detail!r}: look in the seven.io "
                "journal whether it was sent before resending"
            )
        code = str(answer.get("success", ""))
        messages = answer.get("messages") or [{}]
        message = messages[0] if isinstance(messages[0], dict) else {}
        if message.get("success") is False or code not in (SUCCESS, ""):
            error_text = message.get("error_text") or message.get("error") or ""
            _raise_for_code(code, error_text)
            raise MessageRejected(f"seven.io refused the SMS: {error_text or code}")
        if message.get("id") in (None, ""):
            # seven's sandbox (debug mode) accepts a message without sending it: no id.
            logger.warning("seven.io accepted an SMS without a message id (debug mode?)")
            return ""
        return str(message["id"])


def _raise_for_code(code: str, error_text: str = "") -> None:
    """Raise the error a seven return code stands for; return for an unknown code."""
    if code == SUCCESS or code not in RETURN_CODES:
        return
    line = f"seven.io return code {code}: {RETURN_CODES[code]}"
    if error_text:
        line += f" ({error_text})"
    if code in _TEMPORARY_CODES:
        raise GatewayUnavailable(line)
    raise MessageRejected(line)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(response: httpx.Response) -> str:
    """The provider's error text, short: a JSON error field or the start of the body."""
    answer = _json(response)
    if isinstance(answer, dict):
        for key in ("error_text", "error", "message", "detail"):
            if answer.get(key):
                return str(answer[key])[:300]
    text = response.text.strip()
    return text[:300] if text else response.reason_phrase
