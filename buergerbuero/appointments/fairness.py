"""Fair access to scarce appointments besides the release rule and the per-person limit:
limits per client address (``core.rate_limits``), counted in the cache (Redis in
production, shared by all processes).

- Booking attempts per hour (``APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR``, default 20):
  generous on purpose — it stops a script that books every new slot from one address,
  not a family or a public library.
- Reads of free times through the JSON API per minute
  (``APPOINTMENT_API_READS_PER_ADDRESS_MINUTE``, default 60): a script polling for the
  release moment gets a 429 with ``Retry-After``; an app or a page showing free times to
  its users stays far below it.

The proof of work (``core.proof_of_work``) is checked after the booking limit; submissions
without one have a much smaller budget of their own (``ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR``).
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

from buergerbuero.core import proof_of_work
from buergerbuero.core.rate_limits import AddressLimit, Refusal

BOOKINGS = AddressLimit("appointments:bookings", window_seconds=3600)
API_READS = AddressLimit("appointments:api-reads", window_seconds=60)


def booking_attempt_refused(request) -> Refusal | None:
    """Count this booking attempt of the client's address; a refusal once over the limit."""
    return BOOKINGS.hit(request, limit=settings.APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR)


def api_read_refused(request) -> Refusal | None:
    """Count this read of free times through the API; a refusal once over the limit."""
    return API_READS.hit(request, limit=settings.APPOINTMENT_API_READS_PER_ADDRESS_MINUTE)


def booking_refused_page(request, context: dict, *, template: str, proof_template: str = ""):
    """The page that says why a booking POST may not go on — too many attempts from this
    address (429 with ``Retry-After``, ``too_many`` in ``context``) or no acceptable proof
    of work (``proof_refused``, on ``proof_template``, default ``template``) — or None."""
    refusal = booking_attempt_refused(request)
    if refusal is not None:
        context["too_many"] = True
        response = render(request, template, context, status=429)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    verdict = proof_of_work.request_check(request)
    if not verdict.accepted:
        context["proof_refused"] = verdict
        return render(request, proof_template or template, context, status=verdict.status)
    return None
