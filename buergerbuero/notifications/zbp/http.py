"""The real ZBP adapter: JSON over HTTPS with httpx, OAuth2 client credentials and/or a
BPKI client certificate (mutual TLS), timeouts on every request.

The wire format comes from :mod:`.protocol`; this module only moves it and sorts the
failures into "try again later" and "an operator must act".
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote_plus

import httpx

from . import protocol
from .base import (
    InboxAuthError,
    InboxBackend,
    InboxMessage,
    InboxRejected,
    InboxTemporaryError,
)

logger = logging.getLogger("buergerbuero.notifications")

# Answers worth another try: the ZBP is busy, restarting or behind a failing proxy.
_TEMPORARY = {408, 425, 429, 500, 502, 503, 504}
# Renew a token this long before it expires, so that it does not expire in flight.
_TOKEN_MARGIN = 30


@dataclass(frozen=True)
class ZbpConfig:
    url: str
    token_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""
    client_cert: str = ""
    client_key: str = ""
    ca_bundle: str = ""
    timeout: float = 15.0


class _TokenCache:
    """Bearer tokens per (token URL, client id), shared by the worker's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    def get(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            token, expires = self._tokens.get(key, ("", 0.0))
        return token if token and expires > time.monotonic() else None

    def put(self, key: tuple[str, str], token: str, lifetime: float) -> None:
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(lifetime - _TOKEN_MARGIN, 1))

    def drop(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)


_tokens = _TokenCache()


class HttpZbpBackend(InboxBackend):
    def __init__(self, config: ZbpConfig) -> None:
        self.config = config

    # -- the interface ------------------------------------------------------------------

    def send(self, message: InboxMessage) -> str:
        payload = protocol.message_payload(message)
        url = protocol.messages_url(self.config.url)
        with self._client() as client:
            response = self._authorised(
                client, "POST", url, json=payload, headers=protocol.headers(message)
            )
        self._raise_for(response, "sending a message")
        try:
            return protocol.message_id_from(response.json())
        except ValueError as error:
            # It may well have stored the message: a retry with the same idempotency key
            # is safe and gives us the id.
            raise InboxTemporaryError(f"ZBP answered {response.status_code} but {error}") from None

    def status(self, provider_id: str) -> str:
        url = protocol.message_url(self.config.url, provider_id)
        with self._client() as client:
            response = self._authorised(client, "GET", url)
        self._raise_for(response, "asking for a message's status")
        try:
            return protocol.status_from(response.json())
        except ValueError as error:
            raise InboxTemporaryError(str(error)) from None

    # -- HTTP ---------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        return httpx.Client(timeout=self.config.timeout, verify=self._ssl_context())

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.ca_bundle or None)
        if self.config.client_cert:
            context.load_cert_chain(self.config.client_cert, self.config.client_key or None)
        return context

    def _authorised(
        self, client: httpx.Client, method: str, url: str, *, headers=None, **kwargs
    ) -> httpx.Response:
        """The request with a bearer token (when OAuth2 is configured); once more with a
        fresh token if the ZBP says the cached one is no longer valid."""
        headers = dict(headers or {})
        if not self.config.token_url:
            return self._request(client, method, url, headers=headers, **kwargs)
        headers["Authorization"] = f"Bearer {self._token(client, fresh=False)}"
        response = self._request(client, method, url, headers=headers, **kwargs)
        if response.status_code == 401:
            logger.info("ZBP refused the cached token; fetching a new one")
            headers["Authorization"] = f"Bearer {self._token(client, fresh=True)}"
            response = self._request(client, method, url, headers=headers, **kwargs)
        return response

    def _request(self, client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            return client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise InboxTemporaryError(
                f"ZBP did not answer within {self.config.timeout:g} s ({method} {_path(url)})"
            ) from None
        except httpx.TransportError as error:
            raise InboxTemporaryError(
                f"ZBP unreachable ({method} {_path(url)}): {type(error).__name__}: {error}"
            ) from None

    def _token(self, client: httpx.Client, *, fresh: bool) -> str:
        key = (self.config.token_url, self.config.client_id)
        if fresh:
            _tokens.drop(key)
        elif token := _tokens.get(key):
            return token
        data = {"grant_type": "client_credentials"}
        if self.config.scope:
            data["scope"] = self.config.scope
        response = self._request(
            client,
            "POST",
            self.config.token_url,
            data=data,
            # client_secret_basic: RFC 6749 §2.3.1 form-encodes both before Basic.
            auth=(quote_plus(self.config.client_id), quote_plus(self.config.client_secret)),
        )
        if response.status_code in (400, 401, 403):
            raise InboxAuthError(
                f"ZBP token endpoint refused client id {self.config.client_id!r} "
                f"(HTTP {response.status_code} {_detail(response)}): check ZBP_CLIENT_ID "
                "and ZBP_CLIENT_SECRET"
            )
        self._raise_for(response, "fetching a token")
        try:
            answer = response.json()
            token = answer["access_token"]
            lifetime = float(answer.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise InboxTemporaryError("ZBP token endpoint answered without access_token") from None
        _tokens.put(key, token, lifetime)
        return token

    def _raise_for(self, response: httpx.Response, doing: str) -> None:
        code = response.status_code
        if 200 <= code < 300:
            return
        reason = f"HTTP {code} {_detail(response)}".strip()
        if code in (401, 403):
            raise InboxAuthError(
                f"ZBP refused our credentials while {doing} ({reason}): check the client "
                "certificate (ZBP_CLIENT_CERT/ZBP_CLIENT_KEY) and the OAuth2 client "
                "(ZBP_CLIENT_ID/ZBP_CLIENT_SECRET) and its rights for this online service"
            )
        if code in _TEMPORARY or code >= 500:
            raise InboxTemporaryError(f"ZBP failed while {doing}: {reason}")
        raise InboxRejected(f"ZBP refused {doing}: {reason}")


def _detail(response: httpx.Response) -> str:
    try:
        return protocol.error_detail(response.json())
    except ValueError:
        return response.reason_phrase


def _path(url: str) -> str:
    # The path only: enough to tell the requests apart, nothing of a secret query.
    return httpx.URL(url).path
