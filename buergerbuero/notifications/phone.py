"""Mobile numbers: what citizens type, checked and turned into the E.164 form gateways take.

Use :func:`mobile_number_clean` (or the form field :class:`MobileNumberField`) wherever a
citizen gives a number to be texted::

    mobile_number_clean("0171 1234567")      # "+491711234567"
    mobile_number_clean("+49 171 1234567")   # "+491711234567"
    mobile_number_clean("0049 171 1234567")  # "+491711234567"
    mobile_number_clean("0221 221-0")        # ValidationError: a landline cannot get an SMS

Numbers without a country code are read as German. Numbers of other countries are
accepted when written with their code (``+43 664 1234567``).
"""

from __future__ import annotations

import re

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "DE"
# Mobile, or a number the numbering plan cannot tell apart (e.g. in the US and Canada).
_TEXTABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
# What people put between digits: spaces, dashes, slashes, dots, brackets.
_ALLOWED = re.compile(r"^\+?[0-9 ()\-/.]+$")
# Far beyond any real number (E.164: 15 digits), short enough to parse at once.
_MAX_INPUT = 40

MESSAGE_INVALID = _("Bitte geben Sie eine Mobilfunknummer an, z. B. 0171 1234567.")
MESSAGE_NOT_MOBILE = _(
    "Das ist keine Mobilfunknummer, an diese Nummer kann keine SMS gehen. Bitte geben Sie "
    "eine Mobilfunknummer an, z. B. 0171 1234567."
)


def mobile_number_clean(text: str) -> str:
    """The mobile number in ``text`` in E.164 (``+491711234567``); raises ``ValidationError``
    with a German message (code ``invalid`` or ``not_mobile``) for anything else."""
    raw = (text or "").strip()
    if not raw or len(raw) > _MAX_INPUT or not _ALLOWED.match(raw):
        # Letters too: phonenumbers would read "0800 FLOWERS" as digits.
        raise ValidationError(MESSAGE_INVALID, code="invalid")
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(MESSAGE_INVALID, code="invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(MESSAGE_INVALID, code="invalid")
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise ValidationError(MESSAGE_NOT_MOBILE, code="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class MobileNumberField(forms.CharField):
    """A mobile number; ``cleaned_data`` holds it in E.164.

    On an error the form shows the number as the citizen typed it, with the German message
    of :func:`mobile_number_clean`. The input is ``type="tel"`` with ``autocomplete="tel"``,
    so that phones offer the number pad and browsers can fill in the citizen's own number.
    """

    widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"})

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", _MAX_INPUT)
        kwargs.setdefault("label", _("Mobilfunknummer"))
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        return mobile_number_clean(value)
