"""Benchmark of the slot search: "earliest appointment anywhere" over all centres.

Run from the checkout::

    .venv/bin/python bench/appointments_search.py [--runs 30] [--booked 0.8]
                                                  [--postgres-url postgres://…/bb_bench_appointments]

In a temporary SQLite file (or a PostgreSQL database of its own, created and dropped), it
loads the Köln demo with its 9 bookable customer centres (3 counters during the opening
hours, Monday to Friday), fills a share of all seats of the next 60 days at random
(``--booked``, default 80 %), and measures

- ``earliest`` over all 9 centres × 60 days for Personalausweis (a lightly booked city),
- the same when every seat of the next 40 days is taken (the search must walk ~40 days
  of 9 centres before it finds anything: the worst case),
- the day list of one centre (``/termine/standort/<slug>/``: 42 days with their slots),

each ``--runs`` times after one warm-up, printing median, p95 and the queries per search.
Goal (issue #7): < 100 ms for 9 centres × 60 days. It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from appointments_world import drop, prepare
from machine import cpu_model

GOAL_MS = 100.0


def fill(share: float, days: int, seed: int = 7) -> int:
    """Take ``share`` of all seats of the next ``days`` days (all of them for share=1)."""
    from django.utils import timezone

    from buergerbuero.appointments.models import Appointment, AppointmentSeat, CounterPlan
    from buergerbuero.organisation.hours import centre_windows_on, local_day
    from buergerbuero.organisation.models import CustomerCentre

    rng = random.Random(seed)
    now = timezone.now()
    seats = []
    for centre in CustomerCentre.objects.prefetch_related("opening_hours", "closures"):
        holder = Appointment.objects.create(
            centre=centre,
            starts_at=now,
            ends_at=now,
            name="Belegung",
            email="b@example.org",
            token_hash="-",  # noqa: S106 (no token: a placeholder holding the seats)
        )
        plans = list(CounterPlan.objects.filter(centre=centre))
        for offset in range(days):
            day = local_day(now) + dt.timedelta(days=offset)
            for start, end in centre_windows_on(centre, day):
                moment = start
                while moment < end:
                    for plan in plans:
                        if plan.weekday != day.weekday():
                            continue
                        for counter in plan.counter_numbers:
                            if rng.random() < share:
                                seats.append(
                                    AppointmentSeat(
                                        centre=centre,
                                        counter=counter,
                                        starts_at=moment,
                                        appointment=holder,
                                    )
                                )
                    moment += dt.timedelta(minutes=10)
    AppointmentSeat.objects.bulk_create(seats, batch_size=5000, ignore_conflicts=True)
    return len(seats)


def measure(label: str, call, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm-up
    with CaptureQueriesContext(connection) as queries:
        found = call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    verdict = "ok" if p95 < GOAL_MS else "over the goal"
    print(
        f"  {label:<44} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   "
        f"{len(queries):2d} queries   {found}   {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--booked", type=float, default=0.8)
    parser.add_argument("--postgres-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bb-bench-appointments-") as tmp:
        url = args.postgres_url or f"sqlite:///{Path(tmp) / 'db.sqlite3'}"
        prepare(url)
        try:
            run(args)
        finally:
            drop(url)


def run(args) -> None:
    from django.db import connection

    from buergerbuero.appointments import slots
    from buergerbuero.appointments.models import AppointmentSeat
    from buergerbuero.catalog.models import Service
    from buergerbuero.organisation.models import CustomerCentre

    ausweis = Service.objects.get(slug="personalausweis")
    kalk = CustomerCentre.objects.get(slug="kundenzentrum-kalk")
    centres = slots.centres_offering([ausweis])
    print(
        f"Slot search – {len(centres)} centres, {slots.slot_minutes()}-minute grid, "
        f"{connection.vendor}, Python {platform.python_version()}, {cpu_model()}"
    )
    taken = fill(args.booked, 60)
    print(f"  {taken} seats taken at random ({args.booked:.0%} of the next 60 days)")

    def earliest():
        found = slots.earliest(services=[ausweis])
        return f"{len(found)} centres, first {found[0].starts_at:%d.%m. %H:%M}" if found else "none"

    def day_list():
        from django.utils import timezone

        from buergerbuero.appointments.views import _days_with_slots

        days = _days_with_slots(kalk, [ausweis], timezone.now())
        return f"{len(days)} days with slots"

    measure("earliest anywhere (9 centres × 60 days)", earliest, args.runs)
    measure("day list of one centre (42 days)", day_list, args.runs)
    AppointmentSeat.objects.all().delete()
    fill(1.0, 40)
    print("  every seat of the next 40 days taken:")
    measure("earliest anywhere, first free after 40 days", earliest, args.runs)


if __name__ == "__main__":
    main()
