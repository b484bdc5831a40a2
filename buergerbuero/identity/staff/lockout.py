"""What a locked-out login sees and which address counts (django-axes callbacks)."""

from __future__ import annotations

import logging

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger("buergerbuero.identity")


def client_ip(request) -> str:
    """The address failed logins are counted for.

    Without ``LOGIN_TRUSTED_PROXIES`` the peer address (X-Forwarded-For can be forged by
    anybody). Behind N trusted proxies each appends the address it saw: the N-th entry
    from the right is the one the outermost proxy got the connection from.
    """
    proxies = getattr(settings, "LOGIN_TRUSTED_PROXIES", 0)
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request, original_response=None, credentials=None):
    """The German lockout page, status 429, saying until when."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    return render(
        request,
        "identity/staff/locked_out.html",
        {"minutes": minutes, "until": until, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


@receiver(user_locked_out)
def _log_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    # The operator's line: which account, never the password; the address is in the
    # axes records in the admin ("Access attempts") for the cool-off period.
    user = get_user_model().objects.filter(username=username).only("pk").first()
    who = f"user {user.pk}" if user else "an unknown user name"
    logger.warning(
        "login locked out for %s after %s failures (%s minutes), path %s",
        who,
        settings.AXES_FAILURE_LIMIT,
        int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        getattr(request, "path", ""),
    )
