"""The audit trail: every staff read and change of personal data (who, what, when)."""

from __future__ import annotations

import logging

from .models import AuditEntry

logger = logging.getLogger("buergerbuero.audit")


def audit(user, action: str, case=None, *, detail: str = "") -> None:
    """Record one access. ``action`` is dotted: ``case.view``, ``document.download`` …"""
    reference = getattr(case, "reference", "") or ""
    name = user.get_username() if user is not None and user.is_authenticated else "system"
    AuditEntry.objects.create(
        actor=user if user is not None and user.is_authenticated else None,
        actor_name=name,
        action=action,
        case_reference=reference,
        detail=detail[:300],
    )
    logger.info("%s %s %s %s", name, action, reference, detail)
