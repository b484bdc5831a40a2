"""Row locks of the appointments, in one place.

Double booking is prevented by the unique constraint on the seats, not by a lock; the
lock here only serialises changes of one appointment (cancel, move, check-in) so that two
clicks cannot, say, move and cancel it at once.
"""

from __future__ import annotations

from .models import Appointment


def appointment_lock(appointment_id: int) -> Appointment:
    """The appointment, locked for the rest of the transaction (call inside ``atomic``)."""
    return Appointment.objects.select_for_update().select_related("centre").get(pk=appointment_id)
