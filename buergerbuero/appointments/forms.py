"""The citizen's forms of the booking: services, contact data and choice of time."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buergerbuero.notifications.phone import MobileNumberField


class ServicesForm(forms.Form):
    leistung = forms.MultipleChoiceField(
        label=_("Welche Anliegen haben Sie?"),
        help_text=_("Sie können mehrere Anliegen in einem Termin erledigen."),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Bitte wählen Sie mindestens ein Anliegen aus."),
            "invalid_choice": _(
                "„%(value)s“ kann nicht als Termin gebucht werden. Bitte wählen Sie aus der Liste."
            ),
        },
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leistung"].choices = choices


class PersonForm(forms.Form):
    """Who books: a name and the address the confirmation goes to (video appointments
    extend it too)."""

    name = forms.CharField(
        label=_("Vor- und Nachname"),
        max_length=160,
        error_messages={"required": _("Bitte geben Sie Ihren Namen an.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-Mail-Adresse"),
        help_text=_("An diese Adresse schicken wir die Bestätigung mit dem Link zum Absagen."),
        error_messages={
            "required": _("Bitte geben Sie Ihre E-Mail-Adresse an."),
            "invalid": _("Bitte geben Sie eine E-Mail-Adresse an, z. B. name@beispiel.de."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ContactForm(PersonForm):
    mobile = MobileNumberField(
        required=False,
        help_text=_("Nur wenn Sie am Vortag per SMS erinnert werden möchten."),
    )


class MoveForm(forms.Form):
    """Which of the offered free times: the time of a slot in UTC, ISO 8601."""

    beginn = forms.CharField(widget=forms.HiddenInput)
