from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .accounts.login import account_awaits_confirmation, login_name_resolve
from .staff.roles import is_staff_account


class LoginForm(AuthenticationForm):
    """Local login with username or email address and password (trust level low).

    Authenticates through ``django.contrib.auth.authenticate`` with the request, so that
    brute-force protection (django-axes) counts every failure. Staff accounts are refused:
    they have their own login with a second factor.
    """

    error_messages = {
        "invalid_login": _(
            "Benutzername oder Passwort stimmen nicht. Bitte prüfen Sie beides; "
            "Groß- und Kleinschreibung zählt."
        ),
        "inactive": _("Dieses Konto ist gesperrt. Bitte wenden Sie sich an die Stadtverwaltung."),
        "unconfirmed": _(
            "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse: Klicken Sie auf den Link in der "
            "E-Mail, die wir Ihnen nach der Registrierung geschickt haben."
        ),
        "staff": _(
            "Dienstkonten der Verwaltung melden sich über die Anmeldung für Mitarbeitende an."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Benutzername oder E-Mail-Adresse")
        self.fields["username"].max_length = 254
        # The login form sits below the other ways in: no autofocus that skips them.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "maxlength": 254, "autocapitalize": "none"}
        )
        self.fields["username"].error_messages["required"] = _(
            "Bitte geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein."
        )
        self.fields["password"].label = _("Passwort")
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )
        self.fields["password"].error_messages["required"] = _("Bitte geben Sie Ihr Passwort ein.")
        self.unconfirmed_account = None

    def clean(self):
        login_name = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if login_name is None or not password:
            return self.cleaned_data
        username = login_name_resolve(login_name)
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            pending = account_awaits_confirmation(username, password)
            if pending is not None:
                self.unconfirmed_account = pending
                raise forms.ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if is_staff_account(user):
            raise forms.ValidationError(self.error_messages["staff"], code="staff")
