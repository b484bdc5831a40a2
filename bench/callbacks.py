"""Benchmark of payment callbacks: how many signed XBezahldienste notifications per second
the product records, first once per payment and then as the repeats a service sends.

Run from the checkout, with a local PostgreSQL and Redis::

    .venv/bin/python bench/callbacks.py [--payments 2000] [--duplicates 10]
                                        [--concurrency 16] [--workers 2] [--seed 1]

It creates a PostgreSQL database of its own (dropped at the end) and migrates it, then
starts N payments through the product's own ``start_payment`` against the stand-in
XBezahldienste service (``payments/testing/xbezahldienste_server.py``, in a helper
process), so that every payment has a real transaction id, Kassenzeichen and amount.
The stand-in marks them paid and hands over the callbacks it would send: the
PaymentTransaction JSON signed with HMAC-SHA256. The product then runs as deploy/ runs it
(uvicorn with W workers on 127.0.0.1, production settings plus the callback secret and
plain http, PostgreSQL with psycopg's pool and ``CONN_MAX_AGE = 0`` as settings/base.py
sets them, Redis as cache and channel layer), and C concurrent clients POST to
``/bezahlen/rueckmeldung/xbezahldienste/``. Before measuring, the tables are vacuumed and
analysed (a production database has its statistics; a fresh one would get them from
autovacuum in the middle of a phase), and C clients warm the workers up, which also opens
the pools' connections; the report shows how many there were before and after the phases.
Orders are shuffled with ``--seed``: two runs send the same callbacks in the same order.

1. **first**: one callback per payment (each moves its payment to paid: a compare-and-set
   update, a transition row, the signal after the commit), in random order;
2. **duplicates**: every callback again ``--duplicates`` times, shuffled (read-only:
   each answers 204 without writing).

At the end the database is checked: every payment is paid and has exactly one paid
transition. It measures; it asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

from machine import cpu_model, system_ticks
from stores import (
    admin_connection,
    database_create,
    database_drop,
    redis_check_empty,
    redis_empty,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the checkout

BASE_SETTINGS = "buergerbuero.settings.bench"
SETTINGS = "bench_callbacks_settings"  # written into the run's temporary directory
GOAL_PER_SECOND = 500.0
CALLBACK_PATH = "/bezahlen/rueckmeldung/xbezahldienste/"
CEILING_PATH = "/_bench/ceiling"  # the bare view of the bench settings (BENCH_CEILING)
SIGNATURE_HEADER = "X-XBezahldienste-Signature"
DEFAULT_SERVER = "postgres://postgres:postgres@127.0.0.1:5432/"
DEFAULT_DATABASE = "bb_bench_callbacks"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"  # bench/submissions.py uses 13
WARMUP_PER_CLIENT = 20  # unmeasured requests per client before the first phase

# The bench settings plus what the product reads for XBezahldienste (the base settings
# have no environment variables for it yet).
SETTINGS_MODULE = f'''"""Settings of bench/callbacks.py (temporary)."""
import os

from {BASE_SETTINGS} import *  # noqa: F403

XBEZAHLDIENSTE_CALLBACK_SECRET = os.environ["BENCH_CALLBACK_SECRET"]
'''


# ============================================================================ Django helper
# Runs in a subprocess with the product's environment (`callbacks.py _django prepare N`),
# so that this process - the load generator - never imports Django.


def django_helper(command: str, count: str, seed: str = "1") -> None:
    import django

    django.setup()
    if command != "prepare":
        raise SystemExit(f"unknown helper command {command!r}")
    random.seed(int(seed))
    _helper_prepare(int(count))


def _helper_prepare(count: int) -> None:
    """`count` payments started at the stand-in service, paid there; prints the callbacks
    the service sends (body and signature) as JSON lines."""
    from django.test import override_settings

    from buergerbuero.payments import services
    from buergerbuero.payments.testing.xbezahldienste_server import (
        XBezahldiensteStandIn,
        provider_registered,
    )

    provider_registered()
    service = XBezahldiensteStandIn(
        callback_mode="manual", callback_secret=os.environ["BENCH_CALLBACK_SECRET"]
    )
    amounts = [random.choice((1050, 1800, 2850, 3700, 12000)) for _ in range(count)]
    with service, override_settings(**service.settings()):
        for number, amount in enumerate(amounts):
            payment, _ = services.start_payment(
                purpose=f"bench-callback:{number}",
                amount_cents=amount,
                description="Bewohnerparkausweis",
                return_url="/",
            )
            payment.refresh_from_db()
            service.settle(payment.provider_reference, "PAYED")
    for delivery in service.deliver_pending(transport=lambda url, body, headers: 204):
        print(
            json.dumps(
                {"body": delivery.body.decode(), "signature": delivery.headers[SIGNATURE_HEADER]}
            )
        )


# ============================================================================ the product


def product_env(workdir: Path, args: argparse.Namespace, secret: str) -> dict[str, str]:
    (workdir / f"{SETTINGS}.py").write_text(SETTINGS_MODULE)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": args.server_url.rstrip("/") + "/" + args.database,
        "REDIS_URL": args.redis_url,  # cache and channel layer, as deploy/ sets them
        "BENCH_CALLBACK_SECRET": secret,
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_ROOT": str(workdir / "private"),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    for name in ("DEBUG", "DEMO_MODE", "LOG_LEVEL", "DATABASE_POOL_SIZE"):
        env.pop(name, None)  # the product's (production) defaults
    return env


def helper(env: dict[str, str], *command: str) -> str:
    result = subprocess.run(
        [sys.executable, __file__, "_django", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"helper {' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def database_settle(url: str) -> None:
    """VACUUM ANALYZE after the preparation: the state autovacuum keeps a production
    database in, instead of an autovacuum run in the middle of a measured phase."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def database_connections(args: argparse.Namespace) -> int:
    """Open connections to the bench database (the workers' pools)."""
    with admin_connection(args) as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (args.database,)
        ).fetchone()[0]


def idle_busy(seconds: float = 2.0) -> float:
    """Share of the machine's CPU in use before the load: what others take from us."""
    busy, total = system_ticks()
    time.sleep(seconds)
    busy_after, total_after = system_ticks()
    return 100 * (busy_after - busy) / max(total_after - total, 1)


def database_check(url: str, payments: int) -> dict[str, int]:
    """What the callbacks left in the database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:

        def scalar(query: str) -> int:
            return connection.execute(query).fetchone()[0]

        return {
            "payments": scalar(
                "SELECT count(*) FROM payments_payment WHERE provider = 'xbezahldienste'"
            ),
            "paid": scalar(
                "SELECT count(*) FROM payments_payment "
                "WHERE provider = 'xbezahldienste' AND status = 'paid'"
            ),
            "paid_transitions": scalar(
                "SELECT count(*) FROM payments_paymenttransition WHERE to_status = 'paid'"
            ),
            "not_exactly_one": scalar(
                "SELECT count(*) FROM payments_payment p WHERE p.provider = 'xbezahldienste' "
                "AND (SELECT count(*) FROM payments_paymenttransition t "
                "WHERE t.payment_id = p.id AND t.to_status = 'paid') <> 1"
            ),
            "expected": payments,
        }


# ============================================================================ load


@dataclass
class Phase:
    name: str
    seconds: float
    latencies: list[float]  # ms, of every answered request
    answers: Counter  # HTTP status (0: no answer) -> count
    server_s: float  # CPU seconds of the uvicorn processes
    database_s: float  # CPU seconds of the bench database's PostgreSQL backends
    client_s: float  # CPU seconds of this process (the load generator)
    busy: float  # share of the machine in use, %

    @property
    def count(self) -> int:
        return sum(self.answers.values())

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def fire(
    port: int, callbacks: list[tuple[bytes, str]], concurrency: int
) -> tuple[list[float], Counter, float]:
    """Every callback POSTed once by `concurrency` clients, each on a keep-alive connection,
    sending the next as soon as the last is answered; a callback ``(b"", "")`` is a GET of
    the ceiling view instead. Returns latencies, answers and the wall-clock seconds from
    the first request to the last answer."""
    todo = deque(callbacks)
    latencies: list[float] = []
    answers: Counter = Counter()
    together = threading.Barrier(concurrency + 1)

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine_latency, mine_answers = [], Counter()
        together.wait()
        while True:
            try:
                body, signature = todo.popleft()
            except IndexError:
                break
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
            started = time.perf_counter()
            try:
                if body:
                    connection.request("POST", CALLBACK_PATH, body=body, headers=headers)
                else:
                    connection.request("GET", CEILING_PATH)
                response = connection.getresponse()
                response.read()
                mine_latency.append((time.perf_counter() - started) * 1000)
                mine_answers[response.status] += 1
            except (OSError, http.client.HTTPException):
                mine_answers[0] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.close()
        latencies.extend(mine_latency)  # list.extend is atomic under the GIL
        answers.update(mine_answers)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    together.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, answers, time.perf_counter() - began


def process_ticks(root: int) -> int:
    """CPU ticks of a process and its descendants (own and of ended children)."""
    table: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry.name)] = (int(fields[1]), sum(map(int, fields[11:15])))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo += [child for child, (parent, _) in table.items() if parent == pid]
    return total


def database_ticks(database: str) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    total += sum(map(int, fields[11:15]))
            except (OSError, UnicodeDecodeError):
                continue
    return total


TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def measured(
    name: str, port: int, server_pid: int, database: str, callbacks, concurrency: int
) -> Phase:
    server, db, busy, total = (
        process_ticks(server_pid),
        database_ticks(database),
        *system_ticks(),
    )
    client = time.process_time()
    latencies, answers, seconds = fire(port, callbacks, concurrency)
    client = time.process_time() - client
    busy_after, total_after = system_ticks()
    return Phase(
        name=name,
        seconds=seconds,
        latencies=sorted(latencies),
        answers=answers,
        server_s=(process_ticks(server_pid) - server) * TICK_S,
        # Backends that ended meanwhile are lost; the pool keeps them open throughout.
        database_s=max(0, database_ticks(database) - db) * TICK_S,
        client_s=client,
        busy=100 * (busy_after - busy) / max(total_after - total, 1),
    )


# ============================================================================ report


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    rank = max(1, -(-len(values) * share // 100))
    return values[int(rank) - 1]


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def print_report(
    args,
    database: str,
    ceiling: Phase,
    phases: list[Phase],
    check: dict,
    log: str,
    *,
    idle: float,
    connections: tuple[int, int],
) -> None:
    cores = len(os.sched_getaffinity(0))
    print("Virtuelles Bürgerbüro – payment callbacks benchmark (XBezahldienste)")
    print(
        f"  machine   {cores} CPUs usable, {cpu_model()}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )
    warning = "  (other processes are running: figures are low)" if idle > 10 else ""
    print(f"  idle CPU  {idle:.0f} % busy before the load{warning}")
    print(
        f"  software  Django {version('django')}, uvicorn {version('uvicorn')}, "
        f"psycopg {version('psycopg')}"
    )
    print(
        f"  database  {database}; connections to it {connections[0]} before the phases, "
        f"{connections[1]} after"
    )
    print(
        f"  server    uvicorn, {args.workers} workers, settings {BASE_SETTINGS} (production, "
        f"http on 127.0.0.1) + XBEZAHLDIENSTE_CALLBACK_SECRET, Redis {args.redis_url}"
    )
    print(
        f"  load      {args.concurrency} Python threads, one keep-alive connection each, POST "
        f"{CALLBACK_PATH} with the signed PaymentTransaction the stand-in service sends; "
        f"{args.payments} payments, then each callback {args.duplicates} times more; "
        f"{WARMUP_PER_CLIENT} unmeasured repeats per client first; seed {args.seed}"
    )
    print(f"  note      the load generator and PostgreSQL share the {cores} CPUs with the server")
    print()
    header = (
        f"  {'phase':<11} {'requests':>8} {'s':>5} {'req/s':>6} {'%ceil':>5} {'p50 ms':>6} "
        f"{'p95 ms':>6} {'p99 ms':>6}  {'server':>6} {'PG':>5} {'client':>6} {'other':>5}  answers"
    )
    print("Callbacks (CPU ms per request: server, PostgreSQL, load generator; other: % of the")
    print("machine taken by processes outside the benchmark, from 5 % on the run is disturbed)")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for phase in (ceiling, *phases):
        per = 1000 / max(phase.count, 1)
        ours = 100 * (phase.server_s + phase.database_s + phase.client_s) / (phase.seconds * cores)
        answers = ", ".join(f"{n} × {code or 'no answer'}" for code, n in phase.answers.items())
        print(
            f"  {phase.name:<11} {phase.count:>8} {phase.seconds:>5.1f} {phase.rate:>6.0f} "
            f"{100 * phase.rate / ceiling.rate:>4.0f}% "
            f"{ms(percentile(phase.latencies, 50)):>6} {ms(percentile(phase.latencies, 95)):>6} "
            f"{ms(percentile(phase.latencies, 99)):>6}  {phase.server_s * per:>6.2f} "
            f"{phase.database_s * per:>5.2f} {phase.client_s * per:>6.2f} "
            f"{max(0.0, phase.busy - ours):>4.0f}%  {answers}"
        )
    calls = sum(p.count for p in phases)
    print(f"  {'callbacks':<11} {calls:>8} {'':>5} {calls / sum(p.seconds for p in phases):>6.0f}")
    print()
    exact = (
        check["payments"] == check["paid"] == check["paid_transitions"] == check["expected"]
        and check["not_exactly_one"] == 0
    )
    print(
        f"Database check: {check['paid']} of {check['payments']} payments paid, "
        f"{check['paid_transitions']} paid transitions, {check['not_exactly_one']} payments "
        f"without exactly one -> {'idempotent' if exact else 'MISMATCH'}"
    )
    levels = Counter(
        words[2]
        for words in map(str.split, log.splitlines())
        if len(words) > 2 and words[2] in ("INFO", "WARNING", "ERROR", "CRITICAL")
    )
    print(f"Server log: {dict(levels) or 'empty'} (INFO: one line per payment paid)")
    print()
    print(f"Goal: >= {GOAL_PER_SECOND:.0f} callbacks/s on PostgreSQL, for the whole mix")
    mix = calls / sum(p.seconds for p in phases)
    print(f"  {'callbacks':<11} {mix:7.0f}/s   {'met' if mix >= GOAL_PER_SECOND else 'MISSED'}")
    for phase in phases:
        share = phase.rate / GOAL_PER_SECOND
        print(f"  {phase.name:<11} {phase.rate:7.0f}/s   ({share:.0%} of the goal)")


# ============================================================================ main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=2000, help="distinct payments (2000)")
    parser.add_argument(
        "--duplicates", type=int, default=10, help="repeats of each callback afterwards (10)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (2)")
    parser.add_argument(
        "--server-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER),
        help="PostgreSQL server (default: $BENCH_POSTGRES_URL or the local one)",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help=f"database created for the run and dropped after it ({DEFAULT_DATABASE})",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
        help=f"an empty Redis database, emptied at the end (default: $BENCH_REDIS_URL or "
        f"{DEFAULT_REDIS})",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the shuffled orders (1)")
    args = parser.parse_args()
    if not (0 < args.payments <= 100_000 and 0 <= args.duplicates <= 100):
        parser.error("--payments must be 1..100000 and --duplicates 0..100")
    if not 0 < args.concurrency <= 256:
        parser.error("--concurrency must be 1..256")
    return args


def main() -> int:
    from buergerbuero.core.portal_process import PortalDidNotStart, manage, running_portal

    args = parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    secret = secrets.token_urlsafe(32)
    redis_check_empty(args.redis_url)
    random.seed(args.seed)
    database_create(args)
    try:
        with tempfile.TemporaryDirectory(prefix="bb-bench-callbacks-") as tmp:
            workdir = Path(tmp)
            env = product_env(workdir, args, secret)
            print("  migrating ...", file=sys.stderr, flush=True)
            manage(env, "migrate", "--no-input", "-v", "0")
            print(f"  starting {args.payments} payments ...", file=sys.stderr, flush=True)
            # One payment more, for the warm-up.
            lines = helper(env, "prepare", str(args.payments + 1), str(args.seed)).splitlines()
            callbacks = [
                (item["body"].encode(), item["signature"]) for item in map(json.loads, lines)
            ]
            warmup, first = callbacks[:1], callbacks[1:]
            random.shuffle(first)
            repeats = first * args.duplicates
            random.shuffle(repeats)
            import psycopg

            with psycopg.connect(env["DATABASE_URL"]) as connection:
                database = (
                    "PostgreSQL "
                    + connection.execute("SHOW server_version").fetchone()[0]
                    + f" at 127.0.0.1, database {args.database}, synchronous_commit "
                    + connection.execute("SHOW synchronous_commit").fetchone()[0]
                    + ", psycopg pool (max 8 per process)"
                )
            database_settle(env["DATABASE_URL"])
            idle = idle_busy()
            log_path = workdir / "server.log"
            with running_portal(
                env,
                log_path=log_path,
                workers=args.workers,
                extra_args=("--no-access-log", "--log-level", "warning"),
                with_worker=False,
            ) as (base_url, server_pid):
                port = int(base_url.rsplit(":", 1)[1])
                C = args.concurrency  # noqa: N806
                # Unmeasured: the workers warm up on repeats of the callback of a payment of
                # its own (paid once, then read-only), at the measured concurrency, so that
                # each pool has opened the connections it will use.
                fire(port, warmup * (WARMUP_PER_CLIENT * C), C)
                connections_before = database_connections(args)
                print("  ceiling ...", file=sys.stderr, flush=True)
                ceiling = measured(
                    "ceiling", port, server_pid, args.database, [(b"", "")] * len(first), C
                )
                print("  first callbacks ...", file=sys.stderr, flush=True)
                phases = [measured("first", port, server_pid, args.database, first, C)]
                if repeats:
                    print("  duplicates ...", file=sys.stderr, flush=True)
                    phases.append(
                        measured("duplicates", port, server_pid, args.database, repeats, C)
                    )
                connections = (connections_before, database_connections(args))
            check = database_check(env["DATABASE_URL"], len(callbacks))
            log = log_path.read_text()
    except PortalDidNotStart as error:
        sys.exit(f"The server did not start:\n{error}")
    except KeyboardInterrupt:
        print("\nInterrupted; the server has been stopped.", file=sys.stderr)
        return 130
    finally:
        if not args.keep_database:
            database_drop(args)
        redis_empty(args.redis_url)
    print(file=sys.stderr)
    print_report(args, database, ceiling, phases, check, log, idle=idle, connections=connections)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_django":
        django_helper(*sys.argv[2:])
    else:
        sys.exit(main())
