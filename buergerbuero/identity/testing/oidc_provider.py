"""A stand-in OpenID Connect provider: a real HTTP server on 127.0.0.1 that signs real JWTs,
for the tests of the portal's OIDC login (docs/identity-oidc.md).

What it serves, like a Keycloak realm would:

- ``GET /.well-known/openid-configuration``: discovery (issuer = :attr:`OidcStandIn.issuer`).
- ``GET /jwks``: the public key (RSA 2048 for RS256, P-256 for ES256), generated at start.
- ``GET /authorize``: checks client_id, the registered redirect_uri, response_type=code,
  scope openid and a PKCE S256 challenge; approves the configured :attr:`user` at once
  (no login page) and redirects to redirect_uri with ``code``, ``state`` and ``iss``.
  Faulty requests are answered as RFC 6749 says (400, or a redirect with ``error``).
- ``POST /token``: client authentication (HTTP Basic, or client_secret_post; none for a
  public client), the code (known, unused, fresh), redirect_uri and the PKCE verifier;
  answers an opaque access token and a signed ID token (iss, sub, aud, exp, iat,
  auth_time, nonce, acr, at_hash, azp, plus the user's claims).
- ``GET /userinfo``: the user's claims for a valid bearer token.

What a test can set between requests: ``user`` (the claims), ``acr`` (None leaves it out),
``fault`` (one of :data:`FAULTS`), ``acr_values_supported``. What it records: ``authorize_
requests`` and ``token_requests`` (the parameters received, secrets left out)::

    def test_login(oidc_provider, client):
        oidc_provider.acr = "substantial"
        ...

The pytest fixture :func:`oidc_provider` starts it and makes it the portal's provider
``stadt`` (settings.OIDC_PROVIDERS) for the duration of a test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

PROVIDER_NAME = "stadt"
CLIENT_ID = "buergerbuero"
CLIENT_SECRET = "stand-in-secret"  # noqa: S105  (the stand-in's own test secret)
DEFAULT_REDIRECT_URI = f"http://testserver/anmelden/oidc/{PROVIDER_NAME}/rueckkehr/"

#: Deliberate faults: sign with a key not in the JWKS; an ID token that expired an hour
#: ago; one for another client; one with another nonce; one from another issuer; the
#: citizen declines at the provider (redirect with error=access_denied); the token
#: endpoint refuses the portal's client credentials.
FAULTS = (
    "wrong_key",
    "expired",
    "wrong_audience",
    "wrong_nonce",
    "wrong_issuer",
    "access_denied",
    "invalid_client",
)

DEFAULT_USER = {
    "sub": "f6b1c7d2-5a0e-4d0a-9c3e-2f8a1b7e4d10",
    "given_name": "Erika",
    "family_name": "Mustermann",
    "birthdate": "1964-08-12",
    "email": "erika.mustermann@example.org",
    "email_verified": True,
    "address": {"street_address": "Heidestraße 17", "postal_code": "51147", "locality": "Köln"},
}


class OidcStandIn:
    def __init__(
        self,
        *,
        alg: str = "RS256",
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        redirect_uris: tuple[str, ...] = (DEFAULT_REDIRECT_URI,),
    ):
        if alg not in ("RS256", "ES256"):
            raise ValueError("the stand-in signs with RS256 or ES256")
        self.alg = alg
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = set(redirect_uris)
        self.user: dict = json.loads(json.dumps(DEFAULT_USER))
        self.acr: str | None = "1"
        self.fault: str | None = None
        self.acr_values_supported = ["0", "1", "low", "substantial", "high"]
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.kid = secrets.token_hex(8)
        self.key = self._new_key(self.kid)
        self._codes: dict[str, dict] = {}
        self._tokens: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _new_key(self, kid: str):
        parameters = {"kid": kid, "use": "sig", "alg": self.alg}
        if self.alg == "ES256":
            return ECKey.generate_key("P-256", parameters=parameters)
        return RSAKey.generate_key(2048, parameters=parameters)

    # -- life cycle ----------------------------------------------------------------------

    def __enter__(self) -> OidcStandIn:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"provider": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def issuer(self) -> str:
        assert self._server is not None, "start the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/realms/stadt"

    def provider_settings(self, **overrides) -> dict:
        """The portal's configuration of this provider (one entry of OIDC_PROVIDERS)."""
        config = {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "label": "Mit Stadt-Konto anmelden",
            "description": "Mit dem Konto, das Sie bei der Stadt angelegt haben.",
            "scopes": ["openid", "profile", "email", "address"],
            "level_claim": "acr",
            "level_map": {
                "0": "low",
                "1": "low",
                "substantial": "substantial",
                "2": "substantial",
                "high": "high",
                "3": "high",
            },
            "max_level": "high",
            "userinfo": True,
        }
        config.update(overrides)
        return config

    # -- the protocol --------------------------------------------------------------------

    def discovery(self) -> dict:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.alg],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email", "address"],
            "acr_values_supported": list(self.acr_values_supported),
            "authorization_response_iss_parameter_supported": True,
        }

    def jwks(self) -> dict:
        return {"keys": [self.key.as_dict(private=False)]}

    def authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """(status, headers, body) of the answer to an authorization request."""
        self.authorize_requests.append(dict(params))
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            # RFC 6749 4.1.2.1: never redirect to an unverified address.
            return 400, {}, "unknown client or redirect_uri"
        state = params.get("state", "")

        def back(**answer) -> tuple[int, dict[str, str], str]:
            answer = {**answer, "state": state, "iss": self.issuer}
            sep = "&" if "?" in redirect_uri else "?"
            return 302, {"Location": f"{redirect_uri}{sep}{urlencode(answer)}"}, ""

        if params.get("response_type") != "code":
            return back(error="unsupported_response_type")
        if "openid" not in params.get("scope", "").split():
            return back(error="invalid_scope")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return back(error="invalid_request", error_description="PKCE S256 required")
        if self.fault == "access_denied":
            return back(error="access_denied", error_description="The user declined.")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "redirect_uri": redirect_uri,
                "code_challenge": params["code_challenge"],
                "nonce": params.get("nonce"),
                "issued": time.time(),
                "user": json.loads(json.dumps(self.user)),
                "acr": self.acr,
            }
        return back(code=code)

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict]:
        self.token_requests.append(
            {k: v for k, v in form.items() if k not in ("client_secret", "code_verifier")}
            | {"has_code_verifier": bool(form.get("code_verifier"))}
        )
        client_id, client_secret = _basic_credentials(authorization)
        if client_id is None:
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
        secret_ok = secrets.compare_digest(client_secret or "", self.client_secret)
        if client_id != self.client_id or not secret_ok or self.fault == "invalid_client":
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code is used once
        if grant is None or time.time() - grant["issued"] > 60:
            return 400, {"error": "invalid_grant", "error_description": "unknown code"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if not verifier or challenge.rstrip(b"=").decode() != grant["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification"}
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access_token] = grant["user"]
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant, access_token),
        }

    def id_token(self, grant: dict, access_token: str) -> str:
        now = int(time.time())
        user = grant["user"]
        claims = {
            **user,
            "iss": self.issuer,
            "sub": user["sub"],
            "aud": self.client_id,
            "azp": self.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "at_hash": create_half_hash(access_token, self.alg).decode(),
        }
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        if grant["acr"] is not None:
            claims["acr"] = grant["acr"]
        key = self.key
        if self.fault == "wrong_key":
            key = self._new_key(self.kid)  # same kid, a key the JWKS does not hold
        elif self.fault == "expired":
            claims.update(iat=now - 3600, auth_time=now - 3600, exp=now - 3300)
        elif self.fault == "wrong_audience":
            claims.update(aud="ein-anderer-dienst", azp="ein-anderer-dienst")
        elif self.fault == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif self.fault == "wrong_issuer":
            claims["iss"] = "http://127.0.0.1:1/realms/fremd"
        return jwt.encode({"alg": self.alg, "kid": self.kid, "typ": "JWT"}, claims, key)

    def userinfo(self, authorization: str) -> tuple[int, dict]:
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            user = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if user is None:
            return 401, {"error": "invalid_token"}
        return 200, user


def _basic_credentials(authorization: str) -> tuple[str | None, str | None]:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value).decode()
    except ValueError:
        return None, None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


class _Handler(BaseHTTPRequestHandler):
    provider: OidcStandIn

    def log_message(self, format, *args):  # quiet in test output
        pass

    def _path(self) -> str:
        path = urlsplit(self.path).path
        prefix = urlsplit(self.provider.issuer).path
        return path[len(prefix) :] if path.startswith(prefix) else ""

    def _send(self, status: int, body: str | dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body) if isinstance(body, dict) else body
        payload = data.encode()
        self.send_response(status)
        content_type = "application/json" if isinstance(body, dict) else "text/plain"
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):  # noqa: N802  (http.server's naming)
        provider = self.provider
        path = self._path()
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if path == "/.well-known/openid-configuration":
            self._send(200, provider.discovery())
        elif path == "/jwks":
            self._send(200, provider.jwks())
        elif path == "/authorize":
            status, headers, body = provider.authorize(query)
            self._send(status, body, headers)
        elif path == "/userinfo":
            status, body = provider.userinfo(self.headers.get("Authorization", ""))
            self._send(status, body)
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self._path() == "/token":
            status, body = self.provider.token(form, self.headers.get("Authorization", ""))
            self._send(status, body)
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": "not_found"})


@pytest.fixture
def oidc_provider(db, settings) -> Iterator[OidcStandIn]:
    """The stand-in, configured as the portal's provider ``stadt`` (max level high)."""
    with OidcStandIn() as provider:
        settings.OIDC_PROVIDERS = {PROVIDER_NAME: provider.provider_settings()}
        yield provider
