"""Many people book the last free time at once: exactly one gets it, on SQLite and on
PostgreSQL (real threads, real commits)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from buergerbuero.appointments import services
from buergerbuero.appointments.models import Appointment, AppointmentSeat

from .conftest import at, make_centre, released

BOOKERS = 8
MONDAY = dt.date(2027, 3, 1)


def _needs_concurrent_connections():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:"):
        pytest.skip("an in-memory SQLite test database is one connection; see docs/appointments.md")


@pytest.mark.django_db(transaction=True)
def test_of_many_bookers_of_the_last_time_exactly_one_wins(ausweis):
    _needs_concurrent_connections()
    # One counter, 08:00–08:40: a 20-minute appointment can start at 08:00, 08:10, 08:20.
    centre = make_centre(slug="rennen", hours={0: [(dt.time(8), dt.time(8, 40))]})
    barrier = threading.Barrier(BOOKERS)
    won, lost, errors = [], [], []

    def booker(i):
        try:
            barrier.wait()
            appointment, _ = services.appointment_book(
                centre=centre,
                services=[ausweis],
                starts_at=at(2027, 3, 1, 8),
                name=f"Person {i}",
                email=f"person{i}@example.org",
                now=released(MONDAY),
            )
            won.append(appointment.pk)
        except services.SlotTaken as taken:
            lost.append(taken.alternatives)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=booker, args=[i]) for i in range(BOOKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(won) == 1 and len(lost) == BOOKERS - 1
    assert Appointment.objects.filter(centre=centre).count() == 1
    assert AppointmentSeat.objects.filter(centre=centre).count() == 2
    # Every loser is offered the one time still free: 08:20.
    assert all(
        [s.starts_at for s in alternatives] == [at(2027, 3, 1, 8, 20)] for alternatives in lost
    )
