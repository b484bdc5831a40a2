"""Limits per client address: how many times one address may do something in a window of
time, counted in the cache (Redis in production, so all processes count together; the
local memory of one process on the embedded default).

Fixed windows: the count starts again at every full window (every hour on the hour, for
``window_seconds=3600``), and a refused client is told when that is. Simple and cheap (one
``add`` and one ``incr`` per request); a client may get up to twice the limit across a
window boundary, which is fine for limits meant to stop scripts, not people::

    BOOKINGS = AddressLimit("appointments:bookings", window_seconds=3600)

    refusal = BOOKINGS.hit(request, limit=settings.APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR)
    if refusal is not None:
        ...  # answer 429, with ``Retry-After: refusal.retry_after``

The address is the one the staff login lockout counts (``identity.staff.lockout.client_ip``:
the peer address, or the one the trusted proxies report).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from buergerbuero.identity.staff.lockout import client_ip


def _now() -> float:
    """Seconds since the epoch (a function of its own, for tests to hold the clock)."""
    return time.time()


@dataclass(frozen=True)
class Refusal:
    limit: int
    window_seconds: int
    retry_after: int  # seconds until the window ends and the count starts again


@dataclass(frozen=True)
class AddressLimit:
    """A named count per client address and fixed window of ``window_seconds``."""

    scope: str
    window_seconds: int

    def hit(self, request, *, limit: int) -> Refusal | None:
        """Count this request of the client's address; a :class:`Refusal` once the count
        is over ``limit`` in the current window, else None. ``limit`` 0 switches it off
        (nothing is counted)."""
        if not limit:
            return None
        now = _now()
        window = int(now // self.window_seconds)
        key = f"{self.scope}:{client_ip(request)}:{window}"
        cache.add(key, 0, timeout=self.window_seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=self.window_seconds)
            count = 1
        if count <= limit:
            return None
        retry_after = max(1, math.ceil((window + 1) * self.window_seconds - now))
        return Refusal(limit=limit, window_seconds=self.window_seconds, retry_after=retry_after)
