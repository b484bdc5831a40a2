"""The staff login (password, then the second factor), the second-factor setup and the
staff member's own account page, under ``/verwaltung/``.

The login is two steps. The password step (``StaffLoginForm``, counted by the lockout)
does not log in when a second factor follows: it remembers the account on the session for
a few minutes (:func:`_pending_start`). The code step, or the setup of a first device
where one is required, then logs in through ``trust.login_with_level`` with
``second_factor=True`` and marks the session OTP-verified (django-otp).
"""

from __future__ import annotations

import logging
import time
from functools import wraps

from axes.models import AccessLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from ..trust import SESSION_SECOND_FACTOR
from . import roles
from .forms import CodeForm, SetupConfirmForm, StaffLoginForm, wait_message
from .middleware import staff_login_url
from .second_factor import (
    backup_codes_left,
    backup_codes_renew,
    has_second_factor,
    login_local,
    second_factor_required,
    totp_device_confirm,
    totp_device_of,
    totp_device_start,
    totp_qr_svg,
    totp_secret_text,
    wait_seconds,
)

logger = logging.getLogger("buergerbuero.identity")

SESSION_PENDING = "identity.staff_pending"
PENDING_SECONDS = 10 * 60
RECENT_LOGINS = 10


# -- helpers -----------------------------------------------------------------------------


def _next_url(request, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def staff_home_url(user) -> str:
    """Where a staff member starts: the back office, the cash office, the admin."""
    if roles.works_in_any(user):
        return reverse("backoffice:inbox")
    if user.has_perm("payments.work_cash_office"):
        return reverse("payments:cash_overview")
    if user.is_superuser or user.get_all_permissions():
        return reverse("admin:index")
    return reverse("identity:staff_account")


def _pending_start(request, user, next_url: str) -> None:
    request.session[SESSION_PENDING] = {"user": user.pk, "at": int(time.time()), "next": next_url}


def _pending(request):
    """(user, next_url) of the password step a few minutes ago, or (None, "")."""
    data = request.session.get(SESSION_PENDING)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > PENDING_SECONDS:
        request.session.pop(SESSION_PENDING, None)
        return None, ""
    user = (
        get_user_model().objects.filter(pk=data.get("user"), is_active=True, is_staff=True).first()
    )
    return user, data.get("next", "")


def _finish(request, user, *, device, next_url: str):
    """Log in (level low, local) and go on."""
    request.session.pop(SESSION_PENDING, None)
    login_local(request, user, device=device)
    logger.info("staff login user=%s second_factor=%s", user.pk, device is not None)
    return next_url or staff_home_url(user)


def staff_required(view):
    """Staff only, with the second factor where required. Never cached."""

    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect(staff_login_url(request.get_full_path()))
        if not user.is_staff:
            return render(request, "identity/staff/forbidden.html", status=403)
        if second_factor_required(user) and not user.is_verified():
            return redirect(staff_login_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper


# -- the login ---------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def staff_login(request):
    next_url = _next_url(request, request.POST.get("next") or request.GET.get("next"))
    user = request.user
    if user.is_authenticated and user.is_staff:
        if user.is_verified() or not second_factor_required(user):
            return redirect(next_url or staff_home_url(user))
        # Logged in by password only, but this area needs the second factor: ask for it.
        _pending_start(request, user, next_url)
        return redirect(
            "identity:staff_code" if has_second_factor(user) else "identity:staff_setup"
        )
    form = StaffLoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if has_second_factor(user):
            _pending_start(request, user, next_url)
            return redirect("identity:staff_code")
        if second_factor_required(user):
            _pending_start(request, user, next_url)
            logger.info("staff login user=%s must set up a second factor", user.pk)
            return redirect("identity:staff_setup")
        return redirect(_finish(request, user, device=None, next_url=next_url))
    return render(
        request,
        "identity/staff/login.html",
        {"form": form, "next": next_url, "required": second_factor_required()},
    )


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def staff_code(request):
    user, next_url = _pending(request)
    if user is None:
        messages.info(request, _("Bitte melden Sie sich zuerst mit Benutzername und Passwort an."))
        return redirect(staff_login_url(next_url))
    if not has_second_factor(user):
        return redirect("identity:staff_setup")
    form = CodeForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST":
        if form.is_valid():
            if isinstance(form.device, StaticDevice):
                messages.warning(
                    request,
                    _(
                        "Sie haben sich mit einem Backup-Code angemeldet; er ist jetzt "
                        "verbraucht. Noch übrig: %(count)s. Neue Codes erhalten Sie unter "
                        "„Mein Konto (Verwaltung)“."
                    )
                    % {"count": backup_codes_left(user)},
                )
            return redirect(_finish(request, user, device=form.device, next_url=next_url))
        logger.info("staff login second factor refused user=%s", user.pk)
    return render(request, "identity/staff/code.html", {"form": form})


# -- setting up the second factor --------------------------------------------------------


def _setup_subject(request):
    """Whose device is set up, and whether the session logs in on confirming.

    - during the login (password right, no device yet): that account, logging in after;
    - a logged-in staff member: their own account — to replace a device only from a
      session that used it (a password alone never replaces a second factor).
    """
    pending_user, next_url = _pending(request)
    if pending_user is not None and not has_second_factor(pending_user):
        return pending_user, True, next_url
    user = request.user
    if (
        user.is_authenticated
        and user.is_staff
        and (not has_second_factor(user) or user.is_verified())
    ):
        return user, False, _next_url(request, request.GET.get("next"))
    return None, False, ""


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def staff_setup(request):
    user, logs_in, next_url = _setup_subject(request)
    if user is None:
        return redirect(staff_login_url(reverse("identity:staff_setup")))
    device = totp_device_start(user)
    form = SetupConfirmForm(request.POST if request.method == "POST" else None)
    wait = wait_seconds([device]) if request.method == "POST" else 0
    if wait and form.is_valid():
        form.add_error("code", wait_message(wait))
    elif request.method == "POST" and form.is_valid():
        codes = totp_device_confirm(device, form.cleaned_data["code"])
        if codes is not None:
            device.refresh_from_db()
            if logs_in:
                continue_url = _finish(request, user, device=device, next_url=next_url)
            else:
                otp_login(request, device)
                request.session[SESSION_SECOND_FACTOR] = True
                continue_url = next_url or reverse("identity:staff_account")
            return render(
                request,
                "identity/staff/backup_codes.html",
                {"codes": codes, "continue_url": continue_url, "new_device": True},
            )
        form.add_error(
            "code",
            _(
                "Dieser Code stimmt nicht. Prüfen Sie, ob die Uhrzeit Ihres Telefons stimmt, "
                "und geben Sie den Code ein, den die App jetzt anzeigt."
            ),
        )
    return render(
        request,
        "identity/staff/setup.html",
        {
            "form": form,
            "qr_svg": totp_qr_svg(device, title=_("QR-Code zum Einrichten der Authenticator-App")),
            "secret": totp_secret_text(device),
            "required": second_factor_required(user),
            "replacing": has_second_factor(user),
            "issuer": settings.OTP_TOTP_ISSUER,
            "account_name": user.get_username(),
        },
    )


# -- the staff member's own account ------------------------------------------------------


@staff_required
@require_http_methods(["GET"])
def staff_account(request):
    user = request.user
    logins = AccessLog.objects.filter(username=user.get_username()).order_by("-attempt_time")
    return render(
        request,
        "identity/staff/account.html",
        {
            "device": totp_device_of(user),
            "backup_codes_left": backup_codes_left(user),
            "required": second_factor_required(user),
            "verified": user.is_verified(),
            "logins": logins[:RECENT_LOGINS],
            "departments": user.departments.all(),
            "led_departments": user.led_departments.all(),
        },
    )


@staff_required
@require_http_methods(["POST"])
def staff_backup_codes(request):
    """New backup codes (the old ones stop working), shown once. Only from a session that
    used the second factor."""
    user = request.user
    if not (has_second_factor(user) and user.is_verified()):
        messages.error(
            request,
            _("Neue Backup-Codes gibt es nur nach einer Anmeldung mit dem zweiten Faktor."),
        )
        return redirect("identity:staff_account")
    codes = backup_codes_renew(user)
    logger.info("backup codes renewed for user %s", user.pk)
    return render(
        request,
        "identity/staff/backup_codes.html",
        {"codes": codes, "continue_url": reverse("identity:staff_account"), "new_device": False},
    )
