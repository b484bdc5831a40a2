"""Kassenzeichen: payment references with check digits.

A code is ``PAYMENT_REFERENCE_PREFIX`` (default ``"53"``), an eight-digit sequence number
and two check digits by ISO 7064 MOD 97-10 (the scheme of the IBAN): every mistyped digit
and every swap of two neighbouring digits is caught. Printed in groups of four
(``5300 0001 2345``); typed in any grouping, with spaces, dots or dashes.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import transaction
from stdnum.iso7064 import mod_97_10

from buergerbuero.core.counters import counter_next

from .models import PaymentReference, ReferenceCounter

DEFAULT_PREFIX = "53"
_SEPARATORS = re.compile(r"[\s.\-/]+")


def reference_prefix() -> str:
    prefix = str(getattr(settings, "PAYMENT_REFERENCE_PREFIX", DEFAULT_PREFIX) or DEFAULT_PREFIX)
    if not prefix.isdigit() or len(prefix) > 6:
        raise ValueError(f"PAYMENT_REFERENCE_PREFIX must be 1 to 6 digits, not {prefix!r}.")
    return prefix


def code_make(sequence: int, *, prefix: str | None = None) -> str:
    """``code_make(1)`` → ``"530000000120"``: prefix, sequence, check digits."""
    digits = f"{prefix if prefix is not None else reference_prefix()}{sequence:08d}"
    return digits + mod_97_10.calc_check_digits(digits)


def code_grouped(code: str) -> str:
    """``530000000120`` → ``5300 0000 0120``: groups of four characters, as printed."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_clean(text: str) -> str | None:
    """The code in ``text`` (any grouping) if its check digits are right, else ``None``."""
    digits = _SEPARATORS.sub("", text or "")
    if not digits.isdigit() or not 6 <= len(digits) <= 24:
        return None
    return digits if mod_97_10.is_valid(digits) else None


def reference_for(
    *,
    purpose: str,
    amount_cents: int,
    description: str,
    user=None,
    due_date: dt.date | None = None,
    issuer: str = "",
) -> PaymentReference:
    """The Kassenzeichen of ``purpose``, made on first use.

    A purpose keeps its code for ever; the amount owed and the description follow the
    latest call (an application's fee may change while it is a draft). Whoever owns the
    reference first stays its owner.
    """
    with transaction.atomic():
        reference = PaymentReference.objects.select_for_update().filter(purpose=purpose).first()
        if reference is None:
            prefix = reference_prefix()
            reference = PaymentReference.objects.create(
                code=code_make(counter_next(ReferenceCounter, prefix=prefix), prefix=prefix),
                purpose=purpose,
                amount_cents=amount_cents,
                description=description[:200],
                user=user,
                due_date=due_date,
                issuer=issuer,
            )
            return reference
        changed = {
            "amount_cents": amount_cents,
            "description": description[:200],
            **({"due_date": due_date} if due_date else {}),
            **({"issuer": issuer} if issuer else {}),
            **({"user": user} if user is not None and reference.user_id is None else {}),
        }
        changed = {k: v for k, v in changed.items() if getattr(reference, k) != v}
        if changed:
            for field, value in changed.items():
                setattr(reference, field, value)
            reference.save(update_fields=list(changed))
        return reference


def reference_import(
    *,
    code: str,
    purpose: str,
    amount_cents: int,
    description: str,
    issuer: str = "",
    due_date: dt.date | None = None,
    user=None,
) -> PaymentReference:
    """Take over a Kassenzeichen another system of the city made (e.g. the Ordnungsamt's
    warning fines), so citizens can pay it here. Its check digits must be right; importing
    it again updates it. Raises ``ValueError`` for a wrong code or a code used elsewhere."""
    clean = code_clean(code)
    if clean is None:
        raise ValueError(f"{code!r} is no Kassenzeichen: wrong check digits (ISO 7064 MOD 97-10).")
    taken = PaymentReference.objects.filter(code=clean).exclude(purpose=purpose).first()
    if taken is not None:
        raise ValueError(f"Kassenzeichen {clean} belongs to {taken.purpose!r} already.")
    reference, _created = PaymentReference.objects.update_or_create(
        purpose=purpose,
        defaults={
            "code": clean,
            "amount_cents": amount_cents,
            "description": description[:200],
            "issuer": issuer,
            "due_date": due_date,
            **({"user": user} if user is not None else {}),
        },
    )
    return reference
