"""The login page (a chooser of the ways in) and the citizen's account pages.

Views parse input, call one service or selector and render; the rules live in
``login.py``, ``services.py`` and ``export.py`` beside this module.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from .. import login_options as login_options_module
from ..forms import LoginForm
from ..models import ExternalIdentity
from ..services import ExternalLoginRefused, external_identity_unlink
from ..staff import second_factor
from ..trust import TrustLevel, session_identity
from . import forms, services
from .export import account_data_export
from .login import (
    account_has_second_factor,
    local_login_finish,
    next_url_safe,
    second_factor_pending,
    second_factor_pending_start,
    second_factor_verify,
)
from .tokens import TokenExpired, verification_token_check

logger = logging.getLogger("buergerbuero.identity")

SESSION_REGISTERED = "identity.registered_email"
SESSION_BACKUP_CODES = "identity.backup_codes"

LEVEL_REASONS = {
    TrustLevel.SUBSTANTIAL: _(
        "Für diese Leistung muss die Stadt sicher wissen, wer Sie sind (Vertrauensniveau "
        "substanziell). Melden Sie sich dazu mit der BundID an – zum Beispiel mit der "
        "Online-Ausweisfunktion oder einem ELSTER-Zertifikat."
    ),
    TrustLevel.HIGH: _(
        "Für diese Leistung muss die Stadt ganz sicher wissen, wer Sie sind (Vertrauensniveau "
        "hoch). Melden Sie sich dazu mit der BundID und der Online-Ausweisfunktion Ihres "
        "Personalausweises, Ihres elektronischen Aufenthaltstitels oder der eID-Karte an."
    ),
}


def _level_param(request) -> TrustLevel | None:
    value = request.POST.get("niveau") or request.GET.get("niveau") or ""
    try:
        return TrustLevel(value)
    except ValueError:
        return None


def _default_next() -> str:
    return reverse(settings.LOGIN_REDIRECT_URL)


def _login_url(next_url: str, level: TrustLevel | None) -> str:
    query = {"next": next_url} if next_url else {}
    if level:
        query["niveau"] = level.value
    return reverse("identity:login") + (f"?{urlencode(query)}" if query else "")


def _after_login(request, next_url: str, level: TrustLevel | None):
    identity = session_identity(request)
    if level and identity and not identity.level.satisfies(level):
        # Logged in, but not sure enough for where they were going: the step-up choice.
        return redirect(_login_url(next_url, level))
    return redirect(next_url or _default_next())


def _level_reason(level: TrustLevel | None) -> str:
    return str(LEVEL_REASONS.get(level, ""))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request):
    """The ways in: external logins first (what the service needs), the local account
    below; ``niveau`` says which level the page the citizen came from requires."""
    next_url = next_url_safe(request, request.POST.get("next") or request.GET.get("next"))
    level = _level_param(request)
    identity = session_identity(request)
    if identity is not None and (level is None or identity.level.satisfies(level)):
        return redirect(next_url or _default_next())
    form = None
    if identity is None:
        form = LoginForm(request, data=request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            user = form.get_user()
            if account_has_second_factor(user):
                second_factor_pending_start(
                    request, user, next_url=next_url, level=level.value if level else ""
                )
                return redirect("identity:account_login_code")
            local_login_finish(request, user)
            return _after_login(request, next_url, level)
    wanted = level or TrustLevel.LOW
    options = login_options_module.login_options(next_url=next_url or _default_next(), level=wanted)
    return render(
        request,
        "identity/login.html",
        {
            "form": form,
            "next": next_url,
            "level": level,
            "level_reason": _level_reason(level),
            "identity": identity,
            "options": [(option, option.enough_for(wanted)) for option in options],
            "local_enough": wanted == TrustLevel.LOW,
            "staff_refused": bool(form and form.has_error("__all__", "staff")),
            "unconfirmed": bool(form and form.unconfirmed_account),
            "staff_login_url": reverse("identity:staff_login"),
        },
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_code(request):
    """Second step of a local login with a second factor."""
    pending = second_factor_pending(request)
    if pending is None:
        messages.warning(
            request,
            _("Bitte melden Sie sich noch einmal an; die Zeit für den Code ist abgelaufen."),
        )
        return redirect("identity:login")
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor_verify(pending.user, form.cleaned_data["code"])
        if device is not None:
            local_login_finish(request, pending.user, device=device)
            level = TrustLevel(pending.level) if pending.level else None
            return _after_login(request, next_url_safe(request, pending.next_url), level)
        form.add_error(
            "code",
            _(
                "Der Code stimmt nicht. Geben Sie den Code ein, den Ihre App gerade anzeigt "
                "(er wechselt alle 30 Sekunden), oder einen Ihrer Ersatzcodes."
            ),
        )
    return render(request, "identity/account/login_code.html", {"form": form})


# -- registration -------------------------------------------------------------------------


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def register(request):
    if request.user.is_authenticated:
        return redirect("identity:account")
    form = forms.RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.account_register(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            password=data["new_password1"],
        )
        request.session[SESSION_REGISTERED] = data["email"]
        return redirect("identity:account_register_done")
    return render(request, "identity/account/register.html", {"form": form})


def register_done(request):
    return render(
        request,
        "identity/account/register_done.html",
        {"email": request.session.get(SESSION_REGISTERED, "")},
    )


def verify(request, token: str):
    expired = False
    try:
        user = verification_token_check(token)
    except TokenExpired:
        user, expired = None, True
    if user is None:
        status = 410 if expired else 400
        return render(
            request,
            "identity/account/verify.html",
            {"expired": expired, "invalid": not expired, "form": forms.EmailForm()},
            status=status,
        )
    newly = services.account_email_confirm(user=user)
    return render(
        request,
        "identity/account/verify.html",
        {"confirmed": True, "again": not newly, "logged_in": request.user.is_authenticated},
    )


@never_cache
def verify_resend(request):
    form = forms.EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.verification_resend(email=form.cleaned_data["email"])
        request.session[SESSION_REGISTERED] = form.cleaned_data["email"]
        return redirect("identity:account_register_done")
    return render(request, "identity/account/verify_resend.html", {"form": form})


# -- password reset (Django's views, our forms and templates) ------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.PasswordResetForm
    template_name = "identity/account/password_reset.html"
    success_url = reverse_lazy("identity:account_password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "identity/account/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = forms.SetPasswordForm
    template_name = "identity/account/password_reset_confirm.html"
    success_url = reverse_lazy("identity:account_password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The link reached the inbox: the address is confirmed (and a new account usable).
        services.account_email_confirm(user=form.user)
        logger.info("password reset user=%s", form.user.pk)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "identity/account/password_reset_complete.html"


# -- Mein Konto ---------------------------------------------------------------------------


def _identity_rows(user):
    identities = list(user.external_identities.order_by("created_at"))
    has_password = user.has_usable_password()
    return [
        {"identity": identity, "can_unlink": has_password or len(identities) > 1}
        for identity in identities
    ]


@login_required
@never_cache
def account(request):
    user = request.user
    account_path = reverse("identity:account")
    return render(
        request,
        "identity/account/account.html",
        {
            "identities": _identity_rows(user),
            "link_options": login_options_module.login_options(
                next_url=account_path, level=TrustLevel.LOW
            ),
            "session": session_identity(request),
            "from_id_document": services.profile_from_id_document(user),
            "totp": services.totp_active(user),
            "backup_codes_left": services.backup_codes_left(user),
            "has_password": user.has_usable_password(),
        },
    )


@login_required
@never_cache
def profile(request):
    from_id_document = services.profile_from_id_document(request.user)
    form = forms.ProfileForm(
        request.POST or None, instance=request.user, from_id_document=from_id_document
    )
    if request.method == "POST" and form.is_valid():
        changed = services.profile_update(user=request.user, data=form.cleaned_data)
        if "email" in changed:
            messages.success(
                request,
                _(
                    "Ihre Angaben sind gespeichert. Bitte bestätigen Sie die neue E-Mail-Adresse "
                    "mit dem Link, den wir Ihnen geschickt haben."
                ),
            )
        else:
            messages.success(request, _("Ihre Angaben sind gespeichert."))
        return redirect("identity:account")
    return render(
        request,
        "identity/account/profile.html",
        {"form": form, "from_id_document": from_id_document},
    )


@sensitive_post_parameters()
@login_required
@never_cache
def password_change(request):
    user = request.user
    form_class = forms.PasswordChangeForm if user.has_usable_password() else forms.SetPasswordForm
    form = form_class(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        logger.info("password changed user=%s", user.pk)
        messages.success(request, _("Ihr Passwort ist geändert."))
        return redirect("identity:account")
    return render(
        request,
        "identity/account/password_change.html",
        {"form": form, "has_password": user.has_usable_password()},
    )


@require_POST
@login_required
def identity_unlink(request, identity_id: int):
    if not ExternalIdentity.objects.filter(pk=identity_id, user=request.user).exists():
        raise Http404
    try:
        external_identity_unlink(request.user, identity_id)
    except ExternalLoginRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Die Anmeldung ist von Ihrem Konto getrennt."))
    return redirect("identity:account")


# -- second factor ------------------------------------------------------------------------


def _qr_svg(url: str) -> str:
    import segno

    svg = segno.make(url, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff")
    label = escape(_("QR-Code zum Einrichten der Authenticator-App"))
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S308


@sensitive_post_parameters("code")
@login_required
@never_cache
def totp_setup(request):
    user = request.user
    if not user.has_usable_password():
        messages.info(
            request,
            _(
                "Die Zwei-Faktor-Anmeldung gilt für die Anmeldung mit Passwort. "
                "Legen Sie zuerst ein Passwort fest."
            ),
        )
        return redirect("identity:account")
    if services.totp_active(user):
        messages.info(request, _("Die Zwei-Faktor-Anmeldung ist bereits eingeschaltet."))
        return redirect("identity:account")
    device = services.totp_device_pending(user)
    form = forms.TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.totp_confirm(user=user, code=form.cleaned_data["code"])
        if codes is not None:
            request.session[SESSION_BACKUP_CODES] = codes
            messages.success(request, _("Die Zwei-Faktor-Anmeldung ist eingeschaltet."))
            return redirect("identity:account_backup_codes")
        form.add_error(
            "code",
            _(
                "Der Code stimmt nicht. Geben Sie den Code ein, den die App gerade anzeigt; "
                "stimmt er wieder nicht, prüfen Sie, ob die Uhrzeit Ihres Telefons richtig ist."
            ),
        )
    url = services.totp_config_url(device, user)
    return render(
        request,
        "identity/account/totp_setup.html",
        {"form": form, "qr_svg": _qr_svg(url), "secret": second_factor.totp_secret_text(device)},
    )


@login_required
@never_cache
def backup_codes(request):
    """New backup codes are shown once, right after they were made."""
    if request.method == "POST":
        if not services.totp_active(request.user):
            return redirect("identity:account")
        request.session[SESSION_BACKUP_CODES] = services.backup_codes_renew(user=request.user)
        return redirect("identity:account_backup_codes")
    codes = request.session.pop(SESSION_BACKUP_CODES, None)
    if not codes:
        return redirect("identity:account")
    return render(request, "identity/account/backup_codes.html", {"codes": codes})


@sensitive_post_parameters("password")
@login_required
@never_cache
def totp_disable(request):
    if not services.totp_active(request.user):
        return redirect("identity:account")
    form = forms.PasswordConfirmForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.totp_disable(user=request.user)
        messages.success(request, _("Die Zwei-Faktor-Anmeldung ist ausgeschaltet."))
        return redirect("identity:account")
    return render(request, "identity/account/totp_disable.html", {"form": form})


# -- data export and deletion -------------------------------------------------------------


@login_required
@never_cache
def export_summary(request):
    return render(
        request, "identity/account/export.html", {"data": account_data_export(request.user)}
    )


@login_required
@never_cache
def export_download(request):
    data = account_data_export(request.user)
    services.data_export_recorded(user=request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"buergerbuero-meine-daten-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@sensitive_post_parameters("password")
@login_required
@never_cache
def delete(request):
    user = request.user
    if user.is_staff:
        # A staff account is an employee's, not a citizen's: the administrator removes it.
        raise Http404
    form = forms.DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        services.account_delete(user=user)
        logout(request)
        return redirect("identity:account_deleted")
    return render(
        request,
        "identity/account/delete.html",
        {
            "form": form,
            "has_password": user.has_usable_password(),
            "retention_years": 10,
        },
    )


def deleted(request):
    return render(request, "identity/account/deleted.html")
