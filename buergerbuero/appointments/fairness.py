"""Fair access to scarce appointments besides the release rule and the per-person limit:
a limit of booking attempts per client address and hour, counted in the cache (Redis in
production, shared by all processes).

Generous on purpose (``APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR``, default 20): it stops a
script that books every new slot from one address, not a family or a public library.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from buergerbuero.identity.staff.lockout import client_ip

WINDOW_SECONDS = 3600


def booking_attempt_allowed(request) -> bool:
    """Count this booking attempt of the client's address; False once over the limit."""
    limit = settings.APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR
    if not limit:
        return True
    window = int(time.time() // WINDOW_SECONDS)
    key = f"appointments:bookings:{client_ip(request)}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    return count <= limit
