"""Benchmark of the booking race: 500 people want the last 20 times at once.

Run from the checkout, with a local PostgreSQL::

    .venv/bin/python bench/appointments_race.py [--bookers 500] [--slots 20] [--runs 5]
        [--pool 30] [--postgres-url postgres://postgres@127.0.0.1:5432/bb_bench_appointments]

It creates a PostgreSQL database of its own (dropped at the end), migrates it, loads the
Köln demo with the bookable centres, and adds a centre with one counter whose only
window holds exactly ``--slots`` ten-minute appointments (Wohnsitz ummelden). Each run
empties that centre's appointments, then starts ``--processes`` processes (like uvicorn
workers, one per core); each makes one booking at another centre and deletes it (a
server process has its templates and translations loaded), then ``--bookers`` requests in
all arrive at one barrier, each for one of the 20 times drawn at random (as if each had
picked one on the page a moment ago). Each process serves its share with ``--threads``
worker threads (default: as many as its pool has connections, like a server's thread
pool), one request after another; a booker's answer time counts from the barrier, so
the wait in that queue is included. ``--threads 0``: a thread per booker, all at once
(the earlier model: the pool and the GIL become the queue). Each process has the
product's psycopg pool of ``--pool`` connections (PostgreSQL allows 100 here; the pool
gives up after 10 s), so this is 500 requests served by bounded pools, not 500
connections.

Printed per run: bookings made (must equal ``--slots``: every time booked once, none
twice), losers, errors other than SlotTaken, seats in the database, and the answer time
of the losers (from the barrier to SlotTaken: median, p95, max) and of the winners.
It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import threading
import time

from appointments_world import drop, prepare
from machine import cpu_model


def setup_centre(slots: int):
    from buergerbuero.appointments.models import BookableService, CounterPlan
    from buergerbuero.catalog.models import Service
    from buergerbuero.organisation.models import CustomerCentre, OpeningHours

    centre = CustomerCentre.objects.create(
        slug="bench-rennen",
        name="Bench",
        district="Kalk",
        street="Bench 1",
        postcode="51103",
        city="Köln",
    )
    end = (dt.datetime(2000, 1, 1, 8) + dt.timedelta(minutes=10 * slots)).time()
    for weekday in range(7):
        OpeningHours.objects.create(centre=centre, weekday=weekday, opens=dt.time(8), closes=end)
        CounterPlan.objects.create(
            centre=centre, weekday=weekday, starts=dt.time(8), ends=end, counters=1
        )
    service = Service.objects.get(slug="wohnsitz-ummelden")
    BookableService.objects.create(centre=centre, service=service, minutes=10)
    return centre, service


def percentile(values, share):
    values = sorted(values)
    return values[max(0, round(share * len(values)) - 1)] if values else float("nan")


def _warm_up(centre, service, now):
    """One booking at another centre, deleted again: a server process that has served
    requests before has its templates compiled and its translations loaded (a fresh
    process spends ~2 s on that in its first 20 emails at once, with the seats held).
    The race centre's hours and plans are not cached by it: its bookers read them."""
    from buergerbuero.appointments import services, slots
    from buergerbuero.appointments.models import Appointment
    from buergerbuero.organisation.models import CustomerCentre

    other = (
        CustomerCentre.objects.exclude(pk=centre.pk)
        .filter(bookable_services__service=service, bookable_services__active=True)
        .order_by("pk")
        .first()
    )
    first = slots.earliest(services=[service], centres=[other], now=now)[0]
    day = first.starts_at.date()
    free = slots.slots_on(centre=other, services=[service], day=day, now=now)
    for slot in free[os.getpid() % len(free) :] + free:  # the other process takes another
        try:
            appointment, _ = services.appointment_book(
                centre=other,
                services=[service],
                starts_at=slot.starts_at,
                name="Warm-up",
                email=f"warm-up-{os.getpid()}@example.org",
                now=now,
            )
        except services.SlotTaken:
            continue
        Appointment.objects.filter(pk=appointment.pk).delete()
        return


def _process(centre_id, service_id, picks, offset, now, barrier, results, workers):
    """One process's share of the bookers. ``workers`` 0: a thread per booker, all behind
    the shared barrier. Otherwise ``workers`` threads (like a server's worker threads)
    wait at the barrier, at which moment all of this process's bookers have arrived, and
    serve them one after another from a queue; each booker's answer time still counts
    from the barrier (the moment it arrived), so waiting in the queue is included.
    A spawned process: Django is set up afresh (a forked copy of psycopg's pool has no
    worker threads and hands out nothing)."""
    import queue as queues

    import django

    django.setup()
    from django.db import connection, connections

    from buergerbuero.appointments import services
    from buergerbuero.catalog.models import Service
    from buergerbuero.organisation.models import CustomerCentre

    connections.close_all()  # never share the parent's connections
    centre = CustomerCentre.objects.get(pk=centre_id)
    service = Service.objects.get(pk=service_id)
    _warm_up(centre, service, now)
    connection.close()
    # A server's pool is warm: open all its connections before the race, not during it.
    pool = connection.pool
    pool.resize(min_size=pool.max_size, max_size=pool.max_size)
    pool.wait(timeout=60)
    won, lost, errors = [], [], []

    def booker(i, started=None):
        try:
            if started is None:
                barrier.wait(timeout=120)  # a process that failed to start breaks it
                started = time.perf_counter()
            try:
                services.appointment_book(
                    centre=centre,
                    services=[service],
                    starts_at=picks[i],
                    name=f"Person {offset + i}",
                    email=f"p{offset + i}@example.org",
                    now=now,
                )
                won.append(time.perf_counter() - started)
            except services.SlotTaken:
                lost.append(time.perf_counter() - started)
        except Exception as error:  # noqa: BLE001 (counted and shown)
            errors.append(repr(error)[:120])
        finally:
            connection.close()

    if workers:
        waiting = queues.SimpleQueue()
        for i in range(len(picks)):
            waiting.put(i)

        def worker():
            try:
                barrier.wait(timeout=120)
            except Exception as error:  # noqa: BLE001 (counted and shown)
                errors.append(repr(error)[:120])
                return
            arrived = time.perf_counter()
            while True:
                try:
                    i = waiting.get_nowait()
                except queues.Empty:
                    return
                booker(i, arrived)

        threads = [threading.Thread(target=worker) for _ in range(workers)]
    else:
        threads = [threading.Thread(target=booker, args=[i]) for i in range(len(picks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((won, lost, errors))


def run_once(centre, service, bookers: int, processes: int, now, workers: int) -> dict:
    import multiprocessing

    from django.db import connections

    from buergerbuero.appointments import slots
    from buergerbuero.appointments.models import Appointment, AppointmentSeat

    Appointment.objects.filter(centre=centre).delete()
    day = slots.last_released_day(now)
    free = slots.slots_on(centre=centre, services=[service], day=day, now=now)
    times = [s.starts_at for s in free]
    rng = random.Random(bookers)
    picks = [rng.choice(times) for _ in range(bookers)]
    context = multiprocessing.get_context("spawn")
    share = -(-bookers // processes)
    parties = bookers if not workers else workers * len(range(0, bookers, share))
    barrier, results = context.Barrier(parties), context.Queue()
    connections.close_all()
    workers = [
        context.Process(
            target=_process,
            args=(centre.pk, service.pk, picks[k : k + share], k, now, barrier, results, workers),
        )
        for k in range(0, bookers, share)
    ]
    for worker in workers:
        worker.start()
    won, lost, errors = [], [], []
    for _ in workers:
        w, l_, e = results.get(timeout=300)
        won += w
        lost += l_
        errors += e
    for worker in workers:
        worker.join()
    return {
        "times": len(times),
        "booked": Appointment.objects.filter(centre=centre).count(),
        "seats": AppointmentSeat.objects.filter(centre=centre).count(),
        "won": won,
        "lost": lost,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookers", type=int, default=500)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pool", type=int, default=30, help="connections per process")
    parser.add_argument("--processes", type=int, default=2, help="like uvicorn workers")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="worker threads per process serving the bookers in turn (default: --pool, "
        "like a server's thread pool); 0: one thread per booker, all at once",
    )
    parser.add_argument(
        "--postgres-url", default="postgres://postgres@127.0.0.1:5432/bb_bench_appointments"
    )
    args = parser.parse_args()
    threads = args.pool if args.threads is None else args.threads
    prepare(args.postgres_url, pool_size=args.pool)
    try:
        from django.db import connection
        from django.utils import timezone

        centre, service = setup_centre(args.slots)
        now = timezone.now()
        print(
            f"Booking race – {args.bookers} bookers in {args.processes} processes, "
            f"{args.slots} free times, a pool of {args.pool} connections per process, "
            + (f"{threads} worker threads per process, " if threads else "a thread per booker, ")
            + f"PostgreSQL {connection.pg_version // 10000}, "
            f"Python {platform.python_version()}, {cpu_model()}"
        )
        print(
            "  run  times  booked  seats  losers  errors   losers ms: median    p95    max"
            "   winners ms: median    max"
        )
        for run in range(1, args.runs + 1):
            result = run_once(centre, service, args.bookers, args.processes, now, threads)
            lost = [t * 1000 for t in result["lost"]]
            won = [t * 1000 for t in result["won"]]
            print(
                f"  {run:3d}  {result['times']:5d}  {result['booked']:6d}  {result['seats']:5d}  "
                f"{len(lost):6d}  {len(result['errors']):6d}   "
                f"{statistics.median(lost) if lost else float('nan'):17.0f} "
                f"{percentile(lost, 0.95):6.0f} {max(lost, default=float('nan')):6.0f}"
                f"   {statistics.median(won) if won else float('nan'):18.0f} "
                f"{max(won, default=float('nan')):6.0f}"
            )
            for error in sorted(set(result["errors"]))[:3]:
                print(f"       error: {error}")
    finally:
        drop(args.postgres_url)


if __name__ == "__main__":
    main()
