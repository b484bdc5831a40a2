"""Benchmark of the call display: the counter calls the next number, how soon does the
display in the waiting area show it?

Run from the checkout::

    .venv/bin/python bench/tickets_call_display.py [--calls 50]
    .venv/bin/python bench/tickets_call_display.py --workers 2 --redis-url redis://127.0.0.1:6379/6

What one run does:

1. The portal as in bench/tickets_draws.py (demo, tickets demo, Kalk open around the clock,
   a temporary SQLite file or ``--database-url``); one uvicorn worker with the in-memory
   channel layer, or ``--workers`` with ``--redis-url`` (an empty Redis database: the
   layer's groups must be shared by the processes).
2. N tickets drawn at the kiosk (HTTP), Herr Okafor logged in at the staff login (HTTP),
   the call display's WebSocket ``ws/aufrufanzeige/kundenzentrum-kalk/`` open.
3. N times: POST "Nächste Nummer aufrufen" at Schalter 2; measured from the start of the
   POST until (a) the display's socket has read the ``called`` message with that number,
   and (b) the display has fetched its block again (``…/stand/``), as the page does.

It measures; it asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tickets_draws import CENTRE, CSRF, percentile, portal_env, prepare  # noqa: E402

from buergerbuero.core.portal_process import running_portal  # noqa: E402


def draw_tickets(client: httpx.Client, count: int) -> None:
    for _ in range(count):
        page = client.get(f"/kiosk/{CENTRE}/").text
        group = re.search(r'name="group" value="(\d+)"', page).group(1)
        client.post(
            f"/kiosk/{CENTRE}/",
            data={"group": group, "csrfmiddlewaretoken": CSRF.search(page).group(1)},
        )


def staff_login(client: httpx.Client) -> str:
    """Logs Herr Okafor in; returns the path of Schalter 2's screen."""
    page = client.get("/verwaltung/anmelden/").text
    client.post(
        "/verwaltung/anmelden/",
        data={
            "username": "okafor",
            "password": "koeln-okafor",
            "csrfmiddlewaretoken": CSRF.search(page).group(1),
        },
    )
    counters = client.get("/sachbearbeitung/schalter/").text
    return re.search(r'href="(/sachbearbeitung/schalter/\d+/)">[^<]*Schalter 2', counters).group(1)


async def measure(url: str, calls: int) -> tuple[list[float], list[float]]:
    kiosk = httpx.Client(base_url=url, timeout=30)
    staff = httpx.Client(base_url=url, timeout=30)
    draw_tickets(kiosk, calls)
    counter = staff_login(staff)
    socket_times, shown_times = [], []
    ws_url = url.replace("http://", "ws://") + f"/ws/aufrufanzeige/{CENTRE}/"
    async with websockets.connect(ws_url, origin=url) as display:
        await display.recv()  # "changed" on connect
        for _ in range(calls):
            page = staff.get(counter).text
            token = CSRF.search(page).group(1)
            start = time.perf_counter()
            post = asyncio.get_running_loop().run_in_executor(
                None,
                lambda t=token: staff.post(f"{counter}naechste/", data={"csrfmiddlewaretoken": t}),
            )
            while True:
                message = await asyncio.wait_for(display.recv(), timeout=30)
                if '"called"' in message:
                    break
            socket_times.append((time.perf_counter() - start) * 1000)
            kiosk.get(f"/aufrufanzeige/{CENTRE}/stand/")
            shown_times.append((time.perf_counter() - start) * 1000)
            await post
    kiosk.close()
    staff.close()
    return socket_times, shown_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bb-bench-display-") as tmp:
        workdir = Path(tmp)
        env = portal_env(workdir, args.database_url)
        if args.redis_url:
            env["REDIS_URL"] = args.redis_url
        prepare(env)
        with running_portal(
            env, log_path=workdir / "server.log", workers=args.workers, with_worker=False
        ) as (url, _pid):
            socket_times, shown_times = asyncio.run(measure(url, args.calls))
    layer = "Redis" if args.redis_url else "in-memory layer"
    database = "PostgreSQL" if args.database_url else "SQLite (file)"
    print(f"{args.calls} calls, {args.workers} worker(s), {layer}, {database}")
    for label, values in (("socket", socket_times), ("shown", shown_times)):
        print(
            f"  {label:<7} p50 {statistics.median(values):.0f} ms, "
            f"p95 {percentile(values, 0.95):.0f} ms, max {max(values):.0f} ms"
        )


if __name__ == "__main__":
    main()
