from django import forms
from django.utils.translation import gettext_lazy as _


class AccessibilityFeedbackForm(forms.Form):
    message = forms.CharField(
        label=_("Welche Barriere haben Sie gefunden?"),
        help_text=_("Beschreiben Sie bitte, was nicht funktioniert und auf welcher Seite."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": _("Bitte beschreiben Sie die Barriere.")},
    )
    page_url = forms.CharField(
        label=_("Betroffene Seite oder Adresse"), required=False, max_length=500
    )
    name = forms.CharField(label=_("Ihr Name"), required=False, max_length=120)
    email = forms.EmailField(
        label=_("Ihre E-Mail-Adresse"),
        help_text=_("Nur wenn Sie eine Antwort möchten."),
        required=False,
        error_messages={"invalid": _("Bitte geben Sie eine gültige E-Mail-Adresse ein.")},
    )
