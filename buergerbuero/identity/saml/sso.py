"""Logging in and out over SAML: the steps behind the views.

1. :func:`authn_request_start` — a signed AuthnRequest with BundID's extension and the
   minimum trust level; remembered on this browser's session.
2. The IdP posts the response to the ACS *cross-site*: the session cookie (SameSite=Lax)
   does not come along. :func:`response_park` keeps the raw response for a few minutes
   under a random token and the view redirects (303) to a same-site GET.
3. :func:`login_finish` — with the session again: pysaml2 checks signature, decryption,
   InResponseTo against this session's requests, audience, validity window; then the
   replay cache, the issuer, the trust level overall and per attribute; then
   :func:`~buergerbuero.identity.services.external_login`.

Every refusal raises :class:`~.refusals.SamlRefused` and is logged with its reason code.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, class_name
from saml2.ident import code, decode
from saml2.response import StatusError, UnsolicitedResponse
from saml2.saml import AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext
from saml2.sigver import (
    CertificateError,
    DecryptError,
    MissingKey,
    SignatureError,
    pre_signature_part,
    signed_instance_factory,
    verify_redirect_signature,
)
from saml2.validate import ResponseLifetimeExceed, ToEarly

from buergerbuero.notifications.zbp.services import mailbox_handle_remember

from ..services import ExternalLoginRefused, LinkConfirmationRequired, external_login
from ..trust import STORK_QAA, LoginMethod, TrustLevel, level_from_stork
from . import akdb
from .config import (
    DEV,
    DIGEST_SHA256,
    identity_provider,
    identity_providers,
    signing_algorithm,
    sp_client,
)
from .crypto import SIG_RSA_SHA256
from .refusals import SamlRefused
from .replay import assertion_first_use

logger = logging.getLogger("buergerbuero.identity")

SESSION_REQUESTS = "saml.requests"  # AuthnRequest ID -> {next, level, idp, at}
SESSION_ANSWERED = "saml.answered"  # AuthnRequest IDs already answered (replays)
SESSION_LOGIN = "saml.login"  # {idp, name_id, session_index}: for single logout
SESSION_LOGOUT = "saml.logout"  # {id, next}: our LogoutRequest waiting for its answer
REQUEST_SECONDS = 15 * 60  # how long a citizen may take at the IdP
PARK_SECONDS = 5 * 60
PARKED_PER_CLIENT = 30  # responses one client address may park per PARK_SECONDS
PARKED_MAX_BYTES = 128 * 1024  # real responses, encrypted and signed, stay below 20 KiB
OPEN_REQUESTS_MAX = 5


@dataclass(frozen=True)
class PostForm:
    """A message the browser posts to another party (HTTP-POST binding)."""

    url: str
    fields: dict[str, str]


def safe_next(request, next_url: str | None) -> str:
    """``next`` if it stays on this site, else the citizen's office."""
    from django.urls import reverse

    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse(settings.LOGIN_REDIRECT_URL)


def _for_browser(url: str, idp_key: str) -> str:
    # The development IdP lives in this process: the browser reaches it on whatever host
    # and port it uses now, which SITE_URL need not name (the browser tests' server).
    if idp_key != DEV:
        return url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _display_name() -> str:
    if settings.SAML_ORGANIZATION_DISPLAY_NAME:
        return settings.SAML_ORGANIZATION_DISPLAY_NAME
    from buergerbuero.core.selectors import municipality_get

    return municipality_get().name


# -- 1. AuthnRequest ----------------------------------------------------------------------


def authn_request_start(request, *, idp_key: str, next_url: str, level: TrustLevel) -> PostForm:
    endpoints = identity_provider(idp_key)
    if endpoints is None:
        raise LookupError(idp_key)
    client = sp_client()
    destination = endpoints.sso_url
    if not destination:
        known = client.metadata.single_sign_on_service(endpoints.entity_id, BINDING_HTTP_POST)
        destination = known[0]["location"] if known else ""
    request_id, authn_request = client.create_authn_request(
        destination,
        binding=BINDING_HTTP_POST,
        extensions=akdb.authentication_request(
            display_name=_display_name(), online_service_id=settings.SAML_ONLINE_SERVICE_ID
        ),
        requested_authn_context=RequestedAuthnContext(
            authn_context_class_ref=[AuthnContextClassRef(text=STORK_QAA[level])],
            comparison="minimum",
        ),
        sign=False,
    )
    # Signed here rather than by pysaml2, which allows no RSASSA-PSS; the routed backend
    # signs rsa-sha256 with xmlsec1 and RSASSA-PSS with the python binding.
    authn_request.signature = pre_signature_part(
        authn_request.id,
        client.sec.my_cert,
        1,
        sign_alg=signing_algorithm(),
        digest_alg=DIGEST_SHA256,
    )
    xml = signed_instance_factory(
        authn_request, client.sec, [(class_name(authn_request), authn_request.id)]
    )
    requests = _open_requests(request)
    requests[request_id] = {
        "next": next_url,
        "level": level.value,
        "idp": idp_key,
        "at": time.time(),
    }
    while len(requests) > OPEN_REQUESTS_MAX:
        requests.pop(min(requests, key=lambda key: requests[key]["at"]))
    request.session[SESSION_REQUESTS] = requests
    logger.info("saml authn request idp=%s level=%s", idp_key, level.value)
    return PostForm(
        url=_for_browser(destination, idp_key),
        fields={"SAMLRequest": base64.b64encode(xml.encode("utf-8")).decode("ascii")},
    )


def _open_requests(request) -> dict:
    now = time.time()
    return {
        key: value
        for key, value in (request.session.get(SESSION_REQUESTS) or {}).items()
        if now - value.get("at", 0) < REQUEST_SECONDS
    }


# -- 2. Parking the cross-site POST -------------------------------------------------------


def response_park(saml_response: str, *, client: str) -> str:
    """Keep the raw SAMLResponse for a few minutes; returns the token to fetch it with.

    The endpoint needs no login (the IdP posts cross-site), so what one client address may
    park is capped: a citizen logs in a few times an hour, not dozens of times in minutes.
    """
    if not saml_response or len(saml_response) > PARKED_MAX_BYTES:
        raise SamlRefused("invalid", "empty or oversized SAMLResponse")
    counter = f"saml.acs.count.{client}"
    cache.add(counter, 0, PARK_SECONDS)
    if cache.incr(counter) > PARKED_PER_CLIENT:
        limit = f"more than {PARKED_PER_CLIENT} responses in {PARK_SECONDS} s"
        raise SamlRefused("too_many", limit)
    try:
        base64.b64decode(saml_response, validate=False)
    except (binascii.Error, ValueError) as error:
        raise SamlRefused("invalid", "SAMLResponse is not base64") from error
    token = secrets.token_urlsafe(24)
    cache.set(f"saml.acs.{token}", saml_response, PARK_SECONDS)
    return token


# -- 3. Finishing the login ---------------------------------------------------------------


def _classify(error: Exception) -> str:
    if isinstance(error, ResponseLifetimeExceed | ToEarly):
        return "expired"
    if isinstance(error, UnsolicitedResponse):
        return "unsolicited"
    if isinstance(error, SignatureError | MissingKey | CertificateError):
        return "signature"
    if isinstance(error, DecryptError):
        return "decrypt"
    if isinstance(error, StatusError):
        return "status"
    if "AudienceRestrictions" in str(error)[:200]:
        return "audience"
    if "IncorrectlySigned" in type(error).__name__:
        return "signature"
    return "invalid"


def _status_reason(error: StatusError) -> str:
    name = type(error).__name__
    if name in {"StatusAuthnFailed", "StatusRequestDenied", "StatusNoPassive"}:
        return "cancelled"
    if name == "StatusNoAuthnContext":
        return "no_level"
    return "idp_error"


def login_finish(request, token: str) -> str:
    """Check the parked response against this session and log the person in. Returns
    where to go next; raises :class:`SamlRefused`."""
    saml_response = cache.get(f"saml.acs.{token}") if token else None
    cache.delete(f"saml.acs.{token}")
    if not saml_response:
        raise SamlRefused("missing", "no parked response for this token (expired or used)")
    requests = _open_requests(request)
    answered = dict(request.session.get(SESSION_ANSWERED) or {})
    outstanding = {key: value["next"] for key, value in {**answered, **requests}.items()}
    client = sp_client()
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding=outstanding
        )
    except StatusError as error:
        entry = _entry_for_status(saml_response, requests)
        raise SamlRefused(
            _status_reason(error),
            f"IdP status {type(error).__name__}",
            next_url=entry.get("next", "/"),
            level=entry.get("level", ""),
        ) from error
    except Exception as error:  # pysaml2 signals most failures with plain exceptions
        entry = _entry_for_status(saml_response, requests)
        raise SamlRefused(
            _classify(error),
            f"pysaml2 {type(error).__name__}",
            next_url=entry.get("next", "/"),
            level=entry.get("level", ""),
        ) from error
    if response is None or response.assertion is None:
        raise SamlRefused("invalid", "no assertion in response")

    request_id = response.in_response_to
    entry = requests.get(request_id) or answered.get(request_id)
    if entry is None:
        latest = _entry_for_status(saml_response, requests)
        raise SamlRefused(
            "unsolicited",
            "InResponseTo matches no request of this session",
            next_url=latest.get("next", "/"),
            level=latest.get("level", ""),
        )
    next_url, level_requested = entry["next"], TrustLevel(entry["level"])
    context = {"next_url": next_url, "level": level_requested.value}

    issuer = response.response.issuer.text.strip() if response.response.issuer is not None else ""
    assertion = response.assertion
    assertion_issuer = assertion.issuer.text.strip() if assertion.issuer is not None else issuer
    endpoints = identity_provider(entry["idp"])
    if (
        endpoints is None
        or endpoints.entity_id not in {issuer, assertion_issuer}
        or (issuer and assertion_issuer != issuer)
    ):
        raise SamlRefused("signature", "issuer is not the IdP this request went to", **context)

    expires_at = _assertion_expiry(assertion)
    if (
        not assertion_first_use(
            assertion_id=assertion.id, issuer=assertion_issuer, expires_at=expires_at
        )
        or request_id in answered
    ):
        raise SamlRefused("replay", "assertion ID already used", **context)

    delivered = _delivered_level(assertion)
    released = akdb.ReleasedAttributes.from_assertion(assertion)
    qaa_attribute = level_from_stork(released.first(akdb.CITIZEN_QAA_LEVEL))
    if delivered is None:
        raise SamlRefused("level", "no known STORK-QAA AuthnContextClassRef", **context)
    if qaa_attribute is not None and qaa_attribute.rank < delivered.rank:
        delivered = qaa_attribute  # the two disagree: believe the lower
    if not delivered.satisfies(level_requested):
        raise SamlRefused(
            "level", f"delivered={delivered.value} requested={level_requested.value}", **context
        )
    weak = released.too_weak(level_requested)
    if weak:
        raise SamlRefused(
            "attribute_level",
            f"attributes below {level_requested.value}: {','.join(sorted(weak))}",
            **context,
        )
    subject = released.first(akdb.BPK2)
    if not subject:
        raise SamlRefused("incomplete", "no bPK2 attribute", **context)

    idp_key = entry["idp"]
    method = LoginMethod.DEV_IDP if idp_key == DEV else LoginMethod.BUNDID
    link_pending = False
    try:
        user = external_login(
            request,
            method=method,
            provider=assertion_issuer,
            subject=subject,
            level=delivered,
            person=released.person(),
            has_inbox=bool(released.first(akdb.POSTKORB_HANDLE)),
            attribute_levels=released.attribute_levels(),
        )
    except LinkConfirmationRequired:
        # Someone else's account may still be logged in here: ask before linking. (The
        # postbox handle is remembered at the next login after the link.)
        link_pending, user = True, request.user
    except ExternalLoginRefused as error:
        raise SamlRefused(
            "account", type(error).__name__, message=error.message, **context
        ) from error
    if method == LoginMethod.BUNDID and not link_pending:
        # Where BundID delivers notices: the postbox handle (empty for guests).
        mailbox_handle_remember(
            identity=user.external_identities.get(
                method=method, provider=assertion_issuer, subject=subject
            ),
            handle=released.first(akdb.POSTKORB_HANDLE) or "",
        )

    # The session may be a new one now (Django cycles it at login): write afresh.
    requests.pop(request_id, None)
    answered[request_id] = entry
    request.session[SESSION_REQUESTS] = requests
    request.session[SESSION_ANSWERED] = dict(list(answered.items())[-OPEN_REQUESTS_MAX:])
    session_index = ""
    if assertion.authn_statement:
        session_index = assertion.authn_statement[0].session_index or ""
    name_id = response.name_id
    if name_id is not None:
        request.session[SESSION_LOGIN] = {
            "idp": assertion_issuer,
            "idp_key": idp_key,
            "name_id": code(name_id),
            "session_index": session_index,
        }
        request.session.save()
        _session_index_add(assertion_issuer, name_id.text or "", request.session.session_key)
    logger.info(
        "saml login user=%s idp=%s level=%s requested=%s%s",
        user.pk,
        idp_key,
        delivered.value,
        level_requested.value,
        " (link waits for confirmation)" if link_pending else "",
    )
    if link_pending:
        return f"{reverse('identity:link_confirm')}?{urlencode({'next': next_url})}"
    return next_url


def _entry_for_status(saml_response: str, requests: dict) -> dict:
    """The request of this session a refused response names, for the way back only (the
    response is not trusted for anything else)."""
    from .crypto import parse_xml

    try:
        root = parse_xml(base64.b64decode(saml_response))
    except Exception:
        root = None
    named = requests.get(root.get("InResponseTo", ""), {}) if root is not None else {}
    if named or not requests:
        return named
    return max(requests.values(), key=lambda entry: entry["at"])  # the latest of this browser


def _assertion_expiry(assertion) -> dt.datetime:
    moments = []
    if assertion.conditions is not None and assertion.conditions.not_on_or_after:
        moments.append(assertion.conditions.not_on_or_after)
    for confirmation in getattr(assertion.subject, "subject_confirmation", None) or []:
        data = confirmation.subject_confirmation_data
        if data is not None and data.not_on_or_after:
            moments.append(data.not_on_or_after)
    skew = dt.timedelta(seconds=settings.SAML_CLOCK_SKEW)
    parsed = []
    for moment in moments:
        try:
            parsed.append(dt.datetime.fromisoformat(moment.replace("Z", "+00:00")))
        except ValueError:
            continue
    return (max(parsed) if parsed else timezone.now() + dt.timedelta(hours=1)) + skew


def _delivered_level(assertion) -> TrustLevel | None:
    levels = []
    for statement in assertion.authn_statement or []:
        context = statement.authn_context
        if context is not None and context.authn_context_class_ref is not None:
            levels.append(level_from_stork(context.authn_context_class_ref.text))
    if not levels or None in levels:
        return None
    return min(levels, key=lambda level: level.rank)


# -- Single logout --------------------------------------------------------------------------


def _index_key(idp: str, name_id: str) -> str:
    return "saml.slo." + hashlib.sha256(f"{idp}\n{name_id}".encode()).hexdigest()


def _session_index_add(idp: str, name_id: str, session_key: str | None) -> None:
    if not session_key:
        return
    key = _index_key(idp, name_id)
    keys = [k for k in (cache.get(key) or []) if k != session_key][-9:] + [session_key]
    cache.set(key, keys, settings.SESSION_COOKIE_AGE)


def logout_start(request, *, next_url: str) -> str:
    """Log out here, and if the login came by SAML ask the IdP to end its session too.
    Returns where the browser goes: the IdP's logout endpoint or ``next_url``."""
    info = request.session.get(SESSION_LOGIN)
    logout(request)
    if not info:
        return next_url
    endpoints = identity_provider(info.get("idp_key", ""))
    client = sp_client()
    destination = endpoints.slo_url if endpoints else ""
    if not destination:
        known = client.metadata.single_logout_service(info["idp"], BINDING_HTTP_REDIRECT, "idpsso")
        destination = known[0]["location"] if known else ""
    if not destination:
        logger.warning(
            "saml logout: no SLO endpoint for idp=%s, local logout only", info.get("idp_key")
        )
        return next_url
    request_id, logout_request = client.create_logout_request(
        destination,
        issuer_entity_id=info["idp"],
        name_id=decode(info["name_id"]),
        session_indexes=[info["session_index"]] if info.get("session_index") else None,
        sign=False,
    )
    http = client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(logout_request),
        destination,
        relay_state="",
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    request.session[SESSION_LOGOUT] = {"id": request_id, "next": next_url}
    logger.info("saml logout request idp=%s", info.get("idp_key"))
    return _for_browser(dict(http["headers"])["Location"], info.get("idp_key", ""))


def logout_response_finish(request, saml_response: str, binding: str) -> str:
    """The IdP answered our LogoutRequest. We are logged out locally already; the answer
    only tells where to go. Returns the next URL."""
    pending = request.session.pop(SESSION_LOGOUT, None) or {}
    client = sp_client()
    try:
        response = client.parse_logout_request_response(saml_response, binding)
    except Exception as error:
        logger.warning("saml logout response unreadable: %s", type(error).__name__)
        return pending.get("next", "/")
    if response is None or response.in_response_to != pending.get("id"):
        logger.warning("saml logout response answers no pending logout of this session")
    else:
        logger.info("saml logout confirmed by idp")
    return pending.get("next", "/")


def logout_request_handle(
    request,
    *,
    binding: str,
    saml_request: str,
    relay_state: str = "",
    sigalg: str = "",
    signature: str = "",
) -> str:
    """The IdP asks us to end a person's sessions (they logged out at the IdP). Checks the
    signature, ends every session of that NameID, and returns the URL of our signed
    LogoutResponse (HTTP-Redirect) for the browser."""
    client = sp_client()
    try:
        parsed = client.parse_logout_request(saml_request, binding, relay_state=relay_state)
    except Exception as error:
        raise SamlRefused("signature", f"LogoutRequest: {type(error).__name__}") from error
    if parsed is None:
        raise SamlRefused("invalid", "LogoutRequest unreadable")
    message = parsed.message
    issuer = message.issuer.text.strip() if message.issuer is not None else ""
    idp_key = next((key for key, e in identity_providers().items() if e.entity_id == issuer), None)
    if idp_key is None:
        raise SamlRefused("signature", "LogoutRequest from an unknown issuer")
    if binding == BINDING_HTTP_POST:
        signed = message.signature is not None  # pysaml2 verified it when present
    else:
        signed = bool(sigalg and signature) and _redirect_signature_ok(
            client, issuer, saml_request, relay_state, sigalg, signature
        )
    if not signed:
        raise SamlRefused("signature", "LogoutRequest not signed")
    name_id = message.name_id.text if message.name_id is not None else ""
    ended = _sessions_end(issuer, name_id)
    current = request.session.get(SESSION_LOGIN) or {}
    if current.get("idp") == issuer and decode(current.get("name_id", "")).text == name_id:
        logout(request)
        ended += 1
    logger.info("saml idp-initiated logout idp=%s sessions_ended=%s", idp_key, ended)
    response = client.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
    endpoints = identity_provider(idp_key)
    destination = endpoints.slo_url if endpoints and endpoints.slo_url else ""
    if not destination:
        known = client.metadata.single_logout_service(issuer, BINDING_HTTP_REDIRECT, "idpsso")
        destination = known[0]["location"] if known else ""
    http = client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        destination,
        relay_state=relay_state,
        response=True,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    return _for_browser(dict(http["headers"])["Location"], idp_key)


def _redirect_signature_ok(client, issuer, saml_request, relay_state, sigalg, signature) -> bool:
    message = {"SAMLRequest": saml_request, "SigAlg": sigalg, "Signature": signature}
    if relay_state:
        message["RelayState"] = relay_state
    certs = client.metadata.certs(issuer, "any", "signing")
    return any(
        verify_redirect_signature(message, client.sec.sec_backend, cert) for _n, cert in certs
    )


def _sessions_end(idp: str, name_id: str) -> int:
    key = _index_key(idp, name_id)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for session_key in cache.get(key) or []:
        store(session_key=session_key).delete()
        ended += 1
    cache.delete(key)
    return ended
