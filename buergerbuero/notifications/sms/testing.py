"""A local stand-in for the seven.io SMS API, for tests and local trials.

A real HTTP server on a free loopback port, in a thread. It answers ``POST /api/sms`` as
:mod:`.seven` expects seven.io to: it checks the ``X-Api-Key`` header (a wrong key gets
return code ``900``) and the JSON body (``to`` in E.164, ``text`` present and at most 1520
characters, ``from`` a valid sender id, ``foreign_id`` in seven's alphabet), stores the
message and answers ``{"success": "100", "messages": [{"id": …}]}``. On demand it fails::

    def test_delivery(sms_gateway_server):
        sms_gateway_server.fail_next(503)                     # HTTP 503, stores nothing
        sms_gateway_server.fail_next(400, "Invalid sender")  # HTTP 400 with that error text
        sms_gateway_server.reject_next("202")                # return code 202 for the message
        ...
        [message] = sms_gateway_server.messages  # what arrived: the JSON body

``seven_stand_in()`` (a context manager) and the ``sms_gateway_server`` fixture start it
and point the settings at it (``SMS_BACKEND=seven``).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.test import override_settings

from buergerbuero.core.stand_in import LocalStandIn, StandInHandler

BASE_PATH = "/api"
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_FOREIGN_ID = re.compile(r"^[A-Za-z0-9.\-_@]{1,64}$")
_SENDER = re.compile(r"^(?:[A-Za-z0-9 ]{1,11}|\+?[0-9]{1,16})$")
# The stand-in's own wording of a refusal, as seven's "error_text" carries one.
_ERROR_TEXTS = {"202": "Recipient number invalid", "500": "Not enough credit"}


class SevenStandIn(LocalStandIn):
    base_path = BASE_PATH

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key or secrets.token_urlsafe(24)
        self.messages: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, int]] = []  # method, path, answered status
        self._failures: list[tuple[int, str]] = []
        self._rejections: list[str] = []
        self._next_id = 77000000
        self._lock = threading.Lock()

    # -- control ------------------------------------------------------------------------

    @property
    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def fail_next(self, status: int = 503, error_text: str = "", count: int = 1) -> None:
        """Answer the next ``count`` requests with HTTP ``status`` (and ``error_text`` in
        the JSON body), storing nothing."""
        with self._lock:
            self._failures.extend([(status, error_text)] * count)

    def reject_next(self, code: str = "202", count: int = 1) -> None:
        """Refuse the next ``count`` messages with seven's return ``code`` (HTTP 200)."""
        with self._lock:
            self._rejections.extend([code] * count)

    def settings(self, **overrides) -> dict[str, object]:
        """Settings that send SMS through this stand-in, for ``override_settings``."""
        return {
            "SMS_BACKEND": "seven",
            "SMS_GATEWAY_URL": self.base_url,
            "SMS_API_KEY": self.api_key,
            "SMS_SENDER": "StadtKoeln",
            "SMS_TIMEOUT": 2.0,
            **overrides,
        }

    # -- what the handler calls ---------------------------------------------------------

    def _take(self, queue: list):
        with self._lock:
            return queue.pop(0) if queue else None

    def _store(self, payload: dict[str, Any]) -> int:
        with self._lock:
            self._next_id += 1
            self.messages.append(payload)
            return self._next_id


class _Handler(StandInHandler):
    stand_in: SevenStandIn

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != BASE_PATH + "/sms":
            return self._answer(404, {"error": "not found"})
        failure = self.stand_in._take(self.stand_in._failures)
        if failure is not None:
            status, error_text = failure
            return self._answer(status, {"success": False, "error_text": error_text})
        if self.headers.get("X-Api-Key") != self.stand_in.api_key:
            return self._answer(200, 900)
        try:
            payload = json.loads(body)
        except ValueError:
            return self._answer(200, 305)
        code = _invalid(payload)
        if code:
            return self._answer(200, int(code))
        rejection = self.stand_in._take(self.stand_in._rejections)
        if rejection is not None:
            return self._answer(200, _answer(payload, rejection, None))
        message_id = self.stand_in._store(payload)
        return self._answer(200, _answer(payload, "100", message_id))

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.stand_in.requests.append((self.command, self.path, status))
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _invalid(payload: Any) -> str:
    """seven's return code for a request it would refuse, "" for a valid one."""
    if not isinstance(payload, dict) or not payload.get("to"):
        return "301"
    if not isinstance(payload.get("text"), str) or not payload["text"].strip():
        return "305"
    if len(payload["text"]) > 1520:
        return "401"
    if not _E164.match(str(payload["to"])):
        return "202"
    if "from" in payload and not _SENDER.match(str(payload["from"])):
        return "306"
    if "foreign_id" in payload and not _FOREIGN_ID.match(str(payload["foreign_id"])):
        return "700"
    return ""


def _answer(payload: dict[str, Any], code: str, message_id: int | None) -> dict[str, Any]:
    sent = code == "100"
    return {
        "success": code,
        "total_price": 0.075 if sent else 0,
        "balance": 42.0,
        "debug": "false",
        "sms_type": "direct",
        "messages": [
            {
                "id": str(message_id) if sent else None,
                "sender": payload.get("from", "seven.io"),
                "recipient": str(payload["to"]).lstrip("+"),
                "text": payload["text"],
                "encoding": "gsm",
                "label": None,
                "parts": 1,
                "udh": None,
                "is_binary": False,
                "price": 0.075 if sent else 0,
                "success": sent,
                "error": None if sent else code,
                "error_text": None if sent else _ERROR_TEXTS.get(code, "Error"),
            }
        ],
    }


@contextmanager
def seven_stand_in() -> Iterator[SevenStandIn]:
    """A running stand-in seven.io that SMS go to inside the ``with`` block."""
    server = SevenStandIn()
    server.start()
    try:
        with override_settings(**server.settings()):
            yield server
    finally:
        server.stop()


@pytest.fixture
def sms_gateway_server() -> Iterator[SevenStandIn]:
    """The stand-in seven.io for one test (import it into a conftest.py to use it)."""
    with seven_stand_in() as server:
        yield server
