"""The local login: username or email address, password, and the second factor if set up.

The password step (``identity.forms.LoginForm``) authenticates through Django's
``authenticate`` (so django-axes counts failures). An account with a confirmed TOTP
device is not logged in yet: :func:`second_factor_pending_start` remembers it on the
session for a few minutes, and :func:`second_factor_verify` checks the code (TOTP or a
backup code) before :func:`local_login_finish` logs in at level low::

    if account_has_second_factor(user):
        second_factor_pending_start(request, user, next_url=..., level=...)
    else:
        local_login_finish(request, user, device=None)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q
from django.utils.http import url_has_allowed_host_and_scheme

from ..staff import second_factor

logger = logging.getLogger("buergerbuero.identity")

SESSION_PENDING = "identity.pending_login"

# An account owns its address once it confirmed it — or while its registration waits for
# the confirmation. A changed, unconfirmed profile address owns nothing: else anyone could
# type someone's address into their profile and receive that person's resets and mail.
OWNS_ITS_ADDRESS = Q(email_verified_at__isnull=False) | Q(
    is_active=False, email_verified_at=None, last_login=None
)


def login_name_resolve(login_name: str) -> str:
    """The username to authenticate: an email address that belongs to exactly one account
    with a password stands for that account; anything else is taken as a username."""
    login_name = login_name.strip()
    if "@" not in login_name:
        return login_name
    matches = list(
        get_user_model()
        .objects.filter(OWNS_ITS_ADDRESS, email__iexact=login_name)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)  # BundID-only accounts
        .values_list("username", flat=True)[:2]
    )
    return matches[0] if len(matches) == 1 else login_name


def account_awaiting_confirmation(user) -> bool:
    """A registration whose email address was not confirmed yet (cannot log in yet)."""
    return bool(
        user is not None
        and not user.is_active
        and user.email_verified_at is None
        and user.last_login is None
    )


def account_awaits_confirmation(username: str, password: str):
    """After a failed login: the account, if the password was right but the registration
    is not confirmed yet — only someone who knows the password learns that."""
    user = get_user_model().objects.filter(username=username).first()
    if account_awaiting_confirmation(user) and user.check_password(password):
        return user
    return None


def next_url_safe(request, url: str | None) -> str:
    """``url`` if it points into this site, else empty."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


# -- second factor ------------------------------------------------------------------------


def _otp_devices(user, *, for_verify: bool = False):
    from django_otp import devices_for_user

    return list(devices_for_user(user, confirmed=True, for_verify=for_verify))


def account_has_second_factor(user) -> bool:
    return bool(_otp_devices(user))


@dataclass(frozen=True)
class PendingLogin:
    user: object
    next_url: str
    level: str


def second_factor_pending_start(request, user, *, next_url: str, level: str) -> None:
    request.session[SESSION_PENDING] = {
        "user": user.pk,
        "at": int(time.time()),
        "next": next_url,
        "level": level,
    }


def second_factor_pending(request) -> PendingLogin | None:
    """The account whose password was right a few minutes ago, or None."""
    data = request.session.get(SESSION_PENDING)
    if not isinstance(data, dict):
        return None
    if time.time() - data.get("at", 0) > settings.ACCOUNT_LOGIN_CODE_MINUTES * 60:
        request.session.pop(SESSION_PENDING, None)
        return None
    user = get_user_model().objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None:
        return None
    return PendingLogin(user=user, next_url=data.get("next", ""), level=data.get("level", ""))


def second_factor_verify(user, code: str):
    """The device that accepts ``code`` (an authenticator app's code or a backup code), or
    None. Each device throttles wrong codes itself (django-otp: growing waits)."""
    device = second_factor.token_verify(user, code)
    if device is None:
        logger.info("login second factor refused user=%s", user.pk)
    return device


def local_login_finish(request, user, *, device=None) -> None:
    """Log in at level low (or the account's verified level, with a second factor: see
    ``trust.session_identity``)."""
    request.session.pop(SESSION_PENDING, None)
    second_factor.login_local(request, user, device=device)
    logger.info("login user=%s method=local second_factor=%s", user.pk, device is not None)
