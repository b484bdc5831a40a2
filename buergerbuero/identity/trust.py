"""Trust levels (Vertrauensniveau) and what the current session has proven.

eIDAS names three levels; BundID and its SAML interface speak STORK-QAA levels 1-4. A
service in the catalog names the level it needs; a login records the level it delivered on
the session. The session's level is the login's; an account whose identity a caseworker
verified by video (``services.videoident_record``) reaches its verified level when the login
used a second factor, as eIDAS asks of "substantial" (proofing *and* authentication).

Every login method ends in :func:`login_with_level`, so the session always says how the
person logged in and how sure the city may be of who they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import login
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrustLevel(models.TextChoices):
    """Vertrauensniveau of an identification, ordered low < substantial < high."""

    LOW = "low", _("niedrig (Benutzername und Passwort)")
    SUBSTANTIAL = "substantial", _("substanziell (z. B. ELSTER-Zertifikat)")
    HIGH = "high", _("hoch (Online-Ausweisfunktion)")

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    def satisfies(self, required: str | TrustLevel) -> bool:
        return self.rank >= TrustLevel(required).rank

    @classmethod
    def highest(cls, *levels: str | TrustLevel | None) -> TrustLevel:
        present = [cls(level) for level in levels if level]
        return max(present, key=lambda level: level.rank) if present else cls.LOW


_RANK = {"low": 1, "substantial": 2, "high": 3}

# STORK-QAA levels as BundID sends them (AuthnContextClassRef and per attribute). Level 2
# is not used by BundID; it counts as low. Level 1 is a username and password.
STORK_QAA = {
    TrustLevel.LOW: "STORK-QAA-Level-1",
    TrustLevel.SUBSTANTIAL: "STORK-QAA-Level-3",
    TrustLevel.HIGH: "STORK-QAA-Level-4",
}
_FROM_STORK = {
    "STORK-QAA-Level-1": TrustLevel.LOW,
    "STORK-QAA-Level-2": TrustLevel.LOW,
    "STORK-QAA-Level-3": TrustLevel.SUBSTANTIAL,
    "STORK-QAA-Level-4": TrustLevel.HIGH,
}


def level_from_stork(value: str) -> TrustLevel | None:
    """The trust level a STORK-QAA value stands for; None for anything else."""
    return _FROM_STORK.get((value or "").strip())


class LoginMethod(models.TextChoices):
    LOCAL = "local", _("Benutzerkonto des Bürgerbüros")
    BUNDID = "bundid", _("BundID")
    OIDC = "oidc", _("Anmeldedienst der Stadt")
    DEV_IDP = "dev-idp", _("Entwicklungs-Anmeldedienst (nur Demo)")


SESSION_LEVEL = "identity.level"
SESSION_METHOD = "identity.method"
SESSION_PROVIDER = "identity.provider"
SESSION_ATTRIBUTE_LEVELS = "identity.attribute_levels"
SESSION_SECOND_FACTOR = "identity.second_factor"


@dataclass(frozen=True)
class SessionIdentity:
    """How the person of this session logged in, and how sure the city may be."""

    level: TrustLevel
    method: str
    provider: str
    attribute_levels: dict[str, str]
    second_factor: bool


def login_with_level(
    request,
    user,
    *,
    level: str | TrustLevel,
    method: str | LoginMethod,
    provider: str = "",
    attribute_levels: dict[str, str] | None = None,
    second_factor: bool = False,
    backend: str = "django.contrib.auth.backends.ModelBackend",
) -> None:
    """Log ``user`` in and record on the session what the login proved.

    Django's ``login`` keeps the session data of an anonymous visitor (their drafts stay
    reachable); it flushes a session that belonged to someone else.
    """
    login(request, user, backend=backend)
    request.session[SESSION_LEVEL] = TrustLevel(level).value
    request.session[SESSION_METHOD] = str(method)
    request.session[SESSION_PROVIDER] = provider
    request.session[SESSION_ATTRIBUTE_LEVELS] = dict(attribute_levels or {})
    request.session[SESSION_SECOND_FACTOR] = bool(second_factor)


def session_identity(request) -> SessionIdentity | None:
    """None for anonymous visitors. A session from before trust levels existed (or one
    that Django's own login view started) counts as a local login at level low."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    session = request.session
    login_level = session.get(SESSION_LEVEL) or TrustLevel.LOW
    second_factor = bool(session.get(SESSION_SECOND_FACTOR))
    verified = getattr(user, "verified_level", None) if second_factor else None
    return SessionIdentity(
        level=TrustLevel.highest(login_level, verified),
        method=session.get(SESSION_METHOD) or LoginMethod.LOCAL,
        provider=session.get(SESSION_PROVIDER, ""),
        attribute_levels=dict(session.get(SESSION_ATTRIBUTE_LEVELS) or {}),
        second_factor=second_factor,
    )


def session_level(request) -> TrustLevel | None:
    identity = session_identity(request)
    return identity.level if identity else None


def session_meets(request, required: str | TrustLevel) -> bool:
    level = session_level(request)
    return level is not None and level.satisfies(required)
