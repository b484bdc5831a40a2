"""A local stand-in for an OpenAI-compatible chat API (Ollama, vLLM), for tests and trials.

A real HTTP server on a free loopback port, in a thread. It answers
``POST /v1/chat/completions`` as such a server does: it checks the bearer key when one is
set, refuses a body without ``model`` or ``messages`` with 400, stores what arrived and
answers ``{"choices": [{"message": {"role": "assistant", "content": …}, …}]}``. It plays
the model with the texts it is given, and fails on demand::

    def test_phrasing(llm_server):
        llm_server.answer_next("Der Personalausweis kostet 37,00 € [1].")
        llm_server.fail_next(500)                       # HTTP 500
        llm_server.garbage_next(b"<html>Bad Gateway")   # 200 with a body that is no JSON
        llm_server.delay_next(2.0)                      # answers after two seconds
        llm_server.delay_next(2.0, after_headers=True)  # sends the headers, then stalls
        ...
        [request] = llm_server.requests  # the JSON bodies that arrived

Without a scripted answer it says something harmless that cites [1]. ``llm_stand_in()``
(a context manager) and the ``llm_server`` fixture start it and point the settings at it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.test import override_settings

from buergerbuero.core.stand_in import LocalStandIn, StandInHandler

BASE_PATH = "/v1"
MODEL = "stand-in-model"
DEFAULT_ANSWER = "Hier finden Sie die wichtigsten Informationen zu Ihrer Frage [1]."


class OpenAIStandIn(LocalStandIn):
    base_path = BASE_PATH

    def __init__(self, *, api_key: str = "") -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []  # the JSON bodies that arrived
        self.headers: list[dict[str, str]] = []  # their headers
        self._script: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # -- control ------------------------------------------------------------------------

    @property
    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed answers
        super().stop()

    def answer_next(self, content: str, *, finish_reason: str = "stop") -> None:
        """The model's text for the next request."""
        self._push("answer", (content, finish_reason))

    def fail_next(self, status: int = 500) -> None:
        """Answer the next request with HTTP ``status`` and an OpenAI-style error body."""
        self._push("fail", status)

    def garbage_next(self, body: bytes = b"<html>Bad Gateway</html>") -> None:
        """Answer the next request with status 200 and ``body`` as it is."""
        self._push("garbage", body)

    def delay_next(self, seconds: float, *, after_headers: bool = False) -> None:
        """Answer the next request ``seconds`` late; with ``after_headers`` the status and
        headers go out at once and the body is late (a server that stalls mid-answer)."""
        self._push("delay", (seconds, after_headers))

    def settings(self, **overrides) -> dict[str, object]:
        """Settings that send phrasing requests to this stand-in, for ``override_settings``."""
        return {
            "CHAT_LLM_URL": self.base_url,
            "CHAT_LLM_MODEL": MODEL,
            "CHAT_LLM_API_KEY": self.api_key,
            "CHAT_LLM_TIMEOUT": 3.0,
            **overrides,
        }

    # -- what the handler calls ---------------------------------------------------------

    def _push(self, kind: str, value: Any) -> None:
        with self._lock:
            self._script.append((kind, value))

    def _take(self) -> tuple[str, Any] | None:
        with self._lock:
            return self._script.pop(0) if self._script else None

    def _record(self, payload: dict[str, Any], headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(payload)
            self.headers.append(headers)


class _Handler(StandInHandler):
    stand_in: OpenAIStandIn

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != BASE_PATH + "/chat/completions":
            return self._json(404, _error("Not found", "not_found_error"))
        expected = f"Bearer {self.stand_in.api_key}" if self.stand_in.api_key else None
        if expected and self.headers.get("Authorization") != expected:
            return self._json(401, _error("Invalid API key", "authentication_error"))
        try:
            payload = json.loads(body)
        except ValueError:
            return self._json(400, _error("Body is not JSON", "invalid_request_error"))
        if not isinstance(payload, dict) or not payload.get("model"):
            return self._json(400, _error("model is required", "invalid_request_error"))
        messages = payload.get("messages")
        if not isinstance(messages, list) or not all(
            isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages
        ):
            return self._json(400, _error("messages is required", "invalid_request_error"))
        self.stand_in._record(payload, dict(self.headers))
        step = self.stand_in._take()
        delay, after_headers = 0.0, False
        if step and step[0] == "delay":
            (delay, after_headers), step = step[1], self.stand_in._take()
        if step and step[0] == "fail":
            return self._json(step[1], _error("Internal error", "server_error"))
        if step and step[0] == "garbage":
            return self._send(200, step[1], "text/html")
        content, finish_reason = step[1] if step else (DEFAULT_ANSWER, "stop")
        data = json.dumps(_completion(payload["model"], content, finish_reason)).encode()
        if not after_headers and self.stand_in._stopping.wait(delay):
            return
        self._send(200, data, "application/json", body_delay=delay if after_headers else 0)

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, data: bytes, content_type: str, body_delay: float = 0):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.flush()
            if body_delay and self.stand_in._stopping.wait(body_delay):
                return
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _completion(model: str, content: str, finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stand-in",
        "object": "chat.completion",
        "created": 1767225600,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


@contextmanager
def llm_stand_in(**settings_overrides) -> Iterator[OpenAIStandIn]:
    """A running stand-in model that phrasing requests go to inside the ``with`` block."""
    server = OpenAIStandIn(api_key=settings_overrides.pop("api_key", ""))
    server.start()
    try:
        with override_settings(**server.settings(**settings_overrides)):
            yield server
    finally:
        server.stop()


@pytest.fixture
def llm_server() -> Iterator[OpenAIStandIn]:
    """The stand-in model for one test (import it into a conftest.py to use it)."""
    with llm_stand_in() as server:
        yield server
