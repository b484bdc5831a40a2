"""The caseworker's forms in the video office: availability, decline, transfer, the case
panel, Videoident and the outcome note. German error messages; the views call services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .identification import VIDEOIDENT_CHECKS, DocumentType
from .models import Availability, VideoOffice

DECLINE_MAX = 1000
OUTCOME_MAX = 2000


class PresenceForm(forms.Form):
    """Available or not; "im Gespräch" is set by admitting and ending calls."""

    status = forms.ChoiceField(
        label=_("Ihr Status"),
        choices=[
            (Availability.AVAILABLE, _("verfügbar")),
            (Availability.AWAY, _("nicht verfügbar")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Bitte wählen Sie Ihren Status.")},
    )


class DeclineForm(forms.Form):
    message = forms.CharField(
        label=_("Nachricht an die Person"),
        help_text=_("Die Person liest sie im Warteraum, z. B. wohin sie sich wenden kann."),
        max_length=DECLINE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Bitte schreiben Sie der Person, warum Sie sie abweisen."),
            "max_length": _("Höchstens %(limit_value)d Zeichen."),
        },
    )

    def __init__(self, *args, knock, **kwargs):
        kwargs.setdefault("auto_id", f"abweisen-{knock.public_id}-%s")
        super().__init__(*args, **kwargs)


class TransferForm(forms.Form):
    """Another active office to send a waiting citizen to. ``targets``: the active offices,
    read once for all rows of the dashboard."""

    office = forms.TypedChoiceField(
        label=_("Weiterleiten an"),
        coerce=int,
        error_messages={
            "required": _("Bitte wählen Sie ein virtuelles Amt."),
            "invalid_choice": _("An dieses Amt kann nicht weitergeleitet werden."),
        },
    )

    def __init__(self, *args, knock, targets, **kwargs):
        kwargs.setdefault("auto_id", f"weiterleiten-{knock.public_id}-%s")
        super().__init__(*args, **kwargs)
        self._targets = {office.pk: office for office in targets if office.pk != knock.office_id}
        self.fields["office"].choices = [
            ("", _("Bitte wählen")),
            *((office.pk, office.name) for office in self._targets.values()),
        ]

    def clean_office(self) -> VideoOffice:
        return self._targets[self.cleaned_data["office"]]


class CaseLinkForm(forms.Form):
    reference = forms.CharField(
        label=_("Aktenzeichen"),
        max_length=20,
        help_text=_("z. B. K-2026-000123 – falls die Person es Ihnen nennt."),
        error_messages={"required": _("Bitte geben Sie das Aktenzeichen an.")},
    )

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


class CaseCreateForm(forms.Form):
    service = forms.ModelChoiceField(
        label=_("Leistung"),
        queryset=None,
        empty_label=_("Bitte wählen"),
        error_messages={
            "required": _("Bitte wählen Sie die Leistung für den neuen Vorgang."),
            "invalid_choice": _("Diese Leistung gehört nicht zu diesem virtuellen Amt."),
        },
    )

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = office.services.order_by("name")


class VideoidentForm(forms.Form):
    document_type = forms.ChoiceField(
        label=_("Ausweisdokument"),
        choices=[("", _("Bitte wählen")), *DocumentType.choices],
        error_messages={"required": _("Bitte wählen Sie die Art des Ausweisdokuments.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for check in VIDEOIDENT_CHECKS:
            self.fields[check.key] = forms.BooleanField(
                label=check.label,
                help_text=check.hint,
                error_messages={"required": _("Bitte bestätigen Sie diesen Prüfschritt.")},
            )

    def check_fields(self):
        return [self[check.key] for check in VIDEOIDENT_CHECKS]

    def checks(self) -> dict[str, bool]:
        return {check.key: bool(self.cleaned_data.get(check.key)) for check in VIDEOIDENT_CHECKS}


class OutcomeForm(forms.Form):
    note = forms.CharField(
        label=_("Ergebnis des Gesprächs"),
        help_text=_(
            "Was besprochen und vereinbart wurde, höchstens 2000 Zeichen. Ist ein Vorgang "
            "verknüpft, steht es dort als interne Notiz."
        ),
        max_length=OUTCOME_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Bitte halten Sie das Ergebnis des Gesprächs fest."),
            "max_length": _("Höchstens %(limit_value)d Zeichen (jetzt %(show_value)d)."),
        },
    )
