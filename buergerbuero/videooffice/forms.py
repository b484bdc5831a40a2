"""The citizen's forms of the video office: knocking, sending a document, rating the call."""

from __future__ import annotations

from django import forms
from django.conf.locale import LANG_INFO
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from buergerbuero.appointments.forms import PersonForm

from .models import CallMode, VideoOffice

CONCERN_MAX = 500
COMMENT_MAX = 1000
# Every office can be spoken to in the portal's own languages, whatever else it offers.
PORTAL_LANGUAGES = ("de", "en")


def language_choices(office: VideoOffice) -> list[tuple[str, str]]:
    """The office's languages plus German and English, each named in its own language
    (someone looking for "Türkçe" does not look for "Türkisch")."""
    codes = list(dict.fromkeys([*PORTAL_LANGUAGES, *office.language_codes]))
    return [(code, LANG_INFO.get(code, {}).get("name_local", code)) for code in codes]


class KnockForm(forms.Form):
    concern = forms.CharField(
        label=_("Ihr Anliegen"),
        help_text=_(
            "Optional, höchstens 500 Zeichen. Zum Beispiel: „Ich möchte meinen Wohnsitz "
            "ummelden.“ Bitte nennen Sie hier keine Gesundheitsdaten."
        ),
        required=False,
        max_length=CONCERN_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _(
                "Bitte fassen Sie Ihr Anliegen in höchstens %(limit_value)d Zeichen "
                "zusammen (jetzt: %(show_value)d)."
            )
        },
    )
    language = forms.ChoiceField(label=_("Sprache des Gesprächs"))
    mode = forms.ChoiceField(
        label=_("Wie möchten Sie sprechen?"),
        choices=CallMode.choices,
        initial=CallMode.VIDEO,
        widget=forms.RadioSelect,
        help_text=_("Sie können auch ohne Kamera oder ganz ohne Ton teilnehmen."),
    )
    consent = forms.BooleanField(
        label=_("Ich habe den Datenschutzhinweis gelesen und bin einverstanden."),
        error_messages={
            "required": _("Bitte bestätigen Sie den Datenschutzhinweis, um anzuklopfen.")
        },
    )

    def __init__(self, *args, office: VideoOffice, **kwargs):
        super().__init__(*args, **kwargs)
        choices = language_choices(office)
        self.fields["language"].choices = choices
        page_language = (get_language() or "de").split("-")[0]
        codes = [code for code, _name in choices]
        self.fields["language"].initial = page_language if page_language in codes else "de"
        # The checkbox's description is the privacy notice printed above it.
        self.fields["consent"].widget.attrs["aria-describedby"] = "datenschutz-hinweis"

    def knock_arguments(self) -> dict:
        """What services.knock_create takes from the form (consent is the form's job)."""
        data = self.cleaned_data
        return {"concern": data["concern"], "language": data["language"], "mode": data["mode"]}


class AppointmentForm(PersonForm, KnockForm):
    """Booking a video appointment: who, how to reach them, and the knock's choices."""

    field_order = ["name", "email", "concern", "language", "mode", "consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _(
            "An diese Adresse schicken wir die Bestätigung mit dem Link zum Warteraum."
        )
        self.fields["consent"].error_messages["required"] = _(
            "Bitte bestätigen Sie den Datenschutzhinweis, um den Termin zu buchen."
        )


class DocumentForm(forms.Form):
    document = forms.FileField(
        label=_("Dokument"),
        help_text=_("PDF oder Foto (JPEG, PNG, WebP), höchstens 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,image/jpeg,image/png,image/webp"}),
        error_messages={"required": _("Bitte wählen Sie eine Datei aus.")},
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Wie zufrieden waren Sie mit dem Gespräch?"),
        choices=[
            (5, _("5 – sehr zufrieden")),
            (4, _("4 – zufrieden")),
            (3, _("3 – teils, teils")),
            (2, _("2 – unzufrieden")),
            (1, _("1 – sehr unzufrieden")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Bitte wählen Sie eine Bewertung von 1 bis 5."),
            "invalid_choice": _("Bitte wählen Sie eine Bewertung von 1 bis 5."),
        },
    )
    comment = forms.CharField(
        label=_("Was können wir besser machen?"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional, höchstens 1000 Zeichen. Bitte keine persönlichen Daten."),
        error_messages={
            "max_length": _(
                "Bitte schreiben Sie höchstens %(limit_value)d Zeichen (jetzt: %(show_value)d)."
            )
        },
    )
