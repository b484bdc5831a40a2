from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Local login (trust level low). BundID and other identity providers follow (issue 5)."""

    error_messages = {
        "invalid_login": _(
            "Benutzername oder Passwort stimmen nicht. Bitte prüfen Sie beides; "
            "Groß- und Kleinschreibung zählt."
        ),
        "inactive": _("Dieses Konto ist gesperrt."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Benutzername")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].label = _("Passwort")
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )
