"""The common part of the local stand-ins for third parties' HTTP APIs (an SMS gateway, a
language model): a threaded HTTP server on 127.0.0.1 and a free port, started and stopped
by tests (and usable by hand). A stand-in subclasses :class:`LocalStandIn`, names its
``base_path`` and its request ``handler``, whose instances find the stand-in as
``self.stand_in``."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that gives up (a timeout, an error status left unread) resets the
        # connection: what some tests do on purpose, not a failure of the stand-in.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StandInHandler(BaseHTTPRequestHandler):
    """Base of a stand-in's request handler: HTTP/1.1, and no access log (tests read what
    the stand-in recorded instead)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # noqa: A002 (the base class's name)
        pass


class LocalStandIn:
    host = "127.0.0.1"
    base_path = ""
    handler: type[BaseHTTPRequestHandler]
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        return f"http://{self.host}:{self._server.server_address[1]}{self.base_path}"

    def start(self) -> None:
        handler = type("Handler", (self.handler,), {"stand_in": self})
        self._server = _Server((self.host, 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
