"""Forms of the citizen account pages. Every message is German and says what to do."""

from __future__ import annotations

import copy
import logging

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model, password_validation
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.widgets import DateField
from buergerbuero.notifications.services import send_email

from .login import account_awaiting_confirmation
from .services import TEMPLATES, _language, site_url

logger = logging.getLogger("buergerbuero.identity")

DELETE_WORD = "LÖSCHEN"


def _password_fields(form, label1, label2) -> None:
    form.fields["new_password1"].label = label1
    form.fields["new_password1"].help_text = _(
        "Mindestens 8 Zeichen; nicht nur Ziffern, kein gängiges Passwort und nicht Ihr Name "
        "oder Ihre E-Mail-Adresse."
    )
    form.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
    form.fields["new_password2"].label = label2
    form.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"
    for name in ("new_password1", "new_password2"):
        form.fields[name].error_messages["required"] = _("Bitte geben Sie ein Passwort ein.")
    form.error_messages["password_mismatch"] = _(
        "Die beiden Passwörter stimmen nicht überein. Bitte geben Sie zweimal dasselbe ein."
    )


class RegistrationForm(forms.Form):
    first_name = forms.CharField(
        label=_("Vorname"),
        max_length=150,
        error_messages={"required": _("Bitte geben Sie Ihren Vornamen ein.")},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Nachname"),
        max_length=150,
        error_messages={"required": _("Bitte geben Sie Ihren Nachnamen ein.")},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("E-Mail-Adresse"),
        max_length=254,
        help_text=_("Wir schicken Ihnen einen Link, mit dem Sie die Adresse bestätigen."),
        error_messages={
            "required": _("Bitte geben Sie Ihre E-Mail-Adresse ein."),
            "invalid": _("Bitte geben Sie eine E-Mail-Adresse ein, z. B. name@example.org."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    new_password1 = forms.CharField(
        label=_("Passwort"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    new_password2 = forms.CharField(
        label=_("Passwort wiederholen"), strip=False, widget=forms.PasswordInput()
    )
    privacy = forms.BooleanField(
        label=_("Ich habe die Datenschutzhinweise gelesen und bin einverstanden."),
        error_messages={
            "required": _("Bitte bestätigen Sie, dass Sie die Datenschutzhinweise gelesen haben.")
        },
    )
    error_messages = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _password_fields(self, _("Passwort"), _("Passwort wiederholen"))

    def clean(self):
        data = super().clean()
        password1, password2 = data.get("new_password1"), data.get("new_password2")
        if password1 and password2 and password1 != password2:
            self.add_error("new_password2", self.error_messages["password_mismatch"])
        elif password1:
            candidate = get_user_model()(
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return data


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-Mail-Adresse"),
        max_length=254,
        error_messages={
            "required": _("Bitte geben Sie Ihre E-Mail-Adresse ein."),
            "invalid": _("Bitte geben Sie eine E-Mail-Adresse ein, z. B. name@example.org."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset, with the email through the outbox and our link. Also for accounts
    still waiting for confirmation: the reset link proves the address as well."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"] = copy.deepcopy(EmailForm.base_fields["email"])

    def get_users(self, email):
        users = get_user_model()._default_manager.filter(email__iexact=email)
        return (
            user
            for user in users
            if user.has_usable_password()
            # A changed address counts once confirmed, never before: else anyone could
            # type someone's address into their profile and receive that person's reset.
            and ((user.is_active and user.email_verified_at) or account_awaiting_confirmation(user))
            and not user.is_staff  # staff reset through their administrator
        )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        path = reverse(
            "identity:account_password_reset_confirm", args=[context["uid"], context["token"]]
        )
        send_email(
            to=to_email,
            template=TEMPLATES + "password_reset",
            context={"reset_url": site_url(path), "user": context["user"]},
            language=_language(),
            topic="account.password_reset",
        )
        logger.info("password reset link sent user=%s", context["user"].pk)


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _password_fields(self, _("Neues Passwort"), _("Neues Passwort wiederholen"))


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _password_fields(self, _("Neues Passwort"), _("Neues Passwort wiederholen"))
        self.fields["old_password"].label = _("Bisheriges Passwort")
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.fields["old_password"].error_messages["required"] = _(
            "Bitte geben Sie Ihr bisheriges Passwort ein."
        )
        self.error_messages["password_incorrect"] = _(
            "Das bisherige Passwort stimmt nicht. Bitte versuchen Sie es noch einmal."
        )


class ProfileForm(forms.ModelForm):
    """Contact data. Name and date of birth from an ID document (BundID) are not edited
    here: the next login with it would overwrite them."""

    class Meta:
        model = get_user_model()
        fields = [
            "first_name",
            "last_name",
            "birth_date",
            "street",
            "postcode",
            "city",
            "phone",
            "email",
        ]
        labels = {
            "first_name": _("Vorname"),
            "last_name": _("Nachname"),
            "email": _("E-Mail-Adresse"),
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "street": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postcode": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, from_id_document: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_date"] = DateField(label=_("Geburtsdatum"), required=False)
        self.fields["email"].required = True
        self.fields["email"].error_messages.update(
            {
                "required": _("Bitte geben Sie Ihre E-Mail-Adresse ein."),
                "invalid": _("Bitte geben Sie eine E-Mail-Adresse ein, z. B. name@example.org."),
            }
        )
        self.from_id_document = from_id_document
        if from_id_document:
            for name in ("first_name", "last_name", "birth_date"):
                del self.fields[name]

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip()
        taken = (
            get_user_model()
            .objects.filter(email__iexact=email, email_verified_at__isnull=False)
            .exclude(pk=self.instance.pk)
            .exists()
        )
        if email and taken:
            raise forms.ValidationError(
                _(
                    "Diese E-Mail-Adresse gehört zu einem anderen Konto. Bitte geben Sie "
                    "Ihre eigene Adresse an."
                )
            )
        return email

    def clean_postcode(self):
        postcode = self.cleaned_data.get("postcode", "").strip()
        if postcode and not (postcode.isdigit() and len(postcode) == 5):
            raise forms.ValidationError(
                _("Bitte geben Sie eine Postleitzahl aus fünf Ziffern ein.")
            )
        return postcode


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Sicherheitscode"),
        max_length=16,
        help_text=_(
            "Die sechs Ziffern aus Ihrer Authenticator-App – oder einer Ihrer Ersatzcodes."
        ),
        error_messages={"required": _("Bitte geben Sie den Code ein.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
            }
        ),
    )


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Code aus der App"),
        max_length=10,
        help_text=_("Die sechs Ziffern, die Ihre Authenticator-App jetzt anzeigt."),
        error_messages={"required": _("Bitte geben Sie den Code aus der App ein.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Ihr Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Bitte geben Sie Ihr Passwort ein.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("Das Passwort stimmt nicht. Bitte versuchen Sie es noch einmal.")
            )
        return password


class DeleteAccountForm(forms.Form):
    """With a password: the password. Without (BundID only): typing the word LÖSCHEN — a
    deliberate act that works with any keyboard and screen reader."""

    understood = forms.BooleanField(
        label=_("Ich habe gelesen, was gelöscht wird und was die Stadt aufbewahren muss."),
        error_messages={
            "required": _("Bitte bestätigen Sie, dass Sie die Hinweise gelesen haben.")
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_usable_password():
            self.fields["password"] = copy.deepcopy(PasswordConfirmForm.base_fields["password"])
        else:
            self.fields["word"] = forms.CharField(
                label=_("Zur Bestätigung tippen Sie bitte das Wort LÖSCHEN"),
                max_length=20,
                error_messages={"required": _("Bitte tippen Sie das Wort LÖSCHEN.")},
                widget=forms.TextInput(
                    attrs={"autocomplete": "off", "autocapitalize": "characters"}
                ),
            )

    def clean_password(self):
        return PasswordConfirmForm.clean_password(self)

    def clean_word(self):
        word = self.cleaned_data["word"].strip().upper()
        if word not in (DELETE_WORD, "LOESCHEN", "DELETE"):  # DELETE: who reads English
            raise forms.ValidationError(
                _("Bitte tippen Sie genau das Wort LÖSCHEN (oder LOESCHEN).")
            )
        return word
