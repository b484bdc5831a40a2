"""A living pattern library: every KERN form piece and component on one page, rendered
the way real forms render them. Tested with axe like every public page; reachable in
development and by staff (``/komponenten/``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .widgets import DateField


class ComponentDemoForm(forms.Form):
    full_name = forms.CharField(label=_("Vollständiger Name"), max_length=120)
    email = forms.EmailField(
        label=_("E-Mail-Adresse"),
        help_text=_("Wir schicken Ihnen die Bestätigung an diese Adresse."),
        error_messages={"invalid": _("Bitte geben Sie eine gültige E-Mail-Adresse ein.")},
    )
    moved_on = DateField(label=_("Einzugsdatum"), help_text=_("Zum Beispiel: 15 3 2026"))
    household = forms.ChoiceField(
        label=_("Wie viele Personen ziehen ein?"),
        choices=[("1", _("eine Person")), ("2", _("zwei Personen")), ("3", _("drei oder mehr"))],
        widget=forms.RadioSelect,
    )
    district = forms.ChoiceField(
        label=_("Stadtbezirk"),
        choices=[("", _("Bitte wählen")), ("ehrenfeld", "Ehrenfeld"), ("kalk", "Kalk")],
        required=False,
    )
    proof = forms.FileField(
        label=_("Wohnungsgeberbestätigung"),
        help_text=_("PDF, JPG oder PNG, höchstens 10 MB."),
        required=False,
    )
    consent = forms.BooleanField(label=_("Ich habe die Datenschutzhinweise gelesen."))


DEMO_STEPS = [
    {"title": _("Angaben zur Person"), "url": "#", "state": "done"},
    {"title": _("Neue Wohnung"), "url": "", "state": "current"},
    {"title": _("Unterlagen"), "url": "", "state": "todo"},
    {"title": _("Prüfen und absenden"), "url": "", "state": "todo"},
]
