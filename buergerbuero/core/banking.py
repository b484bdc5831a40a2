"""Bank identifiers of the city: IBAN, BIC and the SEPA creditor identifier.

Validators for model and form fields, with messages a city administrator understands.
IBAN and BIC are checked by ``schwifty`` (check digits, country format, known banks);
the creditor identifier (Gläubiger-ID, EPC262-08) by its ISO 7064 MOD 97-10 check digits.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.iso7064 import mod_97_10

_CREDITOR_ID = re.compile(r"^([A-Z]{2})(\d{2})([A-Z0-9]{3})([A-Z0-9]{1,28})$")


def iban_clean(value: str) -> str:
    """The IBAN without spaces, upper case; ``ValidationError`` if it is not valid."""
    try:
        return IBAN(value).compact
    except SchwiftyException:
        raise ValidationError(
            _(
                "Diese IBAN ist nicht gültig. Bitte prüfen Sie sie "
                "(z. B. DE89 3704 0044 0532 0130 00)."
            ),
            code="invalid_iban",
        ) from None


def bic_clean(value: str) -> str:
    try:
        return str(BIC(value))
    except SchwiftyException:
        raise ValidationError(
            _("Dieser BIC ist nicht gültig: 8 oder 11 Zeichen, z. B. COBADEFFXXX."),
            code="invalid_bic",
        ) from None


def creditor_id_clean(value: str) -> str:
    compact = re.sub(r"\s+", "", value or "").upper()
    match = _CREDITOR_ID.match(compact)
    if not match or not mod_97_10.is_valid(match[4] + match[1] + match[2]):
        raise ValidationError(
            _(
                "Diese Gläubiger-Identifikationsnummer ist nicht gültig. Sie hat die Form "
                "DE98ZZZ09999999999 (Land, Prüfziffern, ZZZ, nationale Kennung)."
            ),
            code="invalid_creditor_id",
        )
    return compact


def validate_iban(value: str) -> None:
    iban_clean(value)


def validate_bic(value: str) -> None:
    bic_clean(value)


def validate_creditor_id(value: str) -> None:
    creditor_id_clean(value)
