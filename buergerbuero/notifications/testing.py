"""A real SMTP server for tests (aiosmtpd on a free loopback port), for every app's tests.

The ``smtp_server`` fixture starts it and points Django's SMTP backend at it; what the
product sends arrives as parsed messages::

    def test_submission_confirms_by_email(client, smtp_server, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(...)
        [message] = smtp_server.messages
        assert message["To"] == "citizen@example.org"

``smtp_server.stop()`` makes the server unreachable (connection refused) and
``smtp_server.start()`` brings it back on the same port, to test retries; an address in
``smtp_server.refused`` is rejected like an unknown mailbox.
"""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from django.test import override_settings


class SmtpServer:
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = _free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list = []
        # Addresses answered with "550 mailbox unavailable", as for an unknown mailbox.
        self.refused: set[str] = set()
        self._controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        # SMTP carries CRLF line ends; a mail program shows "\n", and so do the parsed messages.
        content = envelope.content.replace(b"\r\n", b"\n")
        self.messages.append(email.message_from_bytes(content, policy=default_policy))
        return "250 Message accepted for delivery"

    def settings(self) -> dict[str, object]:
        """Settings that send through this server, for ``override_settings``."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server that Django's email backend sends to for this test."""
    server = SmtpServer()
    server.start()
    try:
        with override_settings(**server.settings()):
            yield server
    finally:
        server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
