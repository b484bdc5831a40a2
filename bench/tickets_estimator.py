"""Benchmark of the waiting-time estimate of the walk-in queue (tickets/waiting_time.py).

Run from the checkout (no database, no server; a second or two)::

    .venv/bin/python bench/tickets_estimator.py [--seed 7] [--days 5] [--typical 10]

A synthetic day of a customer centre, 08:00 to 18:00, simulated event by event:

- **arrivals**: a Poisson process whose rate rises to a mid-morning peak, falls over lunch
  and rises a little in the afternoon;
- **service times**: log-normal (σ = 0.45) around a median that drifts through the day
  (7 minutes at opening, 12 at midday, 9 in the evening), so a fixed figure is wrong
  most of the day;
- **counters**: 2 open at 08:00, 4 from 09:00, one to lunch 12:00–13:30 and another
  12:30–14:00, 2 again from 16:30. A counter that closes finishes its current ticket.
  One queue, first come first served.

Every arrival is estimated at the moment it draws its ticket, with what the system knows
then: the service times of tickets done so far today, the counters open now, the tickets
ahead of it. The same arrivals go through the **estimator** and through a **fixed-average
baseline** (``typical`` minutes per ticket ahead, divided by the counters open now). The
true wait is when the ticket was called. Printed per day and over all days: the mean
absolute error and the share of tickets whose estimate is within ±30 % or ±5 minutes of
the true wait (goal ≥ 80 %), and the share whose true wait fell inside the range shown.

Deterministic with ``--seed``. It measures; it asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from buergerbuero.tickets.waiting_time import ServiceTimes, estimate_wait  # noqa: E402

OPEN, CLOSE = 8 * 60, 18 * 60
# (minute of day, counters open from then on)
COUNTER_PLAN = [(480, 2), (540, 4), (720, 3), (750, 2), (810, 3), (840, 4), (990, 2)]


def arrival_rate(minute: float) -> float:
    """Arrivals per minute."""
    hour = minute / 60
    morning = 0.45 * math.exp(-((hour - 10.0) ** 2) / 2.0)
    afternoon = 0.25 * math.exp(-((hour - 15.0) ** 2) / 1.5)
    return 0.08 + morning + afternoon


def median_service(minute: float) -> float:
    hour = minute / 60
    if hour < 12:
        return 7 + (hour - 8) * 5 / 4  # 7 → 12
    return 12 - (hour - 12) * 3 / 6  # 12 → 9


def counters_at(minute: float) -> int:
    count = 0
    for start, open_ in COUNTER_PLAN:
        if minute >= start:
            count = open_
    return count


def simulate(rng: random.Random, typical: float):
    """One day; returns (true wait, estimate, low, high, baseline) per ticket."""
    arrivals, t = [], OPEN
    rate_max = 0.8
    while True:  # thinning
        t += rng.expovariate(rate_max)
        if t >= CLOSE - 30:  # the last tickets half an hour before closing
            break
        if rng.random() < arrival_rate(t) / rate_max:
            arrivals.append(t)
    events: list[tuple[float, int, str, object]] = []
    seq = 0

    def push(time, kind, data=None):
        nonlocal seq
        seq += 1
        heapq.heappush(events, (time, seq, kind, data))

    for a in arrivals:
        push(a, "arrive")
    for start, _ in COUNTER_PLAN:
        push(start, "plan")
    open_target = 0
    busy: dict[int, bool] = {}  # counter id -> busy
    is_open: dict[int, bool] = {}
    queue: list[dict] = []
    done_times: list[float] = []
    results = []

    def call_free(now):
        for cid in sorted(is_open):
            if is_open[cid] and not busy.get(cid) and queue:
                ticket = queue.pop(0)
                ticket["called"] = now
                busy[cid] = True
                service = rng.lognormvariate(math.log(median_service(now)), 0.45)
                push(now + service, "done", (cid, service))
                results.append(ticket)

    while events:
        now, _, kind, data = heapq.heappop(events)
        if kind == "plan":
            open_target = counters_at(now)
            for cid in range(6):
                is_open[cid] = cid < open_target
        elif kind == "arrive":
            capacity = sum(1 for cid in is_open if is_open[cid])
            free = sum(1 for cid in is_open if is_open[cid] and not busy.get(cid))
            ahead = len(queue)
            times = ServiceTimes.learn(done_times, typical)
            est = estimate_wait(ahead, times, capacity, free)
            baseline = (ahead + 0.5) * typical / max(capacity, 1)
            queue.append({"arrived": now, "est": est, "baseline": baseline})
        elif kind == "done":
            cid, service = data
            busy[cid] = False
            done_times.append(service)
        call_free(now)
    return [
        (t["called"] - t["arrived"], t["est"].minutes, t["est"].low, t["est"].high, t["baseline"])
        for t in results
    ]


def within(estimate: float, true: float) -> bool:
    return abs(estimate - true) <= max(0.3 * true, 5.0)


def report(label: str, rows) -> None:
    n = len(rows)
    mae = sum(abs(e - w) for w, e, *_ in rows) / n
    mae_base = sum(abs(b - w) for w, _e, _l, _h, b in rows) / n
    ok = sum(within(e, w) for w, e, *_ in rows) / n
    ok_base = sum(within(b, w) for w, _e, _l, _h, b in rows) / n
    in_range = sum(lo <= w <= hi for w, _e, lo, hi, _b in rows) / n
    mean_wait = sum(w for w, *_ in rows) / n
    print(
        f"{label:<8} {n:>6} {mean_wait:>9.1f} {mae:>9.1f} {mae_base:>9.1f} "
        f"{ok:>8.0%} {ok_base:>8.0%} {in_range:>8.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--typical", type=float, default=10.0, help="configured minutes")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"seed {args.seed}, typical {args.typical:g} min; within = ±30 % or ±5 min (goal ≥ 80 %)")
    print(
        f"{'day':<8} {'tickets':>6} {'mean wait':>9} {'MAE est':>9} {'MAE base':>9} "
        f"{'est ok':>8} {'base ok':>8} {'in range':>8}"
    )
    every = []
    for day in range(1, args.days + 1):
        rows = simulate(rng, args.typical)
        every += rows
        report(f"day {day}", rows)
    report("all", every)


if __name__ == "__main__":
    main()
