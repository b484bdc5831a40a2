"""Benchmark of the video office's waiting rooms: many open WebSockets, queue moves to all.

Run from the checkout::

    .venv/bin/python bench/video_waiting_room.py [--connections 5000] [--moves 20]
    .venv/bin/python bench/video_waiting_room.py --database-url postgres://… --redis-url redis://…

What one run does (goal of issue #6: ≥ 5,000 waiting rooms held on one 2-core machine,
every position update delivered within 1 s at p95, server memory under 2 GB):

1. A throw-away product: a temporary SQLite file (or the database of ``--database-url``;
   its old knocks of the office are deleted first), ``prepare_database`` (migrate, Stadt
   Köln demo) with the production settings over http (``buergerbuero.settings.bench``),
   the demo office ``buergerservice`` (open around the clock, holidays too).
2. N citizens already in the queue, made in this process through the ORM: one Django
   session each, created with the configured session engine and holding the knock's id
   (as ``services.knock_create`` leaves it), and N waiting knocks, bulk-created in queue
   order.
3. One uvicorn process as production starts it (``running_portal``, no task worker), the
   in-memory channel layer, or Redis with ``--redis-url`` (an empty database; emptied
   afterwards). The soft limit of open files is raised to the hard limit here; the server
   inherits it.
4. N WebSocket clients in this process (asyncio, uvloop, the ``websockets`` library that
   uvicorn[standard] brings, per-message deflate offered as browsers do), each with its
   citizen's session cookie and the ``Origin`` a browser sends, opened in batches. Each
   waits for its first ``position`` message.
5. M queue moves, one after the other: the citizen at the head of the queue sends
   ``{"type": "leave"}`` over its own socket; the server takes the knock out of the queue
   and broadcasts the move, and every room behind it gets a ``position`` message. Measured
   per delivery: from sending ``leave`` until that room's message is read, both on this
   process' clock; each new position is checked against the expected one.
6. The server's memory (VmRSS of uvicorn and its children, and its peak VmHWM) before the
   clients connect, once they are connected and after the moves; its CPU time per phase.

Latencies include the load generator's own work: the clients share the 2 cores with the
server and read 5,000 messages per move one after the other, so the figures are an upper
bound of what a citizen's browser sees. It measures; it asserts nothing. See
bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module, metadata
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the checkout

from machine import cpu_model, system_ticks  # noqa: E402

SETTINGS = "buergerbuero.settings.bench"
OFFICE = "buergerservice"
GOAL_CONNECTIONS = 5000
GOAL_P95_MS = 1000.0
GOAL_MEMORY_MIB = 2048.0
FD_HEADROOM = 200  # files the processes need besides the sockets


# ---------------------------------------------------------------------------- the product


def product_env(workdir: Path, database_url: str | None, redis_url: str | None) -> dict:
    """The environment of manage.py, the server and Django in this process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_ROOT": str(workdir / "private"),
        # Every knock of the bench comes from 127.0.0.1.
        "VIDEO_KNOCKS_PER_CLIENT": "1000000",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextlib.contextmanager
def redis_emptied(redis_url: str | None) -> Iterator[None]:
    """Demand an empty Redis database and empty it afterwards: group memberships left by
    another run would receive every broadcast (and a failed run leaves some)."""
    if not redis_url:
        yield
        return
    import redis

    client = redis.Redis.from_url(redis_url)
    if client.dbsize():
        sys.exit(f"{redis_url} is not empty: use an empty Redis database (or flush it).")
    try:
        yield
    finally:
        client.flushdb()


def raise_open_files(needed: int) -> int:
    """Raise this process' soft limit of open files (the server inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        sys.exit(f"ulimit -Hn is {hard}, {needed} open files are needed: raise the hard limit.")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def django_setup(env: dict) -> None:
    """Django in this process, on the same database and settings as the server."""
    os.environ.update(env)
    import django

    django.setup()


def office_ready():
    """The demo's always-open Bürgerservice with an empty queue."""
    from buergerbuero.videooffice.demo import demo_load_offices
    from buergerbuero.videooffice.models import Knock, VideoOffice

    if not VideoOffice.objects.filter(slug=OFFICE).exists():
        demo_load_offices()  # the core demo does not load the video offices (yet)
    office = VideoOffice.objects.get(slug=OFFICE)
    Knock.objects.filter(office=office).delete()  # a reused database's earlier runs
    return office


def citizens_waiting(office, count: int) -> list[tuple[str, str]]:
    """``count`` waiting knocks at ``office``, first in line first, each owned by a Django
    session of its own (as services.knock_create leaves it): [(knock id, session key)]."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from buergerbuero.videooffice.models import CallMode, Knock, KnockState
    from buergerbuero.videooffice.services import SESSION_KNOCKS

    store = import_module(settings.SESSION_ENGINE).SessionStore
    start = timezone.now() - dt.timedelta(minutes=30)
    citizens, knocks = [], []
    with transaction.atomic():
        for n in range(count):
            public_id = uuid.uuid4()
            session = store()
            session[SESSION_KNOCKS] = [str(public_id)]
            session.create()
            citizens.append((str(public_id), session.session_key))
            knocks.append(
                Knock(
                    public_id=public_id,
                    office=office,
                    session_key=session.session_key,
                    language="de",
                    mode=CallMode.VIDEO,
                    consent_at=start,
                    state=KnockState.WAITING,
                    queue_at=start + dt.timedelta(milliseconds=n),
                    away_since=None,
                )
            )
        Knock.objects.bulk_create(knocks, batch_size=500)
    return citizens


def database_description(env: dict) -> str:
    from django.db import connection

    version = ".".join(map(str, connection.get_database_version()))
    url = urlsplit(env["DATABASE_URL"])
    if url.scheme.startswith("sqlite"):
        return f"{connection.display_name} {version}, temporary file"
    return f"{connection.display_name} {version} at {url.hostname}:{url.port or ''}{url.path}"


def channel_layer_description(env: dict) -> str:
    """The layer the server runs with (the same settings as Django in this process)."""
    from django.conf import settings

    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if "REDIS_URL" not in env:
        return f"in-memory ({backend}, one process)"
    url = urlsplit(env["REDIS_URL"])
    return f"Redis ({backend}) at {url.hostname}:{url.port or 6379}{url.path}"


# ---------------------------------------------------------------------------- the machine


def machine_lines() -> list[str]:
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("Django", "uvicorn", "channels", "websockets", "uvloop")
    )
    return [
        f"  machine   {len(os.sched_getaffinity(0))} CPUs usable, {cpu_model()}, "
        f"Linux {platform.release()}, Python {platform.python_version()}",
        f"  software  {versions}",
    ]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn with --workers > 1 forks)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_mib(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of the server's processes, in MiB."""
    tree = process_tree(pid)
    rss = sum(_status_kib(p, "VmRSS") for p in tree)
    peak = sum(_status_kib(p, "VmHWM") for p in tree)
    return rss / 1024, peak / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server's processes."""
    ticks = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Usage:
    """CPU seconds of a phase: the server, the clients (this process), and the share of the
    machine that other processes took (from a few % on, the run was disturbed)."""

    wall: float
    server: float
    clients: float
    other: float

    def line(self, per: int = 0, unit: str = "") -> str:
        each = f" ({self.server / per * 1000:.2f} ms per {unit})" if per else ""
        return (
            f"CPU s: server {self.server:.1f}{each}, clients {self.clients:.1f}, "
            f"other processes {self.other:.0f} % of the machine"
        )


class Meter:
    """Measures the CPU use of one phase (see Usage)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.started = time.perf_counter()
        self.server = cpu_seconds(server_pid)
        self.clients = own_cpu_seconds()
        self.ticks = system_ticks()

    def stop(self) -> Usage:
        wall = time.perf_counter() - self.started
        server = cpu_seconds(self.server_pid) - self.server
        clients = own_cpu_seconds() - self.clients
        busy, total = (now - then for now, then in zip(system_ticks(), self.ticks, strict=True))
        cores = len(os.sched_getaffinity(0))
        busy_s = busy / total * wall * cores if total else 0.0
        other = max(busy_s - server - clients, 0.0) / (wall * cores) * 100
        return Usage(wall, server, clients, other)


# ---------------------------------------------------------------------------- the figures


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.95 = p95) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def spread_ms(values: list[float]) -> str:
    """p50 / p95 / max of durations in seconds, printed in ms."""
    if not values:
        return "     –        –        –"
    return (
        f"{percentile(values, 0.5) * 1000:8.1f} {percentile(values, 0.95) * 1000:8.1f} "
        f"{max(values) * 1000:8.1f}"
    )


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def log_summary(log_path: Path) -> str:
    """The server log in a line: its size, its errors; a log with errors is kept (the
    temporary directory is not) and its most frequent exception lines are shown."""
    lines = log_path.read_text(errors="replace").splitlines()
    problems = [n for n, line in enumerate(lines) if "Traceback" in line or "ERROR" in line]
    summary = f"Server log: {len(lines)} lines, {len(problems)} with ERROR or Traceback"
    if not problems:
        return summary
    kept = Path(tempfile.gettempdir()) / f"{log_path.parent.name}-server.log"
    kept.write_text("\n".join(lines) + "\n")
    # The last line of each traceback names the exception.
    exceptions: dict[str, int] = {}
    for n, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = n + 1
            while end < len(lines) and (lines[end].startswith(" ") or not lines[end]):
                end += 1
            if end < len(lines):
                exceptions[lines[end][:160]] = exceptions.get(lines[end][:160], 0) + 1
    top = sorted(exceptions.items(), key=lambda item: -item[1])[:3]
    return "\n".join([f"{summary} (kept in {kept})", *(f"  {n} × {text}" for text, n in top)])


# ---------------------------------------------------------------------------- the clients


@dataclass
class Move:
    """One queue move: who should hear of it, and when each did."""

    sent_at: float
    expected: int
    latencies: list[float] = field(default_factory=list)
    wrong: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def heard(self, at: float, right: bool) -> None:
        self.latencies.append(at - self.sent_at)
        self.wrong += not right
        if len(self.latencies) >= self.expected:
            self.done.set()


class Moves:
    """The moves in flight, found by the queue length their messages announce."""

    def __init__(self) -> None:
        self.by_waiting: dict[int, Move] = {}

    def heard(self, room: Room, at: float, message: dict) -> None:
        move = self.by_waiting.get(message["waiting"])
        if move is not None:
            room.expected_position -= 1
            move.heard(at, message["position"] == room.expected_position)


class Room:
    """One citizen's waiting-room page: its socket and what it has read."""

    def __init__(self, index: int, knock_id: str, session_key: str) -> None:
        self.index, self.knock_id, self.session_key = index, knock_id, session_key
        self.socket = None
        self.handshake = 0.0  # s from starting to connect until the socket is open
        self.first_position = 0.0  # s from starting to connect until the first position
        self.expected_position = 0
        self.error = ""
        self.closed = False
        self.messages: dict[str, int] = {}

    async def open(self, ws_url: str, origin: str, moves: Moves, opened: asyncio.Event) -> None:
        from websockets.asyncio.client import connect

        started = time.perf_counter()
        first = asyncio.get_running_loop().create_future()
        try:
            self.socket = await connect(
                f"{ws_url}/ws/video/warteraum/{self.knock_id}/",
                origin=origin,
                additional_headers={"Cookie": f"sessionid={self.session_key}"},
                ping_interval=None,  # browsers do not ping; the server does
                open_timeout=120,
                close_timeout=5,
            )
            self.handshake = time.perf_counter() - started
            asyncio.get_running_loop().create_task(self._read(moves, first))
            position = await asyncio.wait_for(first, 120)
            self.first_position = time.perf_counter() - started
            self.expected_position = position
        except Exception as error:  # noqa: BLE001 — counted and printed, the run goes on
            self.error = type(error).__name__
        finally:
            opened.set()

    async def _read(self, moves: Moves, first: asyncio.Future) -> None:
        try:
            async for raw in self.socket:
                at = time.perf_counter()
                message = json.loads(raw)
                kind = message.get("type", "?")
                self.messages[kind] = self.messages.get(kind, 0) + 1
                if kind != "position":
                    continue
                if not first.done():
                    first.set_result(message["position"])
                else:
                    moves.heard(self, at, message)
        except Exception as error:  # noqa: BLE001
            self.error = self.error or type(error).__name__
        finally:
            self.closed = True
            if not first.done():
                first.set_exception(ConnectionError("closed before the first position"))


async def rooms_open(
    rooms: list[Room], ws_url: str, origin: str, moves: Moves, batch: int
) -> float:
    """Open every room, ``batch`` at a time (each batch until its first positions);
    returns the wall time."""
    started = time.perf_counter()
    for first in range(0, len(rooms), batch):
        events = []
        for room in rooms[first : first + batch]:
            opened = asyncio.Event()
            events.append(opened.wait())
            asyncio.get_running_loop().create_task(room.open(ws_url, origin, moves, opened))
        await asyncio.gather(*events)
        done = first + len(events)
        if done % (batch * 10) == 0 or done == len(rooms):
            ok = sum(1 for room in rooms[:done] if not room.error)
            print(f"  {done} rooms opened, {ok} with a position", file=sys.stderr, flush=True)
    return time.perf_counter() - started


async def rooms_close(rooms: list[Room]) -> None:
    await asyncio.gather(
        *(room.socket.close() for room in rooms if room.socket is not None and not room.closed),
        return_exceptions=True,
    )


# ---------------------------------------------------------------------------- the run


@dataclass
class MoveResult:
    number: int
    recipients: int
    move: Move


async def moves_run(rooms: list[Room], moves: Moves, count: int, timeout: float, gap: float):
    """``count`` times: the first open room in line leaves; wait until everyone behind it
    heard of it (or ``timeout``)."""
    results = []
    live = [room for room in rooms if not room.error]
    for number in range(1, count + 1):
        if len(live) < 2:
            break
        leaver, live = live[0], live[1:]
        # Every knock of the bench waits, its room connected or not: each move is one less.
        waiting = len(rooms) - number
        recipients = [room for room in live if not room.closed]
        move = Move(sent_at=time.perf_counter(), expected=len(recipients))
        moves.by_waiting[waiting] = move
        await leaver.socket.send(json.dumps({"type": "leave"}))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(move.done.wait(), timeout)
        del moves.by_waiting[waiting]
        results.append(MoveResult(number, len(recipients), move))
        print(
            f"  move {number}: {len(move.latencies)} of {len(recipients)} delivered",
            file=sys.stderr,
            flush=True,
        )
        await asyncio.sleep(gap)
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=5000, help="waiting rooms (5000)")
    parser.add_argument("--moves", type=int, default=20, help="queue moves measured (20)")
    parser.add_argument(
        "--batch", type=int, default=100, help="rooms connecting at the same time (100)"
    )
    parser.add_argument(
        "--move-timeout", type=float, default=60.0, help="s to wait for a move's messages (60)"
    )
    parser.add_argument("--gap", type=float, default=1.0, help="s between moves (1)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to use instead of a temporary SQLite file "
        "(migrated, demo loaded, the office's earlier knocks deleted)",
    )
    parser.add_argument(
        "--redis-url",
        help="an empty Redis database for the channel layer and the cache, emptied afterwards "
        "(default: the in-memory layer)",
    )
    return parser.parse_args()


async def measure(args, citizens, base_url: str, server_pid: int) -> dict:
    """Connect the rooms, run the moves, read the server's memory between the phases."""
    ws_url = base_url.replace("http://", "ws://")
    figures = {"memory_idle": memory_mib(server_pid)}
    rooms = [Room(n, knock, session) for n, (knock, session) in enumerate(citizens)]
    moves = Moves()
    meter = Meter(server_pid)
    figures["ramp"] = await rooms_open(rooms, ws_url, base_url, moves, args.batch)
    figures["usage_ramp"] = meter.stop()
    await asyncio.sleep(3)  # settle
    figures["memory_connected"] = memory_mib(server_pid)
    figures["held"] = sum(1 for room in rooms if room.first_position and not room.closed)
    meter = Meter(server_pid)
    figures["moves"] = await moves_run(rooms, moves, args.moves, args.move_timeout, args.gap)
    figures["usage_moves"] = meter.stop()
    await asyncio.sleep(3)
    figures["memory_moved"] = memory_mib(server_pid)
    figures["rooms"] = rooms
    figures["still_open"] = sum(1 for room in rooms if not room.closed)
    await rooms_close(rooms)
    return figures


def report(args, env: dict, figures: dict, log_path: Path) -> None:
    rooms: list[Room] = figures["rooms"]
    connected = [room for room in rooms if not room.error or room.first_position]
    failed: dict[str, int] = {}
    for room in rooms:
        if room.error and not room.first_position:
            failed[room.error] = failed.get(room.error, 0) + 1
    n = len(rooms)

    print("\nVirtuelles Bürgerbüro – video waiting rooms benchmark (issue #6)")
    print("\n".join(machine_lines()))
    print(f"  database  {database_description(env)}")
    print(f"  channels  {channel_layer_description(env)}")
    print(
        f"  server    uvicorn, 1 process, settings {SETTINGS}, defaults for WebSockets "
        f"(websockets implementation, per-message deflate, ping every 20 s), "
        f"open files {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}"
    )
    print(
        f"  load      {n} clients in this process (asyncio, uvloop, websockets), "
        f"{args.batch} connecting at a time; the clients share the CPUs with the server"
    )

    print("\nConnections (each: handshake, then its first position counted in the database)")
    ramp = figures["ramp"]
    print(
        f"  connected       {len(connected)} of {n} in {ramp:.1f} s ({len(connected) / ramp:.0f}/s)"
        + (f", failed: {failed}" if failed else "")
    )
    print("                  p50 ms   p95 ms   max ms")
    print(f"  handshake     {spread_ms([r.handshake for r in connected])}")
    print(f"  first position{spread_ms([r.first_position for r in connected])}")
    print(f"  {figures['usage_ramp'].line(len(connected), 'room')}")
    print(f"  held open until the moves: {figures['held']} (the others were dropped)")

    results: list[MoveResult] = figures["moves"]
    print(
        "\nQueue moves (the citizen at the head leaves; every room behind it gets its new "
        "position;\nlatency from sending 'leave' until the room has read the message)"
    )
    print("  move  rooms  delivered   p50 ms   p95 ms   max ms  wrong position")
    every: list[float] = []
    expected = wrong = 0
    for result in results:
        move = result.move
        every.extend(move.latencies)
        expected += result.recipients
        wrong += move.wrong
        print(
            f"  {result.number:4}  {result.recipients:5}  {len(move.latencies):9} "
            f"{spread_ms(move.latencies)}  {move.wrong:14}"
        )
    share = len(every) / expected * 100 if expected else 0.0
    print(
        f"  all   {expected:5}  {len(every):9} {spread_ms(every)}  {wrong:14}"
        f"   ({share:.2f} % delivered)"
    )
    if results:
        print(f"  {figures['usage_moves'].line(len(results), 'move')}")
    print(f"  rooms still open at the end: {figures['still_open']}")

    print("\nServer memory (uvicorn, resident)")
    idle, connected_mem, moved = (
        figures["memory_idle"],
        figures["memory_connected"],
        figures["memory_moved"],
    )
    per_room = (connected_mem[0] - idle[0]) * 1024 / max(len(connected), 1)
    print(f"  before connections   {idle[0]:7.0f} MiB")
    print(
        f"  {len(connected):5} rooms open     {connected_mem[0]:7.0f} MiB  "
        f"({per_room:.0f} KiB per room)"
    )
    print(f"  after the moves      {moved[0]:7.0f} MiB")
    print(f"  peak (VmHWM)         {moved[1]:7.0f} MiB")

    print(f"\n{log_summary(log_path)}")

    p95 = percentile(every, 0.95) * 1000 if every else float("inf")
    print("\nGoal")
    print(
        f"  rooms held          {figures['held']:7}   (goal >= {GOAL_CONNECTIONS})   "
        f"{verdict(figures['held'] >= GOAL_CONNECTIONS)}"
    )
    print(
        f"  delivery p95        {p95:7.0f} ms (goal < {GOAL_P95_MS:.0f} ms, all delivered)   "
        f"{verdict(p95 < GOAL_P95_MS and len(every) == expected)}"
    )
    print(
        f"  server memory peak  {moved[1]:7.0f} MiB (goal < {GOAL_MEMORY_MIB:.0f} MiB)   "
        f"{verdict(moved[1] < GOAL_MEMORY_MIB)}"
    )


def main() -> None:
    args = parse_args()
    from buergerbuero.core.portal_process import prepare_database, running_portal

    raise_open_files(args.connections + FD_HEADROOM)
    with (
        redis_emptied(args.redis_url),
        tempfile.TemporaryDirectory(prefix="bb-bench-video-") as tmp,
    ):
        workdir = Path(tmp)
        env = product_env(workdir, args.database_url, args.redis_url)
        print("  migrating, loading the demo ...", file=sys.stderr, flush=True)
        prepare_database(env)
        django_setup(env)
        office = office_ready()
        print(f"  {args.connections} citizens knocking ...", file=sys.stderr, flush=True)
        citizens = citizens_waiting(office, args.connections)
        from django.db import connection

        connection.close()  # the server writes from now on
        log_path = workdir / "server.log"
        with running_portal(
            env,
            log_path=log_path,
            extra_args=("--no-access-log", "--log-level", "warning"),
            with_worker=False,
        ) as (base_url, server_pid):
            import uvloop

            figures = uvloop.run(measure(args, citizens, base_url, server_pid))
        report(args, env, figures, log_path)


if __name__ == "__main__":
    main()
