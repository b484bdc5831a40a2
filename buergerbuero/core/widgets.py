"""Form pieces KERN UX does not ship, built with its tokens.

``DateField`` asks for a date as three short inputs (day, month, year), the pattern that
works with screen readers, mobile number keyboards and without JavaScript; bad dates get a
message that says what is wrong and keep what was typed::

    class MoveForm(forms.Form):
        moved_on = DateField(label=_("Einzugsdatum"), help_text=_("Zum Beispiel 15 3 2026"))
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class DatePartsWidget(forms.MultiWidget):
    template_name = "kern/widgets/date_parts.html"
    part_labels = (_("Tag"), _("Monat"), _("Jahr"))

    def __init__(self, attrs=None):
        number = {"inputmode": "numeric", "autocomplete": "off"}
        widgets = (
            forms.TextInput(attrs={**number, "maxlength": 2, "size": 2}),
            forms.TextInput(attrs={**number, "maxlength": 2, "size": 2}),
            forms.TextInput(attrs={**number, "maxlength": 4, "size": 4}),
        )
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, label in zip(context["widget"]["subwidgets"], self.part_labels, strict=True):
            subwidget["part_label"] = label
        return context


class DateField(forms.MultiValueField):
    widget = DatePartsWidget
    default_error_messages = {
        "required": _("Bitte geben Sie ein Datum ein."),
        "incomplete": _("Bitte geben Sie Tag, Monat und Jahr ein."),
        "invalid": _("Dieses Datum gibt es nicht. Bitte prüfen Sie Tag, Monat und Jahr."),
    }

    def __init__(self, **kwargs):
        part = {"required": False, "max_length": 4}
        super().__init__(
            fields=(forms.CharField(**part), forms.CharField(**part), forms.CharField(**part)),
            require_all_fields=False,
            **kwargs,
        )

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return None
        if not all(data_list):
            raise ValidationError(self.error_messages["incomplete"], code="incomplete")
        try:
            day, month, year = (int(part) for part in data_list)
            if year < 1000:
                raise ValueError
            return dt.date(year, month, day)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
