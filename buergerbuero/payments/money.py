"""Amounts for people: integer cents in, ``18,00 €`` (German) or ``€18.00`` (English) out.

Separators come from Django's locale formats of ``language``; the euro sign follows the
number except in English, where it leads.
"""

from __future__ import annotations

import re
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


_EURO_INPUT = re.compile(r"^(\d{1,3}(?:[.\s]\d{3})*|\d+)(?:[,.](\d{1,2}|-{1,2}))?$")


def parse_euro(text: str) -> int:
    """Cents from an amount a citizen types: ``35``, ``35,00``, ``35.5``, ``1.234,56``,
    ``35,-``, with or without ``€``/``EUR``. Raises ``ValueError`` for anything else
    (negative numbers, three decimals, letters)."""
    cleaned = re.sub(r"(€|eur|euro)", "", (text or "").strip(), flags=re.IGNORECASE).strip()
    # "1.234" is a thousand: a dot followed by exactly three digits at the end groups.
    match = _EURO_INPUT.match(cleaned)
    if not match:
        raise ValueError(f"not an amount in euros: {text!r}")
    whole, fraction = match[1], match[2] or ""
    euros = int(re.sub(r"[.\s]", "", whole))
    cents = 0 if fraction.startswith("-") or not fraction else int(fraction.ljust(2, "0"))
    return euros * 100 + cents
