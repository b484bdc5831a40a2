"""Races with real threads: kiosks drawing at the same instant, counters calling at once.

They need a database with real concurrent connections, so they skip on the in-memory SQLite
of the default run. Run them on SQLite in a file (the writer lock serialises) and on
PostgreSQL (row locks, SKIP LOCKED)::

    env -u DATABASE_URL pytest --ds=buergerbuero.tickets.tests.sqlite_file_settings \
        buergerbuero/tickets/tests/test_races.py
    DATABASE_URL=postgres://postgres@127.0.0.1/bb_tickets pytest \
        buergerbuero/tickets/tests/test_races.py
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from buergerbuero.tickets import services
from buergerbuero.tickets.models import Counter, Ticket

from .conftest import make_centre, make_groups

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _concurrent_database():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:"):
        pytest.skip("needs a database with concurrent connections: see the module docstring")


def in_threads(count: int, work) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(index):
        try:
            barrier.wait()
            results.append(work(index))
        except Exception as error:  # noqa: BLE001 — reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_fifty_kiosks_drawing_at_once_get_fifty_numbers():
    centre = make_centre()
    a, _ = make_groups(centre)

    results, errors = in_threads(
        50, lambda i: services.ticket_draw(centre=centre, group=a, source="kiosk").number
    )

    assert not errors, errors
    assert sorted(results) == list(range(1, 51))
    assert Ticket.objects.filter(centre=centre).count() == 50


def test_two_counters_calling_at_once_get_two_different_tickets():
    centre = make_centre()
    a, _ = make_groups(centre)
    counters = []
    for name in ("Schalter 1", "Schalter 2"):
        counter = Counter.objects.create(centre=centre, name=name, is_open=True)
        counter.groups.set([a])
        counters.append(counter)
    for _ in range(3):
        services.ticket_draw(centre=centre, group=a, source="kiosk")

    for _round in range(5):  # several rounds: a race that loses sometimes still shows
        Ticket.objects.update(state="waiting", counter=None, called_at=None)
        results, errors = in_threads(2, lambda i: services.counter_call_next(counter=counters[i]))
        assert not errors, errors
        assert all(ticket is not None for ticket in results)
        assert results[0].pk != results[1].pk
        assert Ticket.objects.filter(state="called").count() == 2


def test_one_press_arriving_twice_at_once_is_one_ticket_and_takes_one_number():
    # The kiosk's retry overtakes the first request still in flight: same key, same instant.
    centre = make_centre()
    a, _ = make_groups(centre)

    for _round in range(5):
        key = uuid.uuid4()
        results, errors = in_threads(
            4,
            lambda i, key=key: (
                services.ticket_draw(centre=centre, group=a, source="kiosk", draw_key=key).pk
            ),
        )
        assert not errors, errors
        assert len(set(results)) == 1
        assert Ticket.objects.filter(draw_key=key).count() == 1
    # No number was lost to the losers: five presses, A-001 … A-005.
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
