"""Who may see a Kassenzeichen's page: its owner, a browser that unlocked it (typed code
and amount from the letter, or filed the application it belongs to), the cash office."""

from __future__ import annotations

from .cash_office import CASH_OFFICE_PERMISSION
from .models import PaymentReference

#: Session key: the codes this browser has unlocked (the last 20).
UNLOCKED_SESSION_KEY = "payments:unlocked"
UNLOCKED_KEPT = 20


def reference_unlock(request, reference: PaymentReference) -> None:
    unlocked = [c for c in request.session.get(UNLOCKED_SESSION_KEY, []) if c != reference.code]
    request.session[UNLOCKED_SESSION_KEY] = [*unlocked[-(UNLOCKED_KEPT - 1) :], reference.code]


def reference_visible(request, reference: PaymentReference) -> bool:
    user = request.user
    if user.is_authenticated and reference.user_id == user.pk:
        return True
    if reference.code in request.session.get(UNLOCKED_SESSION_KEY, []):
        return True
    return bool(user.is_authenticated and user.is_staff and user.has_perm(CASH_OFFICE_PERMISSION))
