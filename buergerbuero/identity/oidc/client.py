"""The relying party side of an OpenID Connect login: authorization code flow with PKCE.

:func:`authorization_start` returns the provider's authorization URL and keeps what the
return needs (state, nonce, PKCE verifier, where to go next, the level needed) in the
session; :func:`authorization_finish` takes the provider's answer, exchanges the code,
verifies the ID token and returns what it proves — or raises :class:`OidcRefused` with a
German message for the citizen and a reason for the log.

What is checked: ``state`` (known to this session, not expired, used once), the issuer of
the discovery document, the ID token's signature against the provider's JWKS (asymmetric
algorithms only), ``iss``, ``aud`` (and ``azp``), ``exp``, ``iat`` (not in the future, not
older than :data:`ID_TOKEN_MAX_AGE`), ``nonce`` and ``at_hash``; the userinfo ``sub``
must equal the ID token's. authlib speaks the protocol (discovery, PKCE S256, client
authentication, the token request); joserfc verifies the JWT.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App
from authlib.integrations.django_client.integration import DjangoIntegration
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from ..trust import TrustLevel
from .providers import Provider

logger = logging.getLogger("buergerbuero.identity")

# Signature algorithms accepted for ID tokens: asymmetric only (never "none" or HS256 keyed
# with the client secret), whatever the discovery document offers.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
CLOCK_LEEWAY = 60  # seconds of clock difference tolerated on exp / iat
ID_TOKEN_MAX_AGE = 600  # an ID token from a code just exchanged is fresh
FLOW_MAX_AGE = 900  # seconds a citizen may spend at the provider
FLOWS_KEPT = 5  # pending logins per session (several tabs); the oldest is dropped
METADATA_MAX_AGE = 3600  # discovery and JWKS are read again after this

SESSION_FLOWS = "identity.oidc.flows"


class OidcRefused(Exception):
    """The login did not prove an identity. ``message`` is for the citizen (German),
    ``reason`` and ``detail`` for the log (no tokens, no personal data)."""

    def __init__(self, reason: str, message, detail: str = "", status: int = 400):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.message = message
        self.detail = detail
        self.status = status


MESSAGE_UNAVAILABLE = _(
    "Der Anmeldedienst ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut "
    "oder wählen Sie einen anderen Anmeldeweg."
)
MESSAGE_STATE = _(
    "Diese Anmeldung ist abgelaufen oder wurde in einem anderen Browser begonnen. Bitte "
    "starten Sie die Anmeldung erneut."
)
MESSAGE_TOKEN = _(
    "Die Antwort des Anmeldedienstes konnte nicht als echt und aktuell bestätigt werden. "
    "Aus Sicherheitsgründen wurden Sie nicht angemeldet. Bitte versuchen Sie es erneut."
)
MESSAGE_DENIED = _(
    "Die Anmeldung wurde beim Anmeldedienst abgebrochen oder nicht freigegeben. Sie wurden "
    "nicht angemeldet."
)
MESSAGE_PROVIDER_ERROR = _(
    "Der Anmeldedienst hat die Anmeldung mit einem Fehler beendet. Sie wurden nicht "
    "angemeldet. Bitte versuchen Sie es erneut."
)


@dataclass(frozen=True)
class OidcLogin:
    """What a finished login proves."""

    provider: Provider
    subject: str
    level: TrustLevel  # mapped from the level claim, capped at the provider's maximum
    level_value: str  # the raw claim value, for the log
    required_level: TrustLevel
    next_url: str
    claims: dict = field(repr=False)  # ID token claims, completed by userinfo


# -- the authlib client per provider -------------------------------------------------------

_apps: dict[Provider, DjangoOAuth2App] = {}


def _app(provider: Provider) -> DjangoOAuth2App:
    """authlib's client for ``provider``, with its discovery document loaded and checked.
    Kept per configuration for :data:`METADATA_MAX_AGE` (tests change the settings)."""
    app = _apps.get(provider)
    if (
        app is not None
        and time.time() - app.server_metadata.get("_loaded_at", 0) < METADATA_MAX_AGE
    ):
        return app
    app = DjangoOAuth2App(
        DjangoIntegration(f"oidc-{provider.name}"),
        name=f"oidc-{provider.name}",
        client_id=provider.client_id,
        client_secret=provider.client_secret or None,
        server_metadata_url=provider.discovery_url,
        client_kwargs={
            "scope": " ".join(provider.scopes),
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": (
                "client_secret_basic" if provider.client_secret else "none"
            ),
            "default_timeout": settings.OIDC_HTTP_TIMEOUT,
        },
    )
    try:
        metadata = app.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise _unavailable(provider, f"discovery: {exc.__class__.__name__}") from exc
    if metadata.get("issuer") != provider.issuer:
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer.
        raise _unavailable(provider, "discovery names another issuer")
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not metadata.get(endpoint):
            raise _unavailable(provider, f"discovery lacks {endpoint}")
    if len(_apps) > 50:  # configurations that are gone (tests): let them go
        _apps.clear()
    _apps[provider] = app
    return app


def _unavailable(provider: Provider, detail: str) -> OidcRefused:
    return OidcRefused("unavailable", MESSAGE_UNAVAILABLE, detail, status=502)


def provider_acr_supported(provider: Provider, acr: str) -> bool:
    """Whether the provider's discovery document lists ``acr`` in acr_values_supported."""
    return acr in (_app(provider).server_metadata.get("acr_values_supported") or [])


# -- start ---------------------------------------------------------------------------------


def authorization_start(
    request, provider: Provider, *, redirect_uri: str, next_url: str, level: TrustLevel
) -> str:
    """The URL of the provider's authorization endpoint for this login; the session keeps
    what :func:`authorization_finish` will check."""
    app = _app(provider)
    extra = {}
    acr = provider.acr_value_for(level) if level != TrustLevel.LOW else None
    if acr and provider_acr_supported(provider, acr):
        extra["acr_values"] = acr
    language = getattr(request, "LANGUAGE_CODE", "") or settings.LANGUAGE_CODE
    extra["ui_locales"] = language
    authorization = app.create_authorization_url(redirect_uri, **extra)
    flows = {
        state: flow
        for state, flow in (request.session.get(SESSION_FLOWS) or {}).items()
        if flow.get("expires", 0) > time.time()
    }
    flows[authorization["state"]] = {
        "provider": provider.name,
        "redirect_uri": redirect_uri,
        "code_verifier": authorization["code_verifier"],
        "nonce": authorization["nonce"],
        "next": next_url,
        "level": level.value,
        "expires": time.time() + FLOW_MAX_AGE,
    }
    newest = sorted(flows.items(), key=lambda item: item[1]["expires"])[-FLOWS_KEPT:]
    request.session[SESSION_FLOWS] = dict(newest)
    return authorization["url"]


# -- return --------------------------------------------------------------------------------


def flow_pop(request, provider: Provider) -> dict | None:
    """The pending login the provider's answer belongs to (by ``state``), removed from the
    session so that it is used once; None when unknown, expired or for another provider."""
    state = request.GET.get("state") or ""
    flows = dict(request.session.get(SESSION_FLOWS) or {})
    flow = flows.pop(state, None) if state else None
    if flow is not None:
        request.session[SESSION_FLOWS] = flows
    if flow is None or flow.get("provider") != provider.name:
        return None
    if flow.get("expires", 0) <= time.time():
        return None
    return flow


def authorization_finish(request, provider: Provider, flow: dict | None) -> OidcLogin:
    """Check the provider's answer to the pending login ``flow`` (see :func:`flow_pop`)."""
    error = request.GET.get("error")
    if error:
        message = (
            MESSAGE_DENIED
            if error in ("access_denied", "login_required")
            else MESSAGE_PROVIDER_ERROR
        )
        raise OidcRefused(
            "provider_error", message, f"error={re.sub(r'[^A-Za-z0-9_.-]', '?', error)[:60]}"
        )
    if flow is None:
        raise OidcRefused("state", MESSAGE_STATE, "unknown, used or expired state")
    code = request.GET.get("code")
    if not code:
        raise OidcRefused("provider_error", MESSAGE_PROVIDER_ERROR, "answer without code")
    returned_iss = request.GET.get("iss")
    if returned_iss and returned_iss != provider.issuer:
        # RFC 9207: an answer from another provider (mix-up attack).
        raise OidcRefused("token", MESSAGE_TOKEN, "iss parameter of another issuer")

    app = _app(provider)
    try:
        token = app.fetch_access_token(
            redirect_uri=flow["redirect_uri"], code=code, code_verifier=flow["code_verifier"]
        )
    except OAuthError as exc:
        if exc.error == "invalid_client":  # the portal's client ID or secret is wrong
            raise _unavailable(provider, "token endpoint: invalid_client") from exc
        raise OidcRefused("token", MESSAGE_TOKEN, f"token endpoint: {exc.error}") from exc
    except (requests.RequestException, ValueError) as exc:
        raise _unavailable(provider, f"token endpoint: {exc.__class__.__name__}") from exc
    if not token.get("id_token"):
        raise OidcRefused("token", MESSAGE_TOKEN, "token answer without id_token")

    claims = id_token_verify(app, provider, token, nonce=flow["nonce"])
    userinfo = _userinfo(app, provider, token, subject=claims["sub"])
    merged = {**userinfo, **claims}
    required = TrustLevel(flow["level"])
    return OidcLogin(
        provider=provider,
        subject=claims["sub"],
        level=provider.level_from_claims(claims, userinfo),
        level_value=provider.level_claim_value(claims, userinfo),
        required_level=required,
        next_url=flow["next"],
        claims=merged,
    )


def id_token_verify(app: DjangoOAuth2App, provider: Provider, token: dict, *, nonce: str) -> dict:
    """The claims of the token answer's ID token, after checking signature and claims."""
    registry = JWSRegistry(algorithms=ID_TOKEN_ALGORITHMS, strict_check_header=False)
    try:
        try:
            decoded = jwt.decode(
                token["id_token"], KeySet.import_key_set(app.fetch_jwk_set()), registry=registry
            )
        except InvalidKeyIdError:
            # The provider may have rolled its keys since we read the JWKS.
            keys = KeySet.import_key_set(app.fetch_jwk_set(force=True))
            decoded = jwt.decode(token["id_token"], keys, registry=registry)
        options = {
            "iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": provider.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        }
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options,
            {
                "nonce": nonce,
                "client_id": provider.client_id,
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(leeway=CLOCK_LEEWAY)
    except JoseError as exc:
        raise OidcRefused(
            "token", MESSAGE_TOKEN, f"id_token: {exc.__class__.__name__} {exc}"
        ) from exc
    except (requests.RequestException, ValueError) as exc:
        raise _unavailable(provider, f"jwks: {exc.__class__.__name__}") from exc
    if claims["iat"] < time.time() - ID_TOKEN_MAX_AGE - CLOCK_LEEWAY:
        raise OidcRefused("token", MESSAGE_TOKEN, "id_token: issued too long ago")
    return dict(claims)


def _userinfo(app: DjangoOAuth2App, provider: Provider, token: dict, *, subject: str) -> dict:
    if not provider.userinfo or not app.server_metadata.get("userinfo_endpoint"):
        return {}
    try:
        userinfo = dict(app.userinfo(token=token))
    except (requests.RequestException, ValueError) as exc:
        raise _unavailable(provider, f"userinfo: {exc.__class__.__name__}") from exc
    if userinfo.get("sub") != subject:
        # OpenID Connect Core 1.0, section 5.3.2: the answer may be for someone else.
        raise OidcRefused("token", MESSAGE_TOKEN, "userinfo for another sub")
    return userinfo
