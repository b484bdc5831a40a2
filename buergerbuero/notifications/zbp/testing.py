"""A local stand-in for the BundID inbox (ZBP), for tests and local trials.

A real HTTP server on a free loopback port, in a thread. It speaks the interface that
:mod:`.protocol` assumes: an OAuth2 token endpoint (client credentials, HTTP Basic) and
``/zbp/v6/messages`` behind a bearer token. It validates every message as the ZBP's schema
asks (lengths, trust level, recipient, attachments whose base64, length and SHA-512 must
agree), stores it once per idempotency key, and answers its status. On demand it fails::

    def test_delivery(zbp_server):
        zbp_server.fail_next(503)        # the next message request answers 503
        zbp_server.stall_next(3.0)       # stores the next message, answers 3 s late
        zbp_server.expire_tokens()       # issued tokens stop working (401)
        ...
        [message] = zbp_server.messages  # what arrived: payload plus decoded attachments

``zbp_stand_in()`` (a context manager) and the ``zbp_server`` fixture start it and point
the settings at it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import override_settings

from . import protocol

BASE_PATH = "/zbp/v6"
TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path, no password)


@dataclass
class StoredMessage:
    id: str
    idempotency_key: str
    payload: dict[str, Any]
    attachments: list[tuple[str, str, bytes]]  # filename, mime type, decoded content
    status: str = protocol.STATUS_DELIVERED
    headers: dict[str, str] = field(default_factory=dict)


class ZbpStandIn:
    host = "127.0.0.1"

    def __init__(self, *, client_id: str = "koeln-buergerbuero", client_secret: str | None = None):
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(16)
        self.messages: list[StoredMessage] = []
        self.requests: list[tuple[str, str, int]] = []  # method, path, answered status
        self.tokens_issued = 0
        self._tokens: set[str] = set()
        self._by_key: dict[str, StoredMessage] = {}
        self._failures: list[int] = []
        self._stalls: list[float] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the stand-in first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{BASE_PATH}"

    @property
    def token_url(self) -> str:
        return f"http://{self.host}:{self.port}{TOKEN_PATH}"

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"stand_in": self})
        self._server = ThreadingHTTPServer((self.host, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, status: int = 503, count: int = 1) -> None:
        """Answer the next ``count`` message requests with ``status``, storing nothing."""
        with self._lock:
            self._failures.extend([status] * count)

    def stall_next(self, seconds: float, count: int = 1) -> None:
        """Store the next ``count`` messages but answer only after ``seconds`` — a client
        with a shorter timeout sees no answer although the message arrived."""
        with self._lock:
            self._stalls.extend([seconds] * count)

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def mark_read(self, message_id: str) -> None:
        with self._lock:
            for message in self.messages:
                if message.id == message_id:
                    message.status = protocol.STATUS_READ

    def settings(self, **overrides) -> dict[str, object]:
        """Settings that deliver to this stand-in, for ``override_settings``."""
        return {
            "ZBP_URL": self.base_url,
            "ZBP_TOKEN_URL": self.token_url,
            "ZBP_CLIENT_ID": self.client_id,
            "ZBP_CLIENT_SECRET": self.client_secret,
            "ZBP_OAUTH_SCOPE": "",
            "ZBP_CLIENT_CERT": "",
            "ZBP_CLIENT_KEY": "",
            "ZBP_CA_BUNDLE": "",
            "ZBP_ONLINE_SERVICE_ID": "bb-koeln-test",
            "ZBP_SENDER": "",
            "ZBP_TIMEOUT": 2.0,
            **overrides,
        }

    # -- what the handler calls ---------------------------------------------------------

    def _take(self, queue: list):
        with self._lock:
            return queue.pop(0) if queue else None

    def _issue_token(self) -> dict[str, Any]:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
            self.tokens_issued += 1
        return {"access_token": token, "token_type": "Bearer", "expires_in": 300}

    def _token_valid(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens

    def _store(
        self, key: str, payload: dict, attachments: list, headers: dict
    ) -> tuple[StoredMessage, bool]:
        with self._lock:
            if key in self._by_key:
                return self._by_key[key], False
            message = StoredMessage(str(uuid.uuid4()), key, payload, attachments, headers=headers)
            self._by_key[key] = message
            self.messages.append(message)
            return message, True

    def _find(self, message_id: str) -> StoredMessage | None:
        with self._lock:
            return next((m for m in self.messages if m.id == message_id), None)


class _Handler(BaseHTTPRequestHandler):
    stand_in: ZbpStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # noqa: A002 (the base class's name)
        pass  # quiet: tests read stand_in.requests instead

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == TOKEN_PATH:
            return self._token(body)
        if self.path == BASE_PATH + protocol.MESSAGES_PATH:
            return self._message(body)
        return self._answer(404, {"error": "not_found"})

    def do_GET(self) -> None:  # noqa: N802
        prefix = BASE_PATH + protocol.MESSAGES_PATH + "/"
        if not self.path.startswith(prefix):
            return self._answer(404, {"error": "not_found"})
        if not self._authorised():
            return self._answer(401, {"error": "invalid_token"})
        message = self.stand_in._find(self.path[len(prefix) :])
        if message is None:
            return self._answer(404, {"error": "unknown message"})
        return self._answer(200, {"messageId": message.id, "status": message.status})

    # -- endpoints ----------------------------------------------------------------------

    def _token(self, body: bytes) -> None:
        from urllib.parse import parse_qs

        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        client_id, client_secret = _basic_credentials(self.headers.get("Authorization", ""))
        if (client_id, client_secret) != (self.stand_in.client_id, self.stand_in.client_secret):
            return self._answer(401, {"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials":
            return self._answer(400, {"error": "unsupported_grant_type"})
        return self._answer(200, self.stand_in._issue_token())

    def _message(self, body: bytes) -> None:
        if not self._authorised():
            return self._answer(401, {"error": "invalid_token"})
        failure = self.stand_in._take(self.stand_in._failures)
        if failure is not None:
            return self._answer(failure, {"error": "injected failure"})
        key = self.headers.get(protocol.IDEMPOTENCY_HEADER, "")
        try:
            payload = json.loads(body)
        except ValueError:
            return self._answer(400, {"error": "invalid_request", "detail": "body is no JSON"})
        problems, attachments = _validate(payload)
        if not key:
            problems.append(f"{protocol.IDEMPOTENCY_HEADER} header missing")
        if problems:
            return self._answer(400, {"error": "invalid_request", "detail": problems})
        message, created = self.stand_in._store(key, payload, attachments, dict(self.headers))
        stall = self.stand_in._take(self.stand_in._stalls)
        if stall:
            time.sleep(stall)
        return self._answer(201 if created else 200, {"messageId": message.id})

    # -- helpers ------------------------------------------------------------------------

    def _authorised(self) -> bool:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        return scheme == "Bearer" and self.stand_in._token_valid(token)

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.stand_in.requests.append((self.command, self.path, status))
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a stalled answer)


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme != "Basic":
        return "", ""
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    from urllib.parse import unquote_plus

    return unquote_plus(client_id), unquote_plus(secret)


def _validate(payload: Any) -> tuple[list[str], list[tuple[str, str, bytes]]]:
    """The checks of the ZBP's message schema (message_v6) plus this adapter's fields."""
    if not isinstance(payload, dict):
        return ["body is no JSON object"], []
    problems = []
    for name, limit in (
        ("sender", protocol.MAX_SENDER),
        ("title", protocol.MAX_TITLE),
        ("service", protocol.MAX_SERVICE),
        ("content", None),
    ):
        value = payload.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name} missing")
        elif limit and len(value) > limit:
            problems.append(f"{name} longer than {limit}")
    if payload.get("stork_qaa_level") not in (1, 2, 3, 4):
        problems.append("stork_qaa_level must be 1, 2, 3 or 4")
    handle, bpk2 = payload.get("mailboxUuid"), payload.get("bpk2")
    if handle is not None:
        try:
            uuid.UUID(str(handle))
        except ValueError:
            problems.append("mailboxUuid is no UUID")
    if not handle and not (isinstance(bpk2, str) and bpk2):
        problems.append("no recipient: mailboxUuid or bpk2 required")
    attachments = []
    for index, item in enumerate(payload.get("attachments") or []):
        try:
            content = base64.b64decode(item["content"], validate=True)
        except (KeyError, TypeError, binascii.Error):
            problems.append(f"attachments[{index}].content is no base64")
            continue
        if not item.get("filename"):
            problems.append(f"attachments[{index}].filename missing")
        if item.get("contentLength") != len(content):
            problems.append(f"attachments[{index}].contentLength does not match")
        if item.get("sha512sum") != hashlib.sha512(content).hexdigest():
            problems.append(f"attachments[{index}].sha512sum does not match")
        attachments.append((item.get("filename", ""), item.get("mimeType", ""), content))
    return problems, attachments


@contextmanager
def zbp_stand_in() -> Iterator[ZbpStandIn]:
    """A running stand-in ZBP that inbox delivery goes to inside the ``with`` block."""
    server = ZbpStandIn()
    server.start()
    try:
        with override_settings(**server.settings()):
            yield server
    finally:
        server.stop()


@pytest.fixture
def zbp_server() -> Iterator[ZbpStandIn]:
    """The stand-in ZBP for one test (import it into a conftest.py to use it)."""
    with zbp_stand_in() as server:
        yield server
