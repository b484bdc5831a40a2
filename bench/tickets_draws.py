"""Benchmark of simultaneous kiosk draws: N kiosks press a button at the same instant, no
number may be given twice.

Run from the checkout::

    .venv/bin/python bench/tickets_draws.py [--draws 200] [--workers 2]
    .venv/bin/python bench/tickets_draws.py --database-url postgres://postgres@127.0.0.1/bb_bench_tickets

What one run does:

1. A temporary SQLite file (or ``--database-url``; that database must exist and is
   migrated), the Stadt Köln demo, the tickets demo (tickets/demo.py), and Kundenzentrum
   Kalk open around the clock; uvicorn with ``--workers`` processes (default 2: with one,
   Django runs every sync view of a process in one thread and nothing would race).
2. N clients (threads, one HTTP connection each) GET the kiosk page (CSRF cookie, the
   group's button), wait at a barrier, then all POST "A Ausweise und Pässe" at once.
3. Printed: how many draws were answered with the redirect to the ticket, the answer times
   (p50, p95, max), and from the database: tickets made, distinct numbers, duplicates,
   whether the numbers run 1…N without a gap.

It measures; it asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from buergerbuero.core.portal_process import manage, prepare_database, running_portal  # noqa: E402

CENTRE = "kundenzentrum-kalk"
SETUP = f"""
import datetime as dt
from buergerbuero.organisation.models import CustomerCentre, OpeningHours
from buergerbuero.tickets.demo import demo_load_tickets
from buergerbuero.tickets.models import Ticket, TicketNumberCounter
centre = CustomerCentre.objects.get(slug="{CENTRE}")
centre.opening_hours.all().delete()
centre.closures.all().delete()
for weekday in range(7):
    OpeningHours.objects.create(
        centre=centre, weekday=weekday, opens=dt.time(0, 0), closes=dt.time(23, 59, 59)
    )
demo_load_tickets()
Ticket.objects.filter(centre=centre).delete()
TicketNumberCounter.objects.filter(centre_id=centre.pk).delete()
"""
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def portal_env(workdir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base",
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_ROOT": str(workdir / "private"),
        "DEMO_MODE": "true",
    }
    env.pop("REDIS_URL", None)
    return env


def prepare(env: dict[str, str]) -> None:
    prepare_database(env)
    manage(env, "shell", "-c", SETUP)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bb-bench-tickets-") as tmp:
        workdir = Path(tmp)
        env = portal_env(workdir, args.database_url)
        prepare(env)
        with running_portal(
            env, log_path=workdir / "server.log", workers=args.workers, with_worker=False
        ) as (url, _pid):
            barrier = threading.Barrier(args.draws)
            answers: list[tuple[int, float]] = []
            failures: list[str] = []

            def kiosk() -> None:
                with httpx.Client(base_url=url, timeout=60) as client:
                    try:
                        page = client.get(f"/kiosk/{CENTRE}/").text
                        token = CSRF.search(page).group(1)
                        group = re.search(r'name="group" value="(\d+)"', page).group(1)
                    except Exception as error:  # noqa: BLE001 — counted
                        failures.append(f"GET: {error}")
                        barrier.abort()
                        return
                    barrier.wait()
                    start = time.perf_counter()
                    try:
                        response = client.post(
                            f"/kiosk/{CENTRE}/",
                            data={"group": group, "csrfmiddlewaretoken": token},
                        )
                        answers.append((response.status_code, time.perf_counter() - start))
                    except Exception as error:  # noqa: BLE001 — counted
                        failures.append(f"POST: {error}")

            threads = [threading.Thread(target=kiosk) for _ in range(args.draws)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        os.environ.update(env)
        import django

        django.setup()
        from buergerbuero.tickets.models import Ticket

        numbers = list(Ticket.objects.filter(centre__slug=CENTRE).values_list("number", flat=True))
        redirected = sum(1 for status, _ in answers if status == 302)
        times = [seconds * 1000 for _, seconds in answers]
        database = "PostgreSQL" if args.database_url else "SQLite (file)"
        print(f"{args.draws} simultaneous kiosk draws, {args.workers} workers, {database}")
        print(
            f"  answered  {len(answers)} ({redirected} × 302 to the ticket), "
            f"failures {len(failures)}"
        )
        if failures:
            print(f"            first failure: {failures[0]}")
        if times:
            print(
                f"  POST      p50 {statistics.median(times):.0f} ms, "
                f"p95 {percentile(times, 0.95):.0f} ms, max {max(times):.0f} ms"
            )
        duplicates = len(numbers) - len(set(numbers))
        gapless = sorted(numbers) == list(range(1, len(numbers) + 1))
        print(
            f"  database  {len(numbers)} tickets, {len(set(numbers))} distinct numbers, "
            f"{duplicates} duplicates, 1…{len(numbers)} without a gap: {gapless}"
        )


if __name__ == "__main__":
    main()
