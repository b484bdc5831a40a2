"""Forms of the walk-in queue: drawing a ticket (kiosk and online) and the counter's
transfer."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from buergerbuero.notifications.phone import MobileNumberField

from .models import ServiceGroup

PHONE_HELP = _(
    "Freiwillig. Wir schicken Ihnen eine SMS, kurz bevor Sie an der Reihe sind, und wenn Sie "
    "aufgerufen werden. Die Nummer wird nach dem heutigen Tag gelöscht."
)


class DrawForm(forms.Form):
    """The group and an optional mobile number. At the kiosk the group comes from the
    button that was pressed; online it is a radio choice."""

    group = forms.ModelChoiceField(
        label=_("Ihr Anliegen"),
        queryset=ServiceGroup.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Bitte wählen Sie Ihr Anliegen aus."),
            "invalid_choice": _("Bitte wählen Sie eines der angezeigten Anliegen aus."),
        },
    )
    phone = MobileNumberField(
        label=_("Mobilfunknummer für SMS (freiwillig)"), required=False, help_text=PHONE_HELP
    )
    # One key per rendered kiosk form (kiosk.js makes a new one per press): the same press
    # sent again returns its ticket (services.ticket_draw). Not the citizen's business, so a
    # key that is not a UUID is ignored rather than shown as an error.
    draw_key = forms.CharField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = centre.service_groups.all()
        self.fields["group"].label_from_instance = lambda group: f"{group.letter} – {group.name}"

    def clean_draw_key(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.cleaned_data["draw_key"])
        except ValueError:
            return None


class TransferForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Weiterleiten an"),
        queryset=ServiceGroup.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Bitte wählen Sie eine Leistungsgruppe aus.")},
    )

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = centre.service_groups.all()
        self.fields["group"].label_from_instance = lambda group: f"{group.letter} – {group.name}"
