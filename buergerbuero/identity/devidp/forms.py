from django import forms
from django.utils.translation import gettext_lazy as _

from ..trust import TrustLevel
from .persons import TEST_PERSONS


class DevLoginForm(forms.Form):
    """Whom the development IdP logs in, and at which trust level."""

    person = forms.ChoiceField(
        label=_("Testperson"),
        widget=forms.RadioSelect,
        choices=[(p.key, f"{p.name} – {p.description}") for p in TEST_PERSONS.values()],
        error_messages={"required": _("Bitte wählen Sie eine Testperson.")},
    )
    level = forms.ChoiceField(
        label=_("Vertrauensniveau, das der Entwicklungs-IdP bestätigt"),
        widget=forms.RadioSelect,
        choices=TrustLevel.choices,
        help_text=_("Liegt es unter dem verlangten Niveau, lehnt das Bürgerbüro die Anmeldung ab."),
        error_messages={"required": _("Bitte wählen Sie ein Vertrauensniveau.")},
    )
