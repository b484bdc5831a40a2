"""Who may submit an application: the account and the trust level a service needs.

Anyone may open a form and fill it in (nothing typed is lost, the draft waits in the
session or the account). What a service demands is checked where it matters, when the
citizen confirms at the summary: a service that is not anonymous needs an account, and the
service's trust level (catalog ``Service.trust_level``) needs a login that proved it — a
BundID with the online ID function for "high", for example. A citizen who falls short is
offered the step-up login, which returns to the same page with the draft intact.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.signals import user_logged_in
from django.db.models import Q
from django.urls import reverse

from buergerbuero.identity.trust import TrustLevel, session_identity

from .models import Application, ApplicationStatus
from .selectors import SESSION_KEY


@dataclass(frozen=True)
class IdentityGap:
    """What the session lacks for a service: an account, or a higher trust level."""

    level: TrustLevel  # what the service needs
    logged_in: bool  # False: no account at all yet
    login_url: str  # the login page with the level and the way back

    @property
    def level_label(self) -> str:
        return str(self.level.label)


def identity_gap(request, service, *, anonymous_allowed: bool, back_to: str) -> IdentityGap | None:
    """None when the session may submit an application for ``service``."""
    required = TrustLevel(service.trust_level or TrustLevel.LOW)
    identity = session_identity(request)
    if identity is None:
        if anonymous_allowed and required == TrustLevel.LOW:
            return None
    elif identity.level.satisfies(required):
        return None
    query = urlencode({"next": back_to, "niveau": required.value})
    return IdentityGap(
        level=required,
        logged_in=identity is not None,
        login_url=f"{reverse('identity:login')}?{query}",
    )


def session_identity_fields(request) -> dict[str, str]:
    """The identity to keep on the application when the citizen confirms it."""
    identity = session_identity(request)
    if identity is None:
        return {"identity_level": "", "identity_method": ""}
    return {"identity_level": identity.level.value, "identity_method": str(identity.method)}


def _claim_session_drafts(sender, request, user, **kwargs) -> None:
    """Drafts begun before logging in belong to the account from now on: they appear in
    "Mein Bürgerbüro" and prefill works. Only drafts this browser holds, never others."""
    if request is None or not hasattr(request, "session"):
        return
    granted = request.session.get(SESSION_KEY) or []
    if not granted:
        return
    Application.objects.filter(
        Q(public_id__in=granted),
        user=None,
        status__in=[ApplicationStatus.DRAFT, ApplicationStatus.AWAITING_PAYMENT],
    ).update(user=user)


user_logged_in.connect(_claim_session_drafts, dispatch_uid="applications-claim-drafts")
