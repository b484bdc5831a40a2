"""Amounts for people: integer cents in, ``18,00 €`` (German) or ``€18.00`` (English) out.

Separators come from Django's locale formats of ``language``; the euro sign follows the
number except in English, where it leads.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation
from django.utils.formats import number_format

_SIGN_FIRST = {"en"}


def format_cents(cents: int, language: str | None = None) -> str:
    """``format_cents(123456, "de") == "1.234,56 €"``; ``format_cents(1800, "en") == "€18.00"``.

    ``language`` defaults to the active language.
    """
    language = language or translation.get_language() or "de"
    with translation.override(language):
        number = number_format(
            Decimal(abs(cents)) / 100, decimal_pos=2, use_l10n=True, force_grouping=True
        )
    sign = "-" if cents < 0 else ""
    if language.split("-")[0].lower() in _SIGN_FIRST:
        return f"{sign}€{number}"
    return f"{sign}{number} €"
