"""Settings of the identity work: OpenID Connect providers (imported at the end of base.py).

A city names its providers in ``OIDC_PROVIDERS`` (e.g. ``keycloak``) and describes each
with ``OIDC_<NAME>_…`` variables; the result is :data:`OIDC_PROVIDERS`, a dict from the
provider's name (used in URLs: ``/anmelden/oidc/<name>/``) to its configuration. Wrong
values stop the start with a message naming the variable. docs/identity-oidc.md explains
how to set up a Keycloak realm for it.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .env import REGISTRY, EnvVar, env, env_bool, env_list

__all__ = ["OIDC_PROVIDERS", "OIDC_HTTP_TIMEOUT"]

_LEVELS = ("low", "substantial", "high")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

OIDC_DEFAULT_LEVEL_MAP = (
    "low=low,substantial=substantial,high=high,"
    "http://eidas.europa.eu/LoA/low=low,"
    "http://eidas.europa.eu/LoA/substantial=substantial,"
    "http://eidas.europa.eu/LoA/high=high"
)

# Per-provider variables: the name is only known at run time, so the reference that
# ``manage.py envdoc`` prints lists them once with <NAME> standing for the provider.
_PER_PROVIDER = {
    "ISSUER": (
        None,
        "Issuer URL of the provider, exactly as its discovery document states it (Keycloak: "
        "https://<host>/realms/<realm>). Discovery is read from "
        "<issuer>/.well-known/openid-configuration. https is required except for localhost.",
    ),
    "CLIENT_ID": (None, "Client ID of the portal at the provider."),
    "CLIENT_SECRET": (
        "",
        "Client secret (confidential client, sent with HTTP Basic). Empty: a public client "
        "that authenticates by PKCE alone.",
    ),
    "LABEL": ("Mit Stadt-Konto anmelden", "Text of the login button (German)."),
    "DESCRIPTION": (
        "Mit dem Konto, das Sie bei der Stadt angelegt haben.",
        "One sentence under the login button: what the citizen needs for it (German).",
    ),
    "SCOPES": (
        "openid profile email address",
        "Scopes requested, separated by spaces; must contain openid. The portal reads "
        "given_name, family_name, birthdate, address and email (if email_verified).",
    ),
    "LEVEL_CLAIM": (
        "acr",
        "Claim of the ID token (or userinfo) that says how sure the provider is of the "
        "person. For acr, the portal also asks for the needed level with acr_values.",
    ),
    "LEVEL_MAP": (
        OIDC_DEFAULT_LEVEL_MAP,
        "Claim value to trust level, comma-separated value=level pairs, level one of low, "
        "substantial, high (e.g. 0=low,1=low,2=substantial,3=high). The first value named "
        "for a level is the one requested by acr_values. Unknown values count as low.",
    ),
    "MAX_LEVEL": (
        "low",
        "The highest trust level the city vouches for from this provider (low, substantial "
        "or high); delivered levels are capped to it.",
    ),
    "USERINFO": (
        "true",
        "Also fetch the userinfo endpoint (if the provider has one) for person data.",
    ),
}
for _suffix, (_default, _help) in _PER_PROVIDER.items():
    _name = f"OIDC_<NAME>_{_suffix}"
    REGISTRY[_name] = EnvVar(_name, _default, _help)


def _level(variable: str, value: str) -> str:
    value = value.strip().lower()
    if value not in _LEVELS:
        raise ImproperlyConfigured(
            f"{variable}: {value!r} is not a trust level; use low, substantial or high."
        )
    return value


def _level_map(variable: str, raw: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in raw.split(","):
        if not pair.strip():
            continue
        value, sep, level = pair.strip().rpartition("=")
        if not sep or not value:
            raise ImproperlyConfigured(f"{variable}: {pair!r} is not a value=level pair.")
        mapping[value.strip()] = _level(variable, level)
    return mapping


def _issuer(variable: str, issuer: str | None) -> str:
    if not issuer:
        raise ImproperlyConfigured(f"{variable} is required for each provider in OIDC_PROVIDERS.")
    parts = urlsplit(issuer)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS):
        raise ImproperlyConfigured(
            f"{variable}: the issuer must be an https URL (http only for localhost)."
        )
    return issuer


def oidc_provider_settings(name: str) -> dict:
    """The configuration of provider ``name`` from its ``OIDC_<NAME>_…`` variables."""
    if not name or set(name) - _NAME_CHARS:
        raise ImproperlyConfigured(
            f"OIDC_PROVIDERS: {name!r} is not a provider name; use lowercase letters, digits and -."
        )
    prefix = f"OIDC_{name.upper().replace('-', '_')}_"

    def read(suffix: str) -> str:
        default, help_text = _PER_PROVIDER[suffix]
        return (env(prefix + suffix, default, help_text) or "").strip()

    scopes = read("SCOPES").split()
    if "openid" not in scopes:
        raise ImproperlyConfigured(f"{prefix}SCOPES must contain openid.")
    client_id = read("CLIENT_ID")
    if not client_id:
        raise ImproperlyConfigured(
            f"{prefix}CLIENT_ID is required for each provider in OIDC_PROVIDERS."
        )
    return {
        "issuer": _issuer(prefix + "ISSUER", read("ISSUER")),
        "client_id": client_id,
        "client_secret": read("CLIENT_SECRET"),
        "label": read("LABEL"),
        "description": read("DESCRIPTION"),
        "scopes": scopes,
        "level_claim": read("LEVEL_CLAIM"),
        "level_map": _level_map(prefix + "LEVEL_MAP", read("LEVEL_MAP")),
        "max_level": _level(prefix + "MAX_LEVEL", read("MAX_LEVEL")),
        "userinfo": env_bool(prefix + "USERINFO", True, _PER_PROVIDER["USERINFO"][1]),
    }


OIDC_PROVIDERS: dict[str, dict] = {
    name: oidc_provider_settings(name)
    for name in env_list(
        "OIDC_PROVIDERS",
        "",
        "OpenID Connect providers the login page offers, comma-separated names (e.g. "
        "keycloak); each is described by OIDC_<NAME>_* variables. Empty: none.",
    )
}
OIDC_HTTP_TIMEOUT = float(
    env("OIDC_HTTP_TIMEOUT", "10", "Seconds the portal waits for an OpenID Connect provider.") or 10
)
