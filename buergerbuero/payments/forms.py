"""Citizens' forms of the payments app: find a Kassenzeichen from a letter; refunds."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .money import parse_euro
from .references import code_clean


class ReferenceLookupForm(forms.Form):
    """Kassenzeichen and amount as printed on a letter (e.g. a warning fine). Both must
    match: the amount keeps strangers from paging through other people's references."""

    code = forms.CharField(
        label=_("Kassenzeichen"),
        max_length=40,
        help_text=_("Steht oben rechts auf Ihrem Schreiben, z. B. 5300 0001 2345."),
        error_messages={"required": _("Bitte geben Sie das Kassenzeichen ein.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    amount = forms.CharField(
        label=_("Betrag in Euro"),
        max_length=20,
        help_text=_("Wie im Schreiben angegeben, z. B. 35,00."),
        error_messages={"required": _("Bitte geben Sie den Betrag ein.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "decimal"}),
    )

    def clean_code(self) -> str:
        code = code_clean(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _(
                    "Dieses Kassenzeichen ist nicht gültig: Bitte prüfen Sie jede Ziffer. "
                    "Die letzten beiden Ziffern sind Prüfziffern, die Tippfehler erkennen."
                ),
                code="check_digits",
            )
        return code

    def clean_amount(self) -> int:
        try:
            cents = parse_euro(self.cleaned_data["amount"])
        except ValueError:
            raise forms.ValidationError(
                _("Bitte geben Sie den Betrag in Euro an, z. B. 35,00."), code="amount"
            ) from None
        if cents <= 0:
            raise forms.ValidationError(_("Der Betrag muss größer als 0 sein."), code="amount")
        return cents


class RefundForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund der Erstattung"),
        help_text=_("Die Bürgerin oder der Bürger sieht diesen Text."),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Bitte geben Sie den Grund der Erstattung an.")},
    )
