"""The replay cache: each SAML assertion logs in once.

One row per assertion ID in :class:`~buergerbuero.identity.models.SeenAssertion`; the
unique constraint makes the second use fail atomically, across processes and machines.
Rows are kept until the assertion would have expired anyway, then purged by
:func:`seen_assertions_purge` (called from ``manage.py housekeeping``).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import SeenAssertion


def assertion_first_use(*, assertion_id: str, issuer: str, expires_at: dt.datetime) -> bool:
    """Record the assertion; False if it was used before."""
    try:
        with transaction.atomic():
            SeenAssertion.objects.create(
                assertion_id=assertion_id[:255], issuer=issuer[:255], expires_at=expires_at
            )
    except IntegrityError:
        return False
    return True


def seen_assertions_purge(*, now: dt.datetime | None = None) -> int:
    """Forget assertions that have expired (they fail the validity check anyway)."""
    deleted, _ = SeenAssertion.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
