"""A stand-in XBezahldienste payment service: a real HTTP server on 127.0.0.1 that keeps
the contract of docs/payments-xbezahldienste.md, for tests and local trials.

What it does, like a service that speaks the standard:

- ``POST /auth/token``: OAuth2 client credentials (form or JSON body, or HTTP Basic);
  wrong credentials get 401 ``invalid_client``. Tokens are opaque and expire.
- ``POST /xbezahldienste/api/v1.0.0/paymenttransaction/{originatorId}/{endPointId}``:
  checks the bearer token (401), the path ids and the PaymentRequest field by field (400
  with the standard's problem codes: VALIDATION_ERROR, CALCULATION_ERROR, PAYMENT_EXISTS,
  NO_VALID_ORIGINATOR_OR_ENDPOINT); amounts must be JSON numbers with at most two decimal
  places. Answers a PaymentTransaction in status INITIAL.
- ``GET …/paymenttransaction/{originatorId}/{endPointId}/{transactionId}``: the
  transaction (404 if unknown).
- ``GET /bezahlseite/{transactionId}``: the page the citizen pays on, with the buttons
  "Bezahlen", "Abbrechen" and "Fehlschlag simulieren"; each sets the status and redirects
  (303) to the request's ``redirectUrl``.
- After each status change, a callback to the request's ``notifyUrl``: the
  PaymentTransaction as JSON, signed ``X-XBezahldienste-Signature: sha256=<hex HMAC>``;
  retried with exponential backoff (bounded) on 5xx or no answer, not on 2xx/4xx.

What a test can make it do: ``fault = "503" | "drop" | "slow" | "garbage"`` (service
down, connection dropped, answers after the client's timeout, unreadable answers),
``revoke_tokens()``, ``settle(id, "PAYED")`` (as if the citizen paid), ``callback(id,
status=…, amount_cents=…, signature="wrong" | "missing", times=10, delay=0.2)`` for
duplicate, delayed, out-of-order, tampered or forged notifications.

Callbacks are delivered by a background thread over HTTP (``callback_mode="thread"``,
for a ``live_server``) or, in ``"manual"`` mode, only when the test calls
``deliver_pending()``, in the test's own thread and database transaction (the pytest
fixture ``xbezahldienste`` posts them through Django's test client)::

    def test_paid(xbezahldienste, client):
        payment, url = services.start_payment(...)
        xbezahldienste.settle(payment.provider_reference, "PAYED")
        [delivery] = xbezahldienste.deliver_pending()
        assert delivery.answers == [204]

The page it serves is the stand-in provider's, not the product's: its German text is
not translated.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

API_PREFIX = "/xbezahldienste/api/v1.0.0/"
TOKEN_PATH = "/auth/token"  # noqa: S105  (a path, not a password)
PAGE_PREFIX = "/bezahlseite/"
SIGNATURE_HEADER = "X-XBezahldienste-Signature"
STATUSES = ("INITIAL", "PAYED", "FAILED", "CANCELED")
PAGE_ACTIONS = {"bezahlen": "PAYED", "abbrechen": "CANCELED", "fehlschlag": "FAILED"}

# The PaymentRequest schema of XBezahldienste v1.0.0 (regular expressions with ASCII \w).
_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")
_PURPOSE = re.compile(r"[A-Za-z0-9_\s-]{1,27}")
_DESCRIPTION = re.compile(r"[A-Za-z0-9_\s,.\u00C0-\u017F-]{1,250}")
_REQUEST_FIELDS = {
    "requestId",
    "requestTimestamp",
    "currency",
    "grosAmount",
    "purpose",
    "description",
    "redirectUrl",
    "items",
    "requestor",
}
_ITEM_FIELDS = {
    "id",
    "reference",
    "description",
    "taxRate",
    "quantity",
    "totalNetAmount",
    "totalTaxAmount",
    "singleNetAmount",
    "singleTaxAmount",
    "bookingData",
}

#: (url, body, headers) -> HTTP status of the answer; raises OSError when unreachable.
Transport = Callable[[str, bytes, dict[str, str]], int]


class Invalid(ValueError):
    def __init__(self, code: str, text: str):
        super().__init__(text)
        self.code = code


@dataclass
class Transaction:
    transaction_id: str
    request: dict  # the PaymentRequest as received (amounts as Decimal)
    notify_url: str
    status: str = "INITIAL"
    paid_at: str = ""


@dataclass
class Delivery:
    """One callback and what became of it: ``answers`` holds the HTTP status of every
    attempt (``"unreachable"`` for no answer)."""

    transaction_id: str
    status: str
    url: str
    body: bytes
    headers: dict[str, str]
    delay: float = 0.0
    answers: list[int | str] = field(default_factory=list)
    done: bool = False  # answered 2xx or 4xx: the service stops trying
    gave_up: bool = False  # max_attempts without such an answer


def money(value: object) -> Decimal:
    """A JSON number (parsed with ``parse_float=Decimal``) with at most two decimal places."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Invalid("VALIDATION_ERROR", f"amount {value!r} is no JSON number")
    value = Decimal(value)
    if not value.is_finite() or value < 0 or value > 999999:
        raise Invalid("VALIDATION_ERROR", f"amount {value} out of range")
    if value != value.quantize(Decimal("0.01")):
        raise Invalid("VALIDATION_ERROR", f"amount {value} has more than two decimal places")
    return value


def to_json(value: object) -> str:
    """JSON with Decimal amounts written digit for digit."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def euro_text(amount: Decimal) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    return f"{int(whole):,}".replace(",", ".") + f",{cents} €"


def _http_url(value: object, limit: int = 2082) -> bool:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate_request(data: object, *, notify_url_field: str) -> dict:
    """The PaymentRequest if it keeps the schema, else ``Invalid`` with the problem code."""
    if not isinstance(data, dict):
        raise Invalid("VALIDATION_ERROR", "the body is no JSON object")
    unknown = set(data) - _REQUEST_FIELDS - {notify_url_field}
    if unknown:
        raise Invalid("VALIDATION_ERROR", f"unknown fields {sorted(unknown)}")
    if not isinstance(data.get("requestId"), str) or not _ID.fullmatch(data["requestId"]):
        raise Invalid("VALIDATION_ERROR", "requestId: 1-36 of A-Z a-z 0-9 _ -")
    try:
        dt.datetime.fromisoformat(str(data.get("requestTimestamp", "")).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("VALIDATION_ERROR", "requestTimestamp is no ISO 8601 time") from None
    if data.get("currency") != "EUR":
        raise Invalid("VALIDATION_ERROR", "currency: only EUR")
    total = money(data.get("grosAmount"))
    if total <= 0:
        raise Invalid("VALIDATION_ERROR", "grosAmount must be positive")
    for name, pattern in (("purpose", _PURPOSE), ("description", _DESCRIPTION)):
        if name in data and not (isinstance(data[name], str) and pattern.fullmatch(data[name])):
            raise Invalid("VALIDATION_ERROR", f"{name} has characters or a length not allowed")
    if not _http_url(data.get("redirectUrl")):
        raise Invalid("VALIDATION_ERROR", "redirectUrl must be an http(s) URL")
    if notify_url_field in data and not _http_url(data[notify_url_field]):
        raise Invalid("VALIDATION_ERROR", f"{notify_url_field} must be an http(s) URL")
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= 99:
        raise Invalid("VALIDATION_ERROR", "items: 1 to 99 positions")
    items_total = Decimal(0)
    for item in items:
        if not isinstance(item, dict) or set(item) - _ITEM_FIELDS:
            raise Invalid("VALIDATION_ERROR", "an item is no object or has unknown fields")
        if not isinstance(item.get("id"), str) or not _ID.fullmatch(item["id"]):
            raise Invalid("VALIDATION_ERROR", "items[].id: 1-36 of A-Z a-z 0-9 _ -")
        if "reference" in item and not (
            isinstance(item["reference"], str) and _ID.fullmatch(item["reference"])
        ):
            raise Invalid("VALIDATION_ERROR", "items[].reference: 1-36 of A-Z a-z 0-9 _ -")
        if "description" in item and not (
            isinstance(item["description"], str) and _DESCRIPTION.fullmatch(item["description"])
        ):
            raise Invalid("VALIDATION_ERROR", "items[].description not allowed")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise Invalid("VALIDATION_ERROR", "items[].quantity must be a positive integer")
        if "taxRate" in item and not 0 <= money(item["taxRate"]) <= 100:
            raise Invalid("VALIDATION_ERROR", "items[].taxRate: 0 to 100")
        for name in ("singleNetAmount", "singleTaxAmount"):
            if name in item:
                money(item[name])
        items_total += money(item.get("totalNetAmount")) + money(item.get("totalTaxAmount"))
    if items_total != total:
        raise Invalid("CALCULATION_ERROR", f"items add up to {items_total}, grosAmount is {total}")
    return data


class XBezahldiensteStandIn:
    """The stand-in service; ``with XBezahldiensteStandIn() as service: ...`` runs it."""

    def __init__(
        self,
        *,
        auth: str = "oauth2",  # "oauth2", "basic" or "none"
        client_id: str = "buergerbuero-test",
        client_secret: str | None = None,
        originator_id: str = "buergerbuero-test",
        endpoint_id: str = "05315000",
        callback_secret: str | None = None,
        notify_url_field: str = "notifyUrl",
        token_lifetime: int = 300,
        callback_mode: str = "thread",  # or "manual"
        transport: Transport | None = None,
        max_attempts: int = 5,
        retry_base: float = 0.05,  # seconds before the 2nd attempt; doubles each time
        slow_seconds: float = 2.0,
    ) -> None:
        self.auth = auth
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.originator_id = originator_id
        self.endpoint_id = endpoint_id
        self.callback_secret = callback_secret or secrets.token_urlsafe(32)
        self.notify_url_field = notify_url_field
        self.token_lifetime = token_lifetime
        self.callback_mode = callback_mode
        self.transport = transport or http_transport
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.slow_seconds = slow_seconds
        #: None, "503" (service down), "drop" (connection closed without an answer), "slow"
        #: (answers after ``slow_seconds``) or "garbage" (200 with an unreadable body).
        self.fault: str | None = None
        self.transactions: dict[str, Transaction] = {}
        self.tokens: dict[str, float] = {}
        self.tokens_issued = 0
        self.log: list[tuple[str, str, int]] = []  # (method, path, status) of every request
        self.bodies: list[bytes] = []  # raw bodies of the PaymentRequests received
        self.deliveries: list[Delivery] = []
        self._pending: list[Delivery] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ running

    def __enter__(self) -> XBezahldiensteStandIn:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"service": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        self.wait_idle(timeout=5)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    def settings(self) -> dict[str, object]:
        """The product's settings for talking to this service (``override_settings``)."""
        return {
            "PAYMENT_PROVIDER": "xbezahldienste",
            "XBEZAHLDIENSTE_URL": self.api_url,
            "XBEZAHLDIENSTE_TOKEN_URL": self.token_url if self.auth == "oauth2" else "",
            "XBEZAHLDIENSTE_CLIENT_ID": self.client_id if self.auth != "none" else "",
            "XBEZAHLDIENSTE_CLIENT_SECRET": self.client_secret if self.auth != "none" else "",
            "XBEZAHLDIENSTE_ORIGINATOR_ID": self.originator_id,
            "XBEZAHLDIENSTE_ENDPOINT_ID": self.endpoint_id,
            "XBEZAHLDIENSTE_CALLBACK_SECRET": self.callback_secret,
            "XBEZAHLDIENSTE_NOTIFY_URL_FIELD": self.notify_url_field,
            "XBEZAHLDIENSTE_TIMEOUT": 1.0,
        }

    # ------------------------------------------------------------------ test controls

    def revoke_tokens(self) -> None:
        """Every token issued so far is rejected from now on (as after a restart)."""
        with self._lock:
            self.tokens.clear()

    def page_url(self, transaction_id: str) -> str:
        return f"{self.base_url}{PAGE_PREFIX}{transaction_id}"

    def settle(self, transaction_id: str, status: str, *, notify: bool = True) -> None:
        """What the citizen's choice on the page does: set the status, call back."""
        assert status in STATUSES
        with self._lock:
            transaction = self.transactions[transaction_id]
            transaction.status = status
            if status == "PAYED":
                transaction.paid_at = _now()
        if notify and transaction.notify_url:
            self.callback(transaction_id)

    def callback(
        self,
        transaction_id: str,
        *,
        status: str | None = None,
        amount_cents: int | None = None,
        signature: str = "valid",  # or "wrong", "missing"
        times: int = 1,
        delay: float = 0.0,
    ) -> list[Delivery]:
        """Queue ``times`` callbacks about the transaction, as it is or with another
        ``status`` (out of order) or ``amount_cents`` (tampered), correctly signed or not;
        in thread mode each is sent ``delay`` seconds from now."""
        transaction = self.transactions[transaction_id]
        if not transaction.notify_url:
            raise ValueError(f"transaction {transaction_id} has no {self.notify_url_field}")
        request = dict(transaction.request)
        if amount_cents is not None:
            request["grosAmount"] = Decimal(amount_cents).scaleb(-2)
        body = to_json(self._as_transaction(transaction, request=request, status=status))
        raw = body.encode()
        headers = {"Content-Type": "application/json"}
        if signature == "valid":
            headers[SIGNATURE_HEADER] = sign(self.callback_secret, raw)
        elif signature == "wrong":
            headers[SIGNATURE_HEADER] = sign(self.callback_secret + "x", raw)
        queued = []
        for _ in range(times):
            delivery = Delivery(
                transaction_id=transaction_id,
                status=status or transaction.status,
                url=transaction.notify_url,
                body=raw,
                headers=dict(headers),
                delay=delay,
            )
            queued.append(delivery)
            with self._lock:
                self.deliveries.append(delivery)
                if self.callback_mode == "manual":
                    self._pending.append(delivery)
            if self.callback_mode == "thread":
                thread = threading.Thread(target=self._deliver, args=(delivery,), daemon=True)
                self._threads.append(thread)
                thread.start()
        return queued

    def deliver_pending(self, transport: Transport | None = None) -> list[Delivery]:
        """Manual mode: send the queued callbacks now, in this thread, in order."""
        with self._lock:
            pending, self._pending = self._pending, []
        for delivery in pending:
            self._deliver(delivery, transport=transport, sleep=False)
        return pending

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Thread mode: wait until every callback is delivered or given up."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    # ------------------------------------------------------------------ internals

    def _deliver(
        self, delivery: Delivery, transport: Transport | None = None, sleep: bool = True
    ) -> None:
        transport = transport or self.transport
        if delivery.delay and sleep:
            time.sleep(delivery.delay)
        for attempt in range(self.max_attempts):
            try:
                answer: int | str = transport(delivery.url, delivery.body, delivery.headers)
            except OSError:
                answer = "unreachable"
            delivery.answers.append(answer)
            if isinstance(answer, int) and answer < 500:
                delivery.done = True
                return
            if attempt + 1 < self.max_attempts:
                time.sleep(self.retry_base * 2**attempt)
        delivery.gave_up = True

    def _as_transaction(
        self, transaction: Transaction, *, request: dict | None = None, status: str | None = None
    ) -> dict:
        status = status or transaction.status
        information = {
            "transactionUrl": self._transaction_url(transaction.transaction_id),
            "transactionId": transaction.transaction_id,
            "transactionReference": transaction.request.get("purpose", ""),
            "status": status,
        }
        if status == "INITIAL":
            information["transactionRedirectUrl"] = self.page_url(transaction.transaction_id)
        if status == "PAYED":
            information["transactionTimestamp"] = transaction.paid_at or _now()
            information["paymentMethod"] = "CREDITCARD"
        return {
            "paymentRequest": request or transaction.request,
            "paymentInformation": information,
        }

    def _transaction_url(self, transaction_id: str) -> str:
        return (
            f"{self.api_url}paymenttransaction/{self.originator_id}/{self.endpoint_id}/"
            f"{transaction_id}"
        )

    def _create(self, request: dict) -> Transaction:
        with self._lock:
            if any(
                t.request["requestId"] == request["requestId"] for t in self.transactions.values()
            ):
                raise Invalid("PAYMENT_EXISTS", "a PaymentRequest with this requestId exists")
            transaction = Transaction(
                transaction_id="XBZ-" + secrets.token_hex(10).upper(),
                request=request,
                notify_url=request.get(self.notify_url_field, ""),
            )
            self.transactions[transaction.transaction_id] = transaction
        return transaction

    def _token_valid(self, header: str) -> bool:
        if self.auth == "none":
            return True
        if self.auth == "basic":
            pair = f"{self.client_id}:{self.client_secret}".encode()
            expected = "Basic " + base64.b64encode(pair).decode()
            return hmac.compare_digest(header.encode(), expected.encode())
        token = header.removeprefix("Bearer ").strip()
        with self._lock:
            expires = self.tokens.get(token)
        return expires is not None and time.monotonic() < expires

    def _issue_token(self, client_id: str, client_secret: str) -> str | None:
        if not (
            hmac.compare_digest(client_id.encode(), self.client_id.encode())
            and hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        ):
            return None
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime
            self.tokens_issued += 1
        return token


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def http_transport(url: str, body: bytes, headers: dict[str, str]) -> int:
    try:
        return httpx.post(url, content=body, headers=headers, timeout=5).status_code
    except httpx.HTTPError as error:
        raise OSError(str(error)) from error


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _Handler(BaseHTTPRequestHandler):
    service: XBezahldiensteStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # noqa: A002  (quiet; self.service.log)
        pass

    # ------------------------------------------------------------------ routing

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith(PAGE_PREFIX):
            return self._page(path.removeprefix(PAGE_PREFIX))
        if self._fault():
            return
        parts = self._api_parts(path)
        if parts is None or len(parts) != 4:
            return self._problem(404, "UNSPECIFIED", "no such resource")
        if not self._authorized():
            return
        if not self._ids_ok(parts):
            return
        transaction = self.service.transactions.get(parts[3])
        if transaction is None:
            return self._problem(404, "UNSPECIFIED", "no such transaction")
        self._json(200, self.service._as_transaction(transaction))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path.startswith(PAGE_PREFIX):
            return self._page_action(path.removeprefix(PAGE_PREFIX), body)
        if self._fault():
            return
        if path == TOKEN_PATH:
            return self._token(body)
        parts = self._api_parts(path)
        if parts is None or len(parts) != 3:
            return self._problem(404, "UNSPECIFIED", "no such resource")
        if not self._authorized() or not self._ids_ok(parts):
            return
        self.service.bodies.append(body)
        try:
            data = json.loads(body, parse_float=Decimal)
            request = validate_request(data, notify_url_field=self.service.notify_url_field)
            transaction = self.service._create(request)
        except Invalid as problem:
            return self._problem(400, problem.code, str(problem))
        except ValueError:
            return self._problem(400, "VALIDATION_ERROR", "the body is no JSON")
        self._json(200, self.service._as_transaction(transaction))

    # ------------------------------------------------------------------ API

    def _fault(self) -> bool:
        fault = self.service.fault
        if fault == "503":
            self._problem(503, "UNSPECIFIED", "service unavailable")
        elif fault == "drop":
            self.close_connection = True
            self._note(0)
        elif fault == "garbage":
            self._send(200, b"<html>Wartungsarbeiten</html>", "application/json")
        elif fault == "slow":
            time.sleep(self.service.slow_seconds)
            return False
        return fault in ("503", "drop", "garbage")

    def _api_parts(self, path: str) -> list[str] | None:
        if not path.startswith(API_PREFIX + "paymenttransaction/"):
            return None
        return path.removeprefix(API_PREFIX).strip("/").split("/")

    def _authorized(self) -> bool:
        if self.service._token_valid(self.headers.get("Authorization", "")):
            return True
        self._problem(401, "FORBIDDEN", "missing, wrong or expired credentials")
        return False

    def _ids_ok(self, parts: list[str]) -> bool:
        if (parts[1], parts[2]) == (self.service.originator_id, self.service.endpoint_id):
            return True
        self._problem(400, "NO_VALID_ORIGINATOR_OR_ENDPOINT", "unknown originator or endpoint")
        return False

    def _token(self, body: bytes) -> None:
        if self.headers.get("Content-Type", "").startswith("application/json"):
            try:
                form = {k: str(v) for k, v in json.loads(body).items()}
            except (ValueError, AttributeError):
                form = {}
        else:
            form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if form.get("grant_type") != "client_credentials":
            return self._json(400, {"error": "unsupported_grant_type"})
        token = self.service._issue_token(client_id, client_secret)
        if token is None:
            return self._json(401, {"error": "invalid_client"})
        self._json(
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.service.token_lifetime,
            },
        )

    # ------------------------------------------------------------------ the page

    def _page(self, transaction_id: str) -> None:
        transaction = self.service.transactions.get(transaction_id)
        if transaction is None:
            return self._send(404, b"Unbekannte Zahlung", "text/plain; charset=utf-8")
        request = transaction.request
        amount = euro_text(money(request["grosAmount"]))
        if transaction.status == "INITIAL":
            buttons = "".join(
                f'<button type="submit" name="aktion" value="{value}">{label}</button> '
                for value, label in (
                    ("bezahlen", "Bezahlen"),
                    ("abbrechen", "Abbrechen"),
                    ("fehlschlag", "Fehlschlag simulieren"),
                )
            )
            action = f'<form method="post">{buttons}</form>'
        else:
            action = (
                f"<p>Diese Zahlung ist abgeschlossen ({transaction.status}).</p>"
                f'<p><a href="{html.escape(request["redirectUrl"])}">Zurück</a></p>'
            )
        page = (
            '<!doctype html><html lang="de"><head><meta charset="utf-8">'
            "<title>Stand-in XBezahldienste – Bezahlseite</title></head><body>"
            "<h1>Bezahlen</h1>"
            f"<p>{html.escape(request.get('description', ''))}</p>"
            f'<p>Betrag: <strong id="betrag">{amount}</strong></p>'
            f"<p>Verwendungszweck: {html.escape(request.get('purpose', ''))}</p>"
            f"{action}</body></html>"
        )
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def _page_action(self, transaction_id: str, body: bytes) -> None:
        transaction = self.service.transactions.get(transaction_id)
        choice = parse_qs(body.decode(errors="replace")).get("aktion", [""])[0]
        if transaction is None or choice not in PAGE_ACTIONS:
            return self._send(400, b"Ungueltige Auswahl", "text/plain; charset=utf-8")
        if transaction.status == "INITIAL":
            self.service.settle(transaction_id, PAGE_ACTIONS[choice])
        self.send_response(303)
        self.send_header("Location", transaction.request["redirectUrl"])
        self.send_header("Content-Length", "0")
        self.end_headers()
        self._note(303)

    # ------------------------------------------------------------------ answers

    def _problem(self, status: int, code: str, text: str) -> None:
        problem = {
            "functionalCode": code,
            "functionalText": text,
            "httpStatusCode": status,
            "httpStatusText": HTTPStatus(status).phrase,
        }
        self._send(status, json.dumps(problem).encode(), "application/problem+json")

    def _json(self, status: int, value: object) -> None:
        self._send(status, to_json(value).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self._note(status)

    def _note(self, status: int) -> None:
        with self.service._lock:
            self.service.log.append((self.command, urlsplit(self.path).path, status))


# ============================================================================ pytest


def provider_registered() -> None:
    """Import (and so register) the adapter, in case the app has not imported it yet."""
    from buergerbuero.payments.providers import xbezahldienste  # noqa: F401


def django_client_transport(url: str, body: bytes, headers: dict[str, str]) -> int:
    """Posts a callback through Django's test client, in the caller's thread."""
    from django.test import Client

    response = Client().post(
        urlsplit(url).path,
        data=body,
        content_type=headers.get("Content-Type", "application/json"),
        headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
    )
    return response.status_code


@pytest.fixture
def xbezahldienste(db) -> Iterator[XBezahldiensteStandIn]:
    """The stand-in service, and the settings that make it the active payment provider.

    Callbacks wait in ``deliver_pending()``, which posts them through Django's test client
    (same thread, same test transaction)."""
    from django.test import override_settings

    provider_registered()
    service = XBezahldiensteStandIn(callback_mode="manual", transport=django_client_transport)
    with service, override_settings(**service.settings()):
        yield service


@pytest.fixture
def xbezahldienste_live(live_server) -> Iterator[XBezahldiensteStandIn]:
    """The stand-in service calling back over real HTTP to pytest-django's
    ``live_server`` (a transactional test: the server thread sees committed data)."""
    from django.test import override_settings

    provider_registered()
    service = XBezahldiensteStandIn(callback_mode="thread")
    with service, override_settings(**service.settings(), SITE_URL=live_server.url):
        yield service
