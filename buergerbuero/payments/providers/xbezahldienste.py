"""XBezahldienste: the public sector's REST standard for payment services (FITKO, v1.0.0).

A payment service that speaks XBezahldienste (pmPayment, ePay21, GiroCheckout, ePayBL
behind Dataport's connector, …) is reached with three calls, all taken from the standard::

    POST {XBEZAHLDIENSTE_URL}paymenttransaction/{originatorId}/{endPointId}
         PaymentRequest -> PaymentTransaction (transactionId, transactionRedirectUrl)
    GET  {XBEZAHLDIENSTE_URL}paymenttransaction/{originatorId}/{endPointId}/{transactionId}
         -> PaymentTransaction (paymentInformation.status: INITIAL, PAYED, FAILED, CANCELED)
    POST {XBEZAHLDIENSTE_TOKEN_URL}  (OAuth2 client credentials, where the service uses it)

Amounts travel as decimal euros (``grosAmount: 18.00``); we convert from and to integer
cents exactly (``cents_to_euros``/``euros_to_cents``) and never build a float. The standard
defines no notification from the service to us: the status is asked for (``fetch_status``,
called by ``services.refresh_status``), which alone is enough. Where a service is set up
to call back, it POSTs the same PaymentTransaction to
``/bezahlen/rueckmeldung/xbezahldienste/`` signed with HMAC-SHA256 (our contract, see
docs/payments-xbezahldienste.md); ``handle_callback`` verifies and records it.

Settings, read at call time (``override_settings`` works; a city sets them through the
environment of its settings module):

- ``XBEZAHLDIENSTE_URL``: base URL of the service's XBezahldienste API, ending in ``/``.
- ``XBEZAHLDIENSTE_ORIGINATOR_ID``, ``XBEZAHLDIENSTE_ENDPOINT_ID``: the path parameters the
  service assigns (online service and responsible authority, e.g. the AGS); 1–36 of
  ``A-Z a-z 0-9 _ -``.
- ``XBEZAHLDIENSTE_TOKEN_URL``, ``XBEZAHLDIENSTE_CLIENT_ID``, ``XBEZAHLDIENSTE_CLIENT_SECRET``:
  with a token URL, OAuth2 client credentials (bearer token, renewed before it expires and
  once on a 401); without one but with a client id, HTTP Basic; with neither, no
  Authorization header (client certificate only).
- ``XBEZAHLDIENSTE_CLIENT_CERT``: path of a PEM file with client certificate and key, for
  services that require mutual TLS.
- ``XBEZAHLDIENSTE_CALLBACK_SECRET``: shared secret of the callback signature; empty means
  callbacks are refused (403) and the status is only polled.
- ``XBEZAHLDIENSTE_NOTIFY_URL_FIELD`` (default ``"notifyUrl"``): the field of the
  PaymentRequest that carries our callback URL when callbacks are on; ``""`` sends none
  (for services that reject unknown fields and take the URL in their own configuration).
- ``XBEZAHLDIENSTE_TIMEOUT`` (default 10): seconds for connecting and for each read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core import checks
from django.urls import reverse
from django.utils import timezone

from .. import provider_checks  # noqa: F401  (registers the providers' system check)
from ..models import Payment, PaymentStatus, TransitionSource
from ..selectors import payment_return_url
from ..services import transition
from ..transitions import PaymentTransitionError
from .base import (
    CallbackOutcome,
    CallbackResult,
    PaymentProvider,
    PaymentProviderUnavailable,
)
from .registry import registry

logger = logging.getLogger(__name__)

#: Header of the callback signature (our contract): ``sha256=<hex HMAC of the raw body>``.
SIGNATURE_HEADER = "X-XBezahldienste-Signature"
SIGNATURE_PREFIX = "sha256="

#: The standard's transaction states and what each means for our payment. INITIAL: the
#: service has the request, the citizen has not finished on its page (our "pending").
STATUS_MEANING = {
    "INITIAL": PaymentStatus.PENDING,
    "PAYED": PaymentStatus.PAID,
    "FAILED": PaymentStatus.FAILED,
    "CANCELED": PaymentStatus.CANCELLED,
}

# Character sets and lengths of the standard's PaymentRequest fields (ASCII \w, as in the
# JSON schema's regular expressions; descriptions also allow À–ſ, i.e. German umlauts).
_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,36}")
_NOT_IN_PURPOSE = re.compile(r"[^A-Za-z0-9_ -]+")
_NOT_IN_DESCRIPTION = re.compile(r"[^A-Za-z0-9_ ,.\u00C0-\u017F-]+")
_NOT_IN_REFERENCE = re.compile(r"[^A-Za-z0-9_-]+")
_EURO_TEXT_RE = re.compile(r"\d{1,6}(\.\d{1,2})?")
PURPOSE_MAX, DESCRIPTION_MAX, REFERENCE_MAX = 27, 250, 36
#: Statuses a confirmation may still turn into paid (transitions.py), noted in the log.
LATE_PAYMENT_FROM = (PaymentStatus.CANCELLED, PaymentStatus.FAILED)


# ============================================================================ money


def cents_to_euros(cents: int) -> Decimal:
    """``cents_to_euros(1999) == Decimal("19.99")``, exactly (two decimal places)."""
    if isinstance(cents, bool) or not isinstance(cents, int) or cents < 0:
        raise ValueError(f"cents must be a non-negative int, not {cents!r}")
    return Decimal(cents).scaleb(-2)


def euros_to_cents(value: object) -> int:
    """The service's decimal euros as integer cents; ``ValueError`` for anything that is
    not an exact, non-negative amount (a third decimal place, a float, ``NaN``, text)."""
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int) or isinstance(value, str) and _EURO_TEXT_RE.fullmatch(value):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"not an amount: {value!r}")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"not a whole number of cents: {value!r}")
    return int(cents)


def json_dumps(value: object) -> str:
    """JSON with ``Decimal`` written as a number, digit for digit (``json`` cannot)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} is no JSON number")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("amounts are Decimal or int cents, never float")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{json_dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(json_dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _clean(text: str, not_allowed: re.Pattern, limit: int, joiner: str = " ") -> str:
    """``text`` in the field's character set: other characters become ``joiner``."""
    cleaned = not_allowed.sub(joiner, text)
    cleaned = re.sub(r" {2,}", " ", cleaned).strip(" -") if joiner == " " else cleaned
    return cleaned[:limit].rstrip()


# ============================================================================ settings


@dataclass(frozen=True)
class Config:
    url: str
    originator_id: str
    endpoint_id: str
    token_url: str
    client_id: str
    client_secret: str
    client_cert: str
    callback_secret: str
    notify_url_field: str
    timeout: float

    @property
    def auth(self) -> str:
        if self.token_url:
            return "oauth2"
        return "basic" if self.client_id else "none"

    def problems(self) -> list[str]:
        """What keeps the adapter from working, as sentences for an operator."""
        found = []
        url = urlsplit(self.url)
        if url.scheme not in ("http", "https") or not url.netloc:
            found.append("XBEZAHLDIENSTE_URL must be the http(s) base URL of the service's API.")
        for name, value in (
            ("XBEZAHLDIENSTE_ORIGINATOR_ID", self.originator_id),
            ("XBEZAHLDIENSTE_ENDPOINT_ID", self.endpoint_id),
        ):
            if not _ID_RE.fullmatch(value):
                found.append(f"{name} must be 1–36 of A–Z, a–z, 0–9, _ and - (not {value!r}).")
        if not 0 < self.timeout <= 300:
            found.append("XBEZAHLDIENSTE_TIMEOUT must be a number of seconds up to 300.")
        if self.auth == "oauth2" and not (self.client_id and self.client_secret):
            found.append(
                "XBEZAHLDIENSTE_TOKEN_URL is set: XBEZAHLDIENSTE_CLIENT_ID and "
                "XBEZAHLDIENSTE_CLIENT_SECRET are needed too."
            )
        return found


def config() -> Config:
    def text(name: str, default: str = "") -> str:
        return str(getattr(settings, name, default) or default).strip()

    url = text("XBEZAHLDIENSTE_URL")
    return Config(
        url=url if not url or url.endswith("/") else url + "/",
        originator_id=text("XBEZAHLDIENSTE_ORIGINATOR_ID"),
        endpoint_id=text("XBEZAHLDIENSTE_ENDPOINT_ID"),
        token_url=text("XBEZAHLDIENSTE_TOKEN_URL"),
        client_id=text("XBEZAHLDIENSTE_CLIENT_ID"),
        client_secret=str(getattr(settings, "XBEZAHLDIENSTE_CLIENT_SECRET", "") or ""),
        client_cert=text("XBEZAHLDIENSTE_CLIENT_CERT"),
        callback_secret=str(getattr(settings, "XBEZAHLDIENSTE_CALLBACK_SECRET", "") or ""),
        notify_url_field=str(getattr(settings, "XBEZAHLDIENSTE_NOTIFY_URL_FIELD", "notifyUrl")),
        timeout=_seconds(getattr(settings, "XBEZAHLDIENSTE_TIMEOUT", 10)),
    )


def _seconds(value: object) -> float:
    try:
        return float(value or 10)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return -1.0  # reported by Config.problems()


def site_url(path_or_url: str) -> str:
    """A path of ours (``reverse(...)``, script prefix included) as an absolute URL on
    ``SITE_URL``; absolute URLs are returned as they are."""
    if not path_or_url.startswith("/") or path_or_url.startswith("//"):
        return path_or_url
    site = urlsplit(settings.SITE_URL)
    return f"{site.scheme}://{site.netloc}{path_or_url}"


# ============================================================================ HTTP


class _Tokens:
    """Bearer tokens per (token URL, client, secret), shared by the threads of a process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}

    @staticmethod
    def key(cfg: Config) -> tuple[str, str, str]:
        secret = hashlib.sha256(cfg.client_secret.encode()).hexdigest()
        return cfg.token_url, cfg.client_id, secret

    def get(self, cfg: Config) -> str | None:
        with self._lock:
            token, renew_at = self._tokens.get(self.key(cfg), ("", 0.0))
        return token if token and time.monotonic() < renew_at else None

    def put(self, cfg: Config, token: str, lifetime: float) -> None:
        # Renewed a little before it runs out, so that no request goes out with a token that
        # expires on the way.
        renew_at = time.monotonic() + lifetime - min(30.0, lifetime / 10)
        with self._lock:
            self._tokens[self.key(cfg)] = (token, renew_at)

    def drop(self, cfg: Config, token: str) -> None:
        with self._lock:
            if self._tokens.get(self.key(cfg), ("",))[0] == token:
                del self._tokens[self.key(cfg)]


_tokens = _Tokens()


class _Api:
    """One conversation with the service: ``with _Api(cfg) as api: api.send(...)``.

    Every failure becomes ``PaymentProviderUnavailable`` with a message for the log;
    tokens, secrets and request bodies never appear in it."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def __enter__(self) -> _Api:
        try:
            self.client = httpx.Client(
                timeout=self.cfg.timeout,
                cert=self.cfg.client_cert or None,
                follow_redirects=False,
            )
        except (OSError, ValueError) as error:  # unreadable certificate file
            raise _unavailable(f"cannot load XBEZAHLDIENSTE_CLIENT_CERT: {error}") from None
        return self

    def __exit__(self, *exc_info) -> None:
        self.client.close()

    def transaction_url(self, transaction_id: str = "") -> str:
        url = f"{self.cfg.url}paymenttransaction/{self.cfg.originator_id}/{self.cfg.endpoint_id}"
        return f"{url}/{transaction_id}" if transaction_id else url

    def send(self, method: str, url: str, body: str | None = None) -> httpx.Response:
        """The answer to ``method url``; one retry with a fresh token if the service says
        the token is no good (it may have expired early or been revoked)."""
        for attempt in (1, 2):
            headers = {"Accept": "application/json"}
            token = self._authorize(headers)
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                response = self.client.request(
                    method, url, content=body.encode() if body is not None else None,
                    headers=headers,
                )  # fmt: skip
            except httpx.TimeoutException:
                raise _unavailable(
                    f"{method} {url}: no answer within {self.cfg.timeout:g} s"
                ) from None
            except (httpx.HTTPError, httpx.InvalidURL) as error:
                raise _unavailable(f"{method} {url}: {type(error).__name__}: {error}") from None
            if response.status_code == 401 and token and attempt == 1:
                logger.info("XBezahldienste refused the bearer token; fetching a new one")
                _tokens.drop(self.cfg, token)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _authorize(self, headers: dict[str, str]) -> str | None:
        if self.cfg.auth == "basic":
            pair = f"{self.cfg.client_id}:{self.cfg.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        elif self.cfg.auth == "oauth2":
            token = _tokens.get(self.cfg) or self._new_token()
            headers["Authorization"] = f"Bearer {token}"
            return token
        return None

    def _new_token(self) -> str:
        try:
            response = self.client.post(
                self.cfg.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.cfg.client_id,
                    "client_secret": self.cfg.client_secret,
                },
                headers={"Accept": "application/json"},
            )
        except httpx.TimeoutException:
            raise _unavailable(
                f"token endpoint {self.cfg.token_url}: no answer within {self.cfg.timeout:g} s"
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise _unavailable(
                f"token endpoint {self.cfg.token_url}: {type(error).__name__}: {error}"
            ) from None
        if response.status_code in (400, 401, 403):
            raise _unavailable(
                f"token endpoint {self.cfg.token_url} refused client "
                f"{self.cfg.client_id!r} (HTTP {response.status_code}): check "
                "XBEZAHLDIENSTE_CLIENT_ID and XBEZAHLDIENSTE_CLIENT_SECRET",
                level=logging.ERROR,
            )
        if response.status_code != 200:
            raise _unavailable(
                f"token endpoint {self.cfg.token_url} answered HTTP {response.status_code}"
            )
        try:
            answer = response.json()
            token = answer["access_token"]
            lifetime = float(answer.get("expires_in") or 300)
            if not isinstance(token, str) or not token or not 0 < lifetime < 10**7:
                raise ValueError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _unavailable(f"token endpoint {self.cfg.token_url}: unreadable answer") from None
        _tokens.put(self.cfg, token, lifetime)
        return token


def _unavailable(message: str, *, level: int = logging.WARNING) -> PaymentProviderUnavailable:
    logger.log(level, "XBezahldienste unavailable: %s", message)
    return PaymentProviderUnavailable(message)


# ============================================================================ answers


@dataclass(frozen=True)
class TransactionReport:
    """What the service says about one transaction (GET answer or callback body)."""

    transaction_id: str
    status: str  # a key of STATUS_MEANING
    redirect_url: str
    amount_cents: int | None  # None: the answer has no paymentRequest.grosAmount
    currency: str


def parse_transaction(data: object) -> TransactionReport:
    """A PaymentTransaction (``{"paymentInformation": {...}, "paymentRequest": {...}}``)
    as parsed with ``parse_float=Decimal``; ``ValueError`` if it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("paymentInformation"), dict):
        raise ValueError("no paymentInformation")
    information = data["paymentInformation"]
    transaction_id = information.get("transactionId")
    if not isinstance(transaction_id, str) or not 0 < len(transaction_id) <= 200:
        raise ValueError("no usable paymentInformation.transactionId")
    status = information.get("status")
    if status not in STATUS_MEANING:
        raise ValueError(f"unknown paymentInformation.status {status!r}")
    redirect_url = information.get("transactionRedirectUrl") or ""
    if not isinstance(redirect_url, str):
        raise ValueError("transactionRedirectUrl is no string")
    request = data.get("paymentRequest") or {}
    if not isinstance(request, dict):
        raise ValueError("paymentRequest is no object")
    amount = request.get("grosAmount")
    currency = request.get("currency") or ""
    return TransactionReport(
        transaction_id=transaction_id,
        status=status,
        redirect_url=redirect_url,
        amount_cents=None if amount is None else euros_to_cents(amount),
        currency=currency if isinstance(currency, str) else "?",
    )


def _read(response: httpx.Response, what: str) -> TransactionReport:
    try:
        return parse_transaction(json.loads(response.content, parse_float=Decimal))
    except (ValueError, InvalidOperation) as error:  # JSONDecodeError is a ValueError
        raise _unavailable(f"{what}: unreadable answer ({error})", level=logging.ERROR) from None


def _refused(response: httpx.Response, what: str) -> PaymentProviderUnavailable:
    """The service's problem+json (functionalCode, functionalText) in the log, if any."""
    detail = ""
    try:
        problem = response.json()
        detail = f": {problem.get('functionalCode', '')} {problem.get('functionalText', '')}"
    except (ValueError, AttributeError):
        pass
    level = logging.ERROR if 400 <= response.status_code < 500 else logging.WARNING
    return _unavailable(f"{what}: HTTP {response.status_code}{detail[:300]}", level=level)


# ============================================================================ the provider


@registry.register
class XBezahldiensteProvider(PaymentProvider):
    key = "xbezahldienste"
    verbose_name = "XBezahldienste"

    # ------------------------------------------------------------------ begin

    def begin(self, payment: Payment) -> str:
        cfg = self._config()
        with _Api(cfg) as api:
            if payment.provider_reference:
                url = self._resume(api, payment)
                if url:
                    return url
            return self._open(api, cfg, payment)

    def _resume(self, api: _Api, payment: Payment) -> str | None:
        """The URL of the payment's session if the citizen can still pay there; records a
        payment the service already has as paid. ``None``: open a new session."""
        response = api.send("GET", api.transaction_url(payment.provider_reference))
        if response.status_code == 404:
            logger.info(
                "payment %s: XBezahldienste no longer knows transaction %s; opening a new one",
                payment.uuid,
                payment.provider_reference,
            )
            return None
        if response.status_code != 200:
            raise _refused(response, f"status of transaction {payment.provider_reference}")
        report = _read(response, f"status of transaction {payment.provider_reference}")
        status = self._checked_status(payment, report, via="begin")
        if status == PaymentStatus.PAID:
            self._record(payment, status, detail="XBezahldienste: bereits bezahlt.")
            return site_url(payment_return_url(payment))
        if status == PaymentStatus.PENDING and report.redirect_url:
            if payment.provider_url != report.redirect_url:
                payment.provider_url = report.redirect_url
                payment.save(update_fields=["provider_url", "updated_at"])
            return report.redirect_url
        return None  # failed, cancelled or not to be trusted: a new session

    def _open(self, api: _Api, cfg: Config, payment: Payment) -> str:
        code = _kassenzeichen(payment)
        request = {
            # Our id of this attempt; a new one per session, as the service refuses a
            # requestId it has seen (PAYMENT_EXISTS).
            "requestId": str(uuid.uuid4()),
            "requestTimestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "currency": payment.currency,
            "grosAmount": cents_to_euros(payment.amount_cents),
            # The Kassenzeichen is what the town hall's cash system matches the money with.
            "purpose": _clean(code, _NOT_IN_PURPOSE, PURPOSE_MAX),
            "description": _clean(payment.description, _NOT_IN_DESCRIPTION, DESCRIPTION_MAX),
            "redirectUrl": site_url(payment_return_url(payment)),
            "items": [
                {
                    "id": "1",
                    "reference": _clean(code, _NOT_IN_REFERENCE, REFERENCE_MAX, joiner="-"),
                    "description": _clean(
                        payment.description, _NOT_IN_DESCRIPTION, DESCRIPTION_MAX
                    ),
                    # Administrative fees (Verwaltungsgebühren) carry no VAT.
                    "taxRate": Decimal(0),
                    "quantity": 1,
                    "singleNetAmount": cents_to_euros(payment.amount_cents),
                    "singleTaxAmount": Decimal("0.00"),
                    "totalNetAmount": cents_to_euros(payment.amount_cents),
                    "totalTaxAmount": Decimal("0.00"),
                }
            ],
        }
        if cfg.callback_secret and cfg.notify_url_field:
            request[cfg.notify_url_field] = site_url(
                reverse("payments:provider_callback", kwargs={"provider_key": self.key})
            )
        what = f"new transaction for payment {payment.uuid}"
        response = api.send("POST", api.transaction_url(), body=json_dumps(request))
        if response.status_code not in (200, 201):
            raise _refused(response, what)
        report = _read(response, what)
        if not report.redirect_url.startswith(("https://", "http://")):
            raise _unavailable(f"{what}: no transactionRedirectUrl", level=logging.ERROR)
        old_reference = payment.provider_reference
        # Only if no other request has recorded a session meanwhile (two tabs): every URL a
        # citizen is sent to is the recorded one, so that its callback finds the payment.
        recorded = Payment.objects.filter(pk=payment.pk, provider_reference=old_reference).update(
            provider_reference=report.transaction_id,
            provider_url=report.redirect_url,
            updated_at=timezone.now(),
        )
        if not recorded:
            payment.refresh_from_db(fields=["provider_reference", "provider_url", "updated_at"])
            logger.info(
                "payment %s: another request opened a session first; transaction %s unused",
                payment.uuid,
                report.transaction_id,
            )
            return payment.provider_url
        payment.provider_reference = report.transaction_id
        payment.provider_url = report.redirect_url
        logger.info(
            "payment %s (Kassenzeichen %s, %s cents): XBezahldienste transaction %s opened",
            payment.uuid,
            code,
            payment.amount_cents,
            report.transaction_id,
        )
        return report.redirect_url

    # ------------------------------------------------------------------ polling

    def fetch_status(self, payment: Payment) -> PaymentStatus | None:
        if not payment.provider_reference:
            return None
        what = f"status of transaction {payment.provider_reference}"
        try:
            with _Api(self._config()) as api:
                response = api.send("GET", api.transaction_url(payment.provider_reference))
                if response.status_code != 200:
                    raise _refused(response, what)
                report = _read(response, what)
        except PaymentProviderUnavailable:
            return None  # logged; the next refresh asks again
        return self._checked_status(payment, report, via="fetch_status")

    # ------------------------------------------------------------------ callbacks

    def handle_callback(self, request) -> CallbackResult:
        secret = str(getattr(settings, "XBEZAHLDIENSTE_CALLBACK_SECRET", "") or "")
        if not secret:
            logger.error(
                "XBezahldienste callback refused: XBEZAHLDIENSTE_CALLBACK_SECRET is not set, "
                "so callbacks are off (the status is still polled)"
            )
            return CallbackResult(CallbackOutcome.FORBIDDEN, reason="callbacks_off")
        body = request.body
        given = request.META.get("HTTP_X_XBEZAHLDIENSTE_SIGNATURE", "")
        if not signature_matches(secret, body, given):
            logger.warning(
                "XBezahldienste callback from %s refused: %s signature (%d bytes)",
                request.META.get("REMOTE_ADDR", "?"),
                "wrong" if given else "no",
                len(body),
            )
            return CallbackResult(CallbackOutcome.FORBIDDEN, reason="signature")
        try:
            report = parse_transaction(json.loads(body, parse_float=Decimal))
        except (ValueError, InvalidOperation, RecursionError) as error:
            logger.warning("XBezahldienste callback unreadable: %s", str(error)[:200])
            return CallbackResult(CallbackOutcome.MALFORMED, reason="malformed")
        payment = _payment_of_transaction(report.transaction_id)
        if payment is None:
            logger.warning(
                "XBezahldienste callback for unknown transaction %s (%s)",
                report.transaction_id,
                report.status,
            )
            return CallbackResult(CallbackOutcome.UNKNOWN_PAYMENT, reason="unknown_transaction")
        status = self._checked_status(payment, report, via="callback")
        if status is None:
            return CallbackResult(CallbackOutcome.IGNORED, payment, reason="amount_mismatch")
        return self._record(payment, status, detail=f"XBezahldienste meldet {report.status}.")

    # ------------------------------------------------------------------ shared

    def _config(self) -> Config:
        cfg = config()
        problems = cfg.problems()
        if problems:
            raise _unavailable("not configured: " + " ".join(problems), level=logging.ERROR)
        return cfg

    def _checked_status(
        self, payment: Payment, report: TransactionReport, *, via: str
    ) -> PaymentStatus | None:
        """Our status for the service's report, or ``None`` when the report does not
        belong to the payment as we know it (logged at ERROR: an operator must look)."""
        problem = ""
        if report.transaction_id != payment.provider_reference:
            problem = f"is about transaction {report.transaction_id}"
        elif report.currency and report.currency != payment.currency:
            problem = f"is in {report.currency}, the payment in {payment.currency}"
        elif report.amount_cents is None and report.status == "PAYED":
            problem = "gives no amount (paymentRequest.grosAmount)"
        elif report.amount_cents is not None and report.amount_cents != payment.amount_cents:
            problem = (
                f"is over {report.amount_cents} cents, the payment over {payment.amount_cents}"
            )
        if problem:
            logger.error(
                "payment %s: XBezahldienste %s report %s %s; not recorded",
                payment.uuid,
                via,
                report.status,
                problem,
            )
            return None
        return STATUS_MEANING[report.status]

    def _record(self, payment: Payment, status: PaymentStatus, *, detail: str) -> CallbackResult:
        if payment.status == status:
            # The usual repeat: nothing to write, no row to lock.
            return CallbackResult(CallbackOutcome.HANDLED, payment, reason="duplicate")
        late = status == PaymentStatus.PAID and payment.status in LATE_PAYMENT_FROM
        try:
            transition(payment, status, source=TransitionSource.PROVIDER, detail=detail)
        except PaymentTransitionError:
            logger.info(
                "payment %s: XBezahldienste reports %s after %s; ignored (out of order)",
                payment.uuid,
                status,
                payment.status,
            )
            return CallbackResult(CallbackOutcome.IGNORED, payment, reason="out_of_order")
        if late:
            # Money for a payment we had given up (the citizen started again elsewhere, or
            # the confirmation came late). It counts as paid all the same; if the purpose
            # is now paid twice, the cash office refunds one (selectors.references_overpaid).
            logger.warning(
                "LATE PAYMENT: payment %s (Kassenzeichen %s, %s cents) paid at XBezahldienste "
                "(transaction %s) after it was cancelled or failed here; check for a double "
                "payment",
                payment.uuid,
                _kassenzeichen(payment),
                payment.amount_cents,
                payment.provider_reference,
            )
        return CallbackResult(CallbackOutcome.HANDLED, payment)

    def check_configuration(self) -> list[checks.CheckMessage]:
        cfg = config()
        found = [
            checks.Error(problem, id="payments.E003", hint="See docs/payments-xbezahldienste.md.")
            for problem in cfg.problems()
        ]
        if not cfg.callback_secret:
            found.append(
                checks.Warning(
                    "XBEZAHLDIENSTE_CALLBACK_SECRET is not set: callbacks are refused and "
                    "payments are only seen as paid when their status is asked for.",
                    hint="Agree a random secret (32+ bytes) with the payment service.",
                    id="payments.W002",
                )
            )
        return found


def _payment_of_transaction(transaction_id: str) -> Payment | None:
    """The payment of the service's ``transaction_id`` (unique at the service, so one at
    most), found through the index on (provider, provider_reference), with the fields a
    callback and the receivers of ``payment_status_changed`` read; others load on access."""
    # This query runs for every callback, repeats included. Raw, because building it with
    # the ORM costs more CPU than running it (0.5 against 0.2 ms, bench/README.md,
    # "Callbacks"); no ordering, no join.
    found = Payment.objects.raw(
        "SELECT id, uuid, purpose, reference_id, amount_cents, currency, status, "
        "provider_reference, paid_at FROM payments_payment "
        "WHERE provider = %s AND provider_reference = %s LIMIT 1",
        [XBezahldiensteProvider.key, transaction_id],
    )
    return next(iter(found), None)


def _kassenzeichen(payment: Payment) -> str:
    """The payment's Kassenzeichen; its own id for payments made before there were any."""
    return payment.reference.code if payment.reference_id else payment.uuid.hex


def signature_matches(secret: str, body: bytes, given: str) -> bool:
    """Whether ``given`` (``sha256=<hex>``) is the HMAC-SHA256 of ``body`` under
    ``secret``, compared in constant time."""
    expected = SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body`` (what the service sends; used by the tests,
    the stand-in server and the benchmark)."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
