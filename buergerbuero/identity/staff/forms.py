"""Forms of the staff login and the second-factor setup."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .second_factor import login_wait_seconds, token_verify


def wait_message(seconds: int) -> str:
    return ngettext(
        "Zu viele falsche Codes: Bitte warten Sie %(seconds)d Sekunde und geben Sie dann "
        "den aktuellen Code ein.",
        "Zu viele falsche Codes: Bitte warten Sie %(seconds)d Sekunden und geben Sie dann "
        "den aktuellen Code ein.",
        seconds,
    ) % {"seconds": seconds}


class StaffLoginForm(AuthenticationForm):
    """User name and password of a staff account (checked through ``authenticate``, so
    failed attempts count towards the lockout)."""

    error_messages = {
        "invalid_login": _(
            "Benutzername oder Passwort stimmen nicht. Bitte prüfen Sie beides; "
            "Groß- und Kleinschreibung zählt."
        ),
        "inactive": _("Dieses Konto ist gesperrt. Bitte wenden Sie sich an die Administration."),
        "not_staff": _(
            "Dieses Konto gehört nicht zur Verwaltung. Bürgerinnen und Bürger melden sich "
            "über „Anmelden“ oben auf der Seite an."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Benutzername")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].label = _("Passwort")
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class CodeForm(forms.Form):
    """A code from the authenticator app or one of the backup codes."""

    code = forms.CharField(
        label=_("Code"),
        help_text=_(
            "Der sechsstellige Code aus Ihrer Authenticator-App. Ohne Ihr Telefon: einer "
            "Ihrer Backup-Codes."
        ),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": _("Bitte geben Sie den Code ein.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None

    def clean_code(self):
        code = self.cleaned_data["code"]
        wait = login_wait_seconds(self.user, code)
        if wait:
            raise forms.ValidationError(wait_message(wait), code="throttled")
        self.device = token_verify(self.user, code)
        if self.device is None:
            raise forms.ValidationError(
                _(
                    "Dieser Code stimmt nicht. Bitte geben Sie den aktuellen Code aus Ihrer "
                    "App ein (er wechselt alle 30 Sekunden) oder einen noch nicht benutzten "
                    "Backup-Code. Nach mehreren falschen Codes müssen Sie kurz warten."
                ),
                code="invalid",
            )
        return code


class SetupConfirmForm(forms.Form):
    """The first code of a new authenticator app, to prove it was set up correctly."""

    code = forms.CharField(
        label=_("Code aus der App"),
        help_text=_("Geben Sie den sechsstelligen Code ein, den Ihre App jetzt anzeigt."),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": _("Bitte geben Sie den Code aus Ihrer App ein.")},
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(
                _("Der Code hat sechs Ziffern, zum Beispiel 123456."), code="format"
            )
        return code
