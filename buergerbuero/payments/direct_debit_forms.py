"""Forms of SEPA direct debits: the citizen's mandate, the cash office's run and return.

The rules live in ``direct_debit.py``; these forms call them so that a refused IBAN or
date comes back as an error at its field, with the input kept.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import direct_debit
from .direct_debit import RETURN_REASONS, BankAccount, CollectionDateRefused


class MandateForm(forms.Form):
    """A SEPA core mandate: account holder, IBAN, optional BIC and the signed text.

    ``cleaned_data["account"]`` is the checked :class:`~.direct_debit.BankAccount`.
    """

    debtor_name = forms.CharField(
        label=_("Kontoinhaber:in"),
        max_length=70,
        help_text=_("Vor- und Nachname, wie sie bei Ihrer Bank geführt werden."),
        error_messages={
            "required": _("Bitte geben Sie an, wem das Konto gehört."),
            "max_length": _("Bitte kürzen Sie den Namen auf höchstens 70 Zeichen."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=42,
        help_text=_("Steht auf Ihrer Bankkarte, z. B. DE89 3704 0044 0532 0130 00."),
        error_messages={"required": _("Bitte geben Sie Ihre IBAN an.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    bic = forms.CharField(
        label=_("BIC"),
        required=False,
        max_length=15,
        help_text=_(
            "Nur nötig für manche Konten außerhalb Deutschlands; sonst ermitteln wir ihn aus "
            "der IBAN."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    consent = forms.BooleanField(
        label=_("Ich erteile dieses SEPA-Lastschriftmandat"),
        error_messages={
            "required": _("Bitte bestätigen Sie das Mandat mit dem Häkchen, sonst gilt es nicht.")
        },
    )

    def __init__(self, *args, creditor_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        # The mandate's text is the checkbox's description: read out with it.
        self.fields["consent"].help_text = direct_debit.mandate_text(creditor_name=creditor_name)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("iban"):
            try:
                cleaned["account"] = direct_debit.bank_account_clean(
                    iban=cleaned["iban"], bic=cleaned.get("bic", "")
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    @property
    def account(self) -> BankAccount:
        return self.cleaned_data["account"]


class RunForm(forms.Form):
    """The due date of a new pain.008 file."""

    collection_date = forms.DateField(
        label=_("Fälligkeitstag"),
        help_text=_(
            "Frühestens ein TARGET2-Geschäftstag, nachdem die Datei bei der Bank ist; "
            "vorgeschlagen ist der früheste mögliche Tag."
        ),
        error_messages={
            "required": _("Bitte geben Sie den Fälligkeitstag an."),
            "invalid": _("Bitte geben Sie ein Datum an, z. B. 15.03.2027."),
        },
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )

    def clean_collection_date(self):
        collection_date = self.cleaned_data["collection_date"]
        try:
            direct_debit.collection_date_check(collection_date)
        except CollectionDateRefused as error:
            raise ValidationError(str(error), code="collection_date_refused") from None
        return collection_date


class ReturnForm(forms.Form):
    """A return debit (Rücklastschrift) as the bank reported it."""

    reason = forms.ChoiceField(
        label=_("Rückgabegrund laut Bank"),
        choices=[("", _("Bitte wählen"))]
        + [(code, f"{code} – {label}") for code, label in RETURN_REASONS.items()]
        + [("other", _("Anderer Grund (bitte im Vermerk nennen)"))],
        error_messages={"required": _("Bitte wählen Sie den Rückgabegrund.")},
    )
    note = forms.CharField(
        label=_("Vermerk"),
        required=False,
        max_length=200,
        help_text=_("Zum Beispiel der Tag der Rückbuchung auf dem Kontoauszug."),
    )
    revoke_mandate = forms.BooleanField(
        label=_("Mandat widerrufen: nicht wieder einziehen"),
        required=False,
        help_text=_(
            "Bei „IBAN fehlerhaft“, „Konto erloschen“, „Konto gesperrt“, „Lastschrift nicht "
            "erlaubt“, „Kein gültiges Mandat“ und „verstorben“ geschieht das ohnehin."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == "other" and not cleaned.get("note", "").strip():
            self.add_error("note", _("Bitte nennen Sie den Grund im Vermerk."))
        return cleaned
