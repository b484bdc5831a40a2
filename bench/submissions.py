"""Benchmark of submissions: how many citizens per second can press "Verbindlich absenden".

Run from the checkout, with a local PostgreSQL and Redis::

    .venv/bin/python bench/submissions.py [--drafts N] [--concurrency 8,16,32] [--runs 3]
                                          [--workers W] [--follow] [--no-worker-phase]

It creates a PostgreSQL database of its own (dropped at the end), migrates it and loads the
Stadt Köln demo, adds one citizen account, prepares complete drafts of a free service
(default: Hund abmelden) owned by that citizen, and starts the product the way production
does (uvicorn with W workers, production settings, PostgreSQL with psycopg's pool, Redis
cache, database task queue). One login over HTTP gives the session and CSRF cookies; then
C concurrent clients POST `/antrag/entwurf/<uuid>/pruefen/` with `confirm=on` – every draft
exactly once – and the figures are printed: submissions/s, latency, CPU per submission,
each run checked against the database (one case per submitted draft) and the server log.

Two phases: the server alone (the task worker stopped, the receipts queue up), then the
same with the task worker running beside it on the same cores (it renders the receipt PDFs
of the backlog and competes for CPU as it would in production). Last, the worker alone,
and an in-process profile of single submissions (queries and where the time goes).
It measures; it asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.client
import io
import json
import os
import platform
import pstats
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from machine import cpu_model, system_ticks
from stores import (
    database_create,
    database_drop,
    redis_check_empty,
    redis_empty,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the checkout

SETTINGS = "buergerbuero.settings.bench"
GOAL_PER_SECOND = 50.0  # issue #3: >= 50 submissions/s on 2 cores
GOAL_CORES = 2

CITIZEN = "bench-buerger"
SUBMITTED_SUFFIX = "/eingereicht/"
DEFAULT_SERVER = "postgres://postgres:postgres@127.0.0.1:5432/"
DEFAULT_DATABASE = "bb_bench_submissions"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"

# Valid answers of every field a free service's form shows, keyed by service slug. The
# helper saves them step by step through the product's own step_save, so that every step
# is validated and completed exactly as in the browser.
ANSWERS = {
    "hund-abmelden": {
        "kassenzeichen": "5100.2024.004711",
        "hund_name": "Bello",
        "steuermarke": "K-12345",
        "grund": "verstorben",
        "datum": "2026-01-15",
        "name": "Mehmet Yılmaz",
        "anschrift": {"street": "Venloer Straße 123", "postcode": "50823", "city": "Köln"},
        "email": "mehmet.yilmaz@example.org",
        "telefon": "0221 5550123",
    },
    "maengelmelder": {
        "kategorie": "schlagloch",
        "ort": "Venloer Straße 123",
        "beschreibung": "Tiefes Schlagloch auf dem Radweg vor der Haltestelle.",
        "email": "mehmet.yilmaz@example.org",
    },
}


# ============================================================================ Django helper
# Runs in a subprocess with the product's environment (`submissions.py _django …`), so that
# this process – the load generator – never imports Django or holds a database connection.


def django_helper(command: str, *args: str) -> None:
    import django

    django.setup()
    {"citizen": _helper_citizen, "drafts": _helper_drafts, "profile": _helper_profile}[command](
        *args
    )


def _helper_citizen() -> None:
    """The citizen the benchmark logs in as (the demo accounts exist only with DEMO_MODE,
    which production settings switch off): the demo citizen's details, a random password."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=CITIZEN)
    user.first_name, user.last_name = "Mehmet", "Yılmaz"
    user.email = "mehmet.yilmaz@example.org"
    user.street, user.postcode, user.city = "Venloer Straße 123", "50823", "Köln"
    user.phone = "0221 5550123"
    user.birth_date = dt.date(1985, 4, 12)
    user.set_password(os.environ["BENCH_CITIZEN_PASSWORD"])
    user.save()


def _helper_drafts(slug: str, count: str) -> None:
    """`count` complete drafts of `slug` owned by the citizen; prints their public ids.

    The first is filled in through the product's services (application_start, then
    step_save for every visible step, as "Weiter" on the step pages does), and must pass
    incomplete_steps(); the others are copies of its row (answers, completed steps, fee,
    expiry), written in bulk."""
    from django.contrib.auth import get_user_model
    from django.http import QueryDict

    from buergerbuero.applications.formbuilder import answers_to_data
    from buergerbuero.applications.models import Application, FormDefinition
    from buergerbuero.applications.services import (
        application_start,
        incomplete_steps,
        step_save,
    )

    user = get_user_model().objects.get(username=CITIZEN)
    definition = FormDefinition.objects.select_related("service").get(
        service__slug=slug, is_active=True
    )
    spec = definition.spec
    if spec.fee_total_cents(ANSWERS[slug]):
        raise SystemExit(f"{slug} has a fee: its submission would go to the payment first")
    template = application_start(definition=definition, user=user, language="de")
    for step in spec.visible_steps(ANSWERS[slug]):
        post = QueryDict(mutable=True)
        for name, values in answers_to_data(step, ANSWERS[slug]).items():
            post.setlist(name, values)
        result = step_save(template, step, post=post, files=None, user=user)
        if not result.valid:
            raise SystemExit(f"step {step.key} of {slug} refused the answers: {result.form.errors}")
    if incomplete_steps(template, user=user):
        raise SystemExit(f"the draft of {slug} is not complete")
    copies = [
        Application(
            service=template.service,
            definition=definition,
            user=user,
            language=template.language,
            answers=template.answers,
            raw=template.raw,
            completed_steps=template.completed_steps,
            contact_email=template.contact_email,
            fee_cents=template.fee_cents,
            expires_at=template.expires_at,
        )
        for _ in range(int(count) - 1)
    ]
    Application.objects.bulk_create(copies, batch_size=1000)
    ids = [str(template.public_id), *(str(a.public_id) for a in copies)]
    print(json.dumps(ids))


def _helper_profile(slug: str, count: str) -> None:
    """Submit `count` drafts one after the other through Django's test client (WSGI-style,
    in this process, no HTTP server): queries per submission, and a cProfile of where the
    time goes. Prints JSON."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    ids = _drafts_in_process(slug, int(count))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=CITIZEN))

    def submit(public_id: str) -> None:
        response = client.post(f"/antrag/entwurf/{public_id}/pruefen/", {"confirm": "on"})
        if response.status_code != 302 or not response["Location"].endswith(SUBMITTED_SUFFIX):
            raise SystemExit(f"profile: submission answered {response.status_code}")

    warm, measured = ids[:10], ids[10:]
    for public_id in warm:
        submit(public_id)
    half = len(measured) // 2
    # How long application_submit holds its row locks: from the start of its SELECT … FOR
    # UPDATE to the first after-commit callback (the enqueue), observed from outside – a
    # statement wrapper and a wrapper of the module-level callback, in this process only.
    from buergerbuero.applications import services

    locked_at: list[float] = []
    held: list[float] = []

    def mark_lock(execute, sql, params, many, context):
        if "FOR UPDATE" in sql:
            locked_at.append(time.perf_counter())
        return execute(sql, params, many, context)

    enqueue = services._after_submission

    def after_commit(case_id: int) -> None:
        if locked_at:
            held.append((time.perf_counter() - locked_at.pop()) * 1000)
        enqueue(case_id)

    services._after_submission = after_commit
    # First half: timed (wall and this process's CPU), with every query captured.
    per_request, cpu, counts, query_ms, one = [], [], [], [], []
    for public_id in measured[:half]:
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(mark_lock):
            start, start_cpu = time.perf_counter(), time.process_time()
            submit(public_id)
            per_request.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        counts.append(len(captured.captured_queries))
        query_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        one = [q["sql"] for q in captured.captured_queries]
    services._after_submission = enqueue
    # Second half under cProfile (slower, but it shows the split).
    profiler = cProfile.Profile()
    profiler.enable()
    for public_id in measured[half:]:
        submit(public_id)
    profiler.disable()
    print(
        json.dumps(
            {
                "submissions": half,
                "wall_ms": statistics.median(per_request),
                "cpu_ms": statistics.median(cpu),
                "queries": statistics.median(counts),
                "query_ms": statistics.median(query_ms),
                "locked_ms": statistics.median(held) if held else None,
                "one": one,
                "profiled": len(measured) - half,
                "profile": _profile_rows(profiler, len(measured) - half),
            }
        )
    )


def _drafts_in_process(slug: str, count: int) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _helper_drafts(slug, str(count))
    return json.loads(out.getvalue())


# What the profile reports: (label, file suffix, function name) – cumulative time of these
# functions per submission. Indented rows are parts of the row above them.
PROFILED = [
    ("whole request (test client)", "bench/submissions.py", "submit"),
    ("  middleware and handler around the view", "", ""),  # computed: request minus view
    ("  view summary()", "applications/views.py", "summary"),
    ("    application_for (load the draft)", "applications/selectors.py", "application_for"),
    ("    incomplete_steps (view)", "", ""),  # computed from the callers
    ("    payment_for (no fee: no payment)", "payments/selectors.py", "payment_for"),
    ("    application_submit", "applications/services.py", "application_submit"),
    ("      incomplete_steps (again, row locked)", "", ""),  # computed from the callers
    ("      reference_next (counter row)", "applications/services.py", "reference_next"),
    ("      enqueue after commit", "applications/services.py", "_after_submission"),
    ("across the request", "", None),
    (
        "  documents_by_field (a query per step_form)",
        "applications/services.py",
        "documents_by_field",
    ),
    ("  StepForm construction", "applications/formbuilder.py", "__init__"),
    ("  form validation (is_valid)", "django/forms/forms.py", "is_valid"),
    (
        "  parse_definition (pydantic, per instance)",
        "applications/definition.py",
        "parse_definition",
    ),
    ("  Django ORM: SQL compilation", "django/db/models/sql/compiler.py", "as_sql"),
    ("  cursor.execute (psycopg, incl. waiting)", "django/db/backends/utils.py", "_execute"),
    ("  COMMIT", "django/db/backends/base/base.py", "commit"),
    ("  session and user (auth middleware)", "django/contrib/auth/middleware.py", "get_user"),
]


def _profile_rows(profiler: cProfile.Profile, submissions: int) -> dict[str, dict]:
    stats = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    found: dict[str, dict] = {}
    for label, suffix, name in PROFILED:
        if not suffix:
            continue
        calls = cumulative = 0.0
        for (path, _line, function), (_cc, nc, _tt, ct, _callers) in stats.items():
            if function == name and path.endswith(suffix):
                calls += nc
                cumulative += ct
        found[label] = {
            "ms": 1000 * cumulative / submissions,
            "calls": calls / submissions,
        }
    # incomplete_steps is called by the view and again inside application_submit.
    incomplete = [
        (ct, callers)
        for (path, _l, function), (_cc, _nc, _tt, ct, callers) in stats.items()
        if function == "incomplete_steps" and path.endswith("applications/services.py")
    ]
    by_view = by_service = 0.0
    for _ct, callers in incomplete:
        for (path, _l, function), caller_stats in callers.items():
            if function == "summary" and path.endswith("applications/views.py"):
                by_view += caller_stats[3]
            elif function == "application_submit":
                by_service += caller_stats[3]
    found["    incomplete_steps (view)"] = {"ms": 1000 * by_view / submissions, "calls": 1}
    found["      incomplete_steps (again, row locked)"] = {
        "ms": 1000 * by_service / submissions,
        "calls": 1,
    }
    whole = found["whole request (test client)"]["ms"]
    view = found["  view summary()"]["ms"]
    found["  middleware and handler around the view"] = {"ms": whole - view, "calls": 1}
    top = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:12]
    found["_top_tottime"] = {
        f"{Path(path).parent.name}/{Path(path).name}:{line} {function}": {
            "ms": 1000 * tt / submissions,
            "calls": nc / submissions,
        }
        for (path, line, function), (_cc, nc, tt, _ct, _callers) in top
    }
    return found


# ============================================================================ the product


def product_env(workdir: Path, args: argparse.Namespace, password: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url(args),
        "REDIS_URL": args.redis_url,  # cache and channel layer, as deploy/compose.yaml
        "TASKS_BACKEND": "database",  # the request only enqueues; the worker renders
        # The worker's email deliveries go nowhere: there is no SMTP relay here, and the
        # console backend would write every receipt PDF (base64) into the server log.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_ROOT": str(workdir / "private"),  # receipts: not into the checkout's var/
        "BENCH_CITIZEN_PASSWORD": password,
    }
    for name in ("DEBUG", "DEMO_MODE", "LOG_LEVEL", "DATABASE_POOL_SIZE"):
        env.pop(name, None)  # the product's (production) defaults
    return env


def database_url(args: argparse.Namespace) -> str:
    return args.server_url.rstrip("/") + "/" + args.database


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


# ============================================================================ HTTP clients


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def login(base_url: str, password: str) -> dict[str, str]:
    """Log the citizen in as a browser does; returns the cookies (session, CSRF)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", "/anmelden/")
    response = connection.getresponse()
    page = response.read().decode()
    cookies = _cookies(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or token is None or "csrftoken" not in cookies:
        raise SystemExit(f"login page: HTTP {response.status}, no CSRF token")
    body = urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": CITIZEN, "password": password}
    )
    connection.request(
        "POST",
        "/anmelden/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Origin": base_url,
        },
    )
    response = connection.getresponse()
    response.read()
    cookies.update(_cookies(response))  # the session, and the CSRF secret rotated at login
    if response.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"login: HTTP {response.status}, no session")
    connection.close()
    return cookies


@dataclass
class Outcome:
    public_id: str
    status: int  # 0: no answer (connection error)
    latency_ms: float
    follow_ms: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 302 and not self.error


def fire(
    base_url: str,
    cookies: dict[str, str],
    ids: list[str],
    concurrency: int,
    follow: bool,
) -> tuple[list[Outcome], float]:
    """Every draft submitted once, by `concurrency` clients with a keep-alive connection each
    that send their next submission as soon as the last one is answered (closed loop).
    Returns the outcomes and the wall-clock seconds from the first request to the last
    answer."""
    parts = urlsplit(base_url)
    todo = deque(ids)
    outcomes: list[Outcome] = []
    body = urlencode({"csrfmiddlewaretoken": cookies["csrftoken"], "confirm": "on"})
    cookie_header = f"csrftoken={cookies['csrftoken']}; sessionid={cookies['sessionid']}"
    post_headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie_header,
        "Origin": base_url,
        "Accept-Encoding": "gzip, br",
    }
    get_headers = {"Cookie": cookie_header, "Accept-Encoding": "gzip, br"}
    start_together = threading.Barrier(concurrency + 1)

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        mine: list[Outcome] = []
        start_together.wait()
        while True:
            try:
                public_id = todo.popleft()
            except IndexError:
                break
            started = time.perf_counter()
            try:
                connection.request(
                    "POST",
                    f"/antrag/entwurf/{public_id}/pruefen/",
                    body=body,
                    headers=post_headers,
                )
                response = connection.getresponse()
                response.read()
                answered = time.perf_counter()
                outcome = Outcome(public_id, response.status, (answered - started) * 1000)
                location = response.getheader("Location", "")
                if response.status == 302 and not (
                    location.endswith(SUBMITTED_SUFFIX) and public_id in location
                ):
                    outcome.error = f"redirected to {location}"
                if follow and outcome.ok:
                    connection.request("GET", location, headers=get_headers)
                    page = connection.getresponse()
                    page.read()
                    outcome.follow_ms = (time.perf_counter() - answered) * 1000
                    if page.status != 200:
                        outcome.error = f"confirmation page HTTP {page.status}"
            except (OSError, http.client.HTTPException) as error:
                outcome = Outcome(
                    public_id, 0, (time.perf_counter() - started) * 1000, error=repr(error)
                )
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
            mine.append(outcome)
        connection.close()
        outcomes.extend(mine)  # list.extend is atomic under the GIL

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start_together.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return outcomes, time.perf_counter() - began


# ============================================================================ CPU accounting


@dataclass
class Proc:
    parent: int
    ticks: int  # own CPU and that of ended children
    cmdline: str


def process_table() -> dict[int, Proc]:
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            table[int(entry.name)] = Proc(int(fields[1]), sum(map(int, fields[11:15])), cmdline)
    return table


def tree(table: dict[int, Proc], root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            found.append(pid)
            todo += [child for child, proc in table.items() if proc.parent == pid]
    return found


@dataclass
class CpuSample:
    busy: int
    total: int
    server: int
    worker: int
    database: dict[int, int]  # PostgreSQL backends of the bench database: pid -> ticks
    postgres: int  # the whole local PostgreSQL (every database, its own processes)
    client: float  # seconds of this process (the load generator)
    workers: tuple[int, ...] = ()  # process ids of the task worker(s)


def cpu_sample(server_pid: int, database: str) -> CpuSample:
    table = process_table()
    busy, total = system_ticks()
    me = os.getpid()
    worker_roots = [
        pid for pid, proc in table.items() if proc.parent == me and "db_worker" in proc.cmdline
    ]
    postmasters = [
        pid
        for pid, proc in table.items()
        if proc.cmdline.startswith(("/usr/lib/postgresql/", "postgres "))
        and "postgres" not in table.get(proc.parent, Proc(0, 0, "")).cmdline
    ]
    backends = {
        pid: proc.ticks
        for pid, proc in table.items()
        if proc.cmdline.startswith("postgres: ") and f" {database} " in proc.cmdline
    }
    return CpuSample(
        busy=busy,
        total=total,
        server=sum(table[pid].ticks for pid in tree(table, server_pid)),
        worker=sum(table[p].ticks for root in worker_roots for p in tree(table, root)),
        database=backends,
        postgres=sum(table[p].ticks for root in postmasters for p in tree(table, root)),
        client=time.process_time(),
        workers=tuple(sorted(worker_roots)),
    )


TICK_S = 1 / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuUse:
    """CPU seconds used between two samples, and the elapsed machine capacity."""

    capacity: float  # CPU seconds the machine had (cores × wall)
    busy: float
    server: float
    worker: float
    database: float
    postgres: float
    client: float
    worker_lost: bool = False  # a task worker running at the start was gone at the end

    @property
    def others(self) -> float:
        return max(0.0, self.busy - self.server - self.worker - self.postgres - self.client)


def cpu_use(before: CpuSample, after: CpuSample) -> CpuUse:
    database = sum(
        ticks - before.database.get(pid, 0)  # a backend that started meanwhile: all of it
        for pid, ticks in after.database.items()
    )
    return CpuUse(
        capacity=(after.total - before.total) * TICK_S,
        busy=(after.busy - before.busy) * TICK_S,
        server=(after.server - before.server) * TICK_S,
        worker=max(0, after.worker - before.worker) * TICK_S,
        database=database * TICK_S,
        postgres=(after.postgres - before.postgres) * TICK_S,
        client=after.client - before.client,
        worker_lost=bool(set(before.workers) - set(after.workers)),
    )


# ============================================================================ database reads


class Ledger:
    """Reads the bench database directly (psycopg), to check and count what a run did."""

    def __init__(self, url: str):
        import psycopg

        self.url = url
        self.connection = psycopg.connect(url, autocommit=True)

    def scalar(self, query: str, *params) -> int:
        return self.connection.execute(query, params).fetchone()[0]

    def receipts(self) -> int:
        return self.scalar("SELECT count(*) FROM applications_document WHERE kind = 'receipt'")

    def tasks(self) -> int:
        """after_submission tasks queued so far (the worker adds email deliveries too)."""
        return self.scalar(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path LIKE %s",
            "%.after_submission",
        )

    def tasks_waiting(self) -> int:
        return self.scalar(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"
        )

    def check(self, ids: list[str]) -> tuple[int, int, int]:
        """(drafts, cases, submitted) for these public ids."""
        return self.connection.execute(
            """
            SELECT count(*), count(c.id), count(*) FILTER (WHERE a.status = 'submitted')
            FROM applications_application a
            LEFT JOIN applications_case c ON c.application_id = a.id
            WHERE a.public_id = ANY(%s::uuid[])
            """,
            (ids,),
        ).fetchone()

    def close(self) -> None:
        self.connection.close()


class ActivitySampler:
    """What the bench database's backends do, sampled every `interval` s in a thread of its
    own (own connection): how many run a statement, wait for a row lock, or wait for the
    WAL to be flushed at commit."""

    QUERY = """
        SELECT count(*) FILTER (WHERE state = 'active'),
               count(*) FILTER (WHERE wait_event_type = 'Lock'),
               count(*) FILTER (WHERE wait_event IN ('WALSync', 'WALWrite', 'WALWriteLock'))
        FROM pg_stat_activity
        WHERE datname = %s AND pid <> pg_backend_pid()
    """

    def __init__(self, url: str, database: str, interval: float = 0.1):
        self.url, self.database, self.interval = url, database, interval
        self.samples: list[tuple[int, int, int]] = []
        self._stop = threading.Event()

    def __enter__(self) -> ActivitySampler:
        import psycopg

        self._connection = psycopg.connect(self.url, autocommit=True)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append(self._connection.execute(self.QUERY, (self.database,)).fetchone())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._connection.close()

    def mean(self, column: int) -> float | None:
        if not self.samples:
            return None
        return sum(sample[column] for sample in self.samples) / len(self.samples)


# ============================================================================ runs


@dataclass
class Run:
    phase: str
    concurrency: int
    number: int
    drafts: int
    outcomes: list[Outcome]
    seconds: float
    cpu: CpuUse
    receipts: int  # receipt PDFs the worker filed during the run
    check: tuple[int, int, int]
    tasks_enqueued: int
    active: float | None  # mean backends of the bench database running a statement
    lock_waits: float | None  # … of them waiting for a row lock
    submitted: int = field(init=False)
    failed: int = field(init=False)

    def __post_init__(self) -> None:
        self.submitted = sum(1 for o in self.outcomes if o.ok)
        self.failed = len(self.outcomes) - self.submitted

    @property
    def rate(self) -> float:
        return self.submitted / self.seconds

    def latencies(self) -> list[float]:
        return sorted(o.latency_ms for o in self.outcomes if o.ok)

    def follow_latencies(self) -> list[float]:
        return sorted(o.follow_ms for o in self.outcomes if o.follow_ms is not None)

    @property
    def consistent(self) -> bool:
        drafts, cases, submitted = self.check
        return (
            drafts == len(self.outcomes)
            and cases == submitted == self.submitted
            and self.tasks_enqueued == self.submitted
        )


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    rank = max(1, -(-len(values) * share // 100))  # ceil
    return values[int(rank) - 1]


def measured_run(
    phase: str,
    number: int,
    base_url: str,
    server_pid: int,
    cookies: dict[str, str],
    ids: list[str],
    concurrency: int,
    args: argparse.Namespace,
    ledger: Ledger,
) -> Run:
    receipts, tasks = ledger.receipts(), ledger.tasks()
    before = cpu_sample(server_pid, args.database)
    with ActivitySampler(ledger.url, args.database) as activity:
        outcomes, seconds = fire(base_url, cookies, ids, concurrency, args.follow)
    after = cpu_sample(server_pid, args.database)
    run = Run(
        phase=phase,
        concurrency=concurrency,
        number=number,
        drafts=len(ids),
        outcomes=outcomes,
        seconds=seconds,
        cpu=cpu_use(before, after),
        receipts=ledger.receipts() - receipts,
        check=ledger.check(ids),
        tasks_enqueued=ledger.tasks() - tasks,
        active=activity.mean(0),
        lock_waits=activity.mean(1),
    )
    p50 = percentile(run.latencies(), 50)
    print(
        f"    {phase}, {concurrency} clients, run {number}: {run.submitted}/{len(ids)} in "
        f"{seconds:.1f} s = {run.rate:.1f}/s, p50 {ms(p50)} ms",
        file=sys.stderr,
        flush=True,
    )
    return run


def phase_runs(
    phase: str,
    base_url: str,
    server_pid: int,
    cookies: dict[str, str],
    pool: deque[str],
    args: argparse.Namespace,
    ledger: Ledger,
) -> list[Run]:
    print(f"  {phase}: warm-up ({args.warmup} submissions) ...", file=sys.stderr, flush=True)
    if args.warmup:
        fire(base_url, cookies, take(pool, args.warmup), max(args.concurrency), False)
    runs = []
    for concurrency in args.concurrency:
        for number in range(1, args.runs + 1):
            ids = take(pool, args.drafts)
            runs.append(
                measured_run(
                    phase, number, base_url, server_pid, cookies, ids, concurrency, args, ledger
                )
            )
    return runs


def take(pool: deque[str], count: int) -> list[str]:
    return [pool.popleft() for _ in range(count)]


def worker_alone(ledger: Ledger, server_pid: int, args: argparse.Namespace) -> dict | None:
    """Receipts per second of the task worker while the server idles."""
    waiting = ledger.tasks_waiting()
    if not waiting:
        return None
    receipts = ledger.receipts()
    before = cpu_sample(server_pid, args.database)
    started = time.perf_counter()
    time.sleep(args.worker_seconds)
    seconds = time.perf_counter() - started
    after = cpu_sample(server_pid, args.database)
    cpu = cpu_use(before, after)
    done = ledger.receipts() - receipts
    return {
        "worker_ran": bool(before.workers) and not cpu.worker_lost,
        "seconds": seconds,
        "receipts": done,
        "rate": done / seconds,
        "worker_cpu_ms": 1000 * cpu.worker / done if done else None,
        "database_cpu_ms": 1000 * cpu.database / done if done else None,
        "waiting": ledger.tasks_waiting(),
    }


# The task worker's line when running_portal() stops it: not a problem.
EXPECTED_AT_STOP = "Received Terminated - shutting down gracefully... (press Ctrl+C again to force)"


def server_log_summary(text: str) -> tuple[dict[str, int], list[str]]:
    """Lines per level of the product's log format, and the lines that are neither the INFO
    line of a submission nor the worker's goodbye (uvicorn runs with --log-level warning:
    whatever it writes is a problem)."""
    levels: dict[str, int] = {}
    problems = []
    for line in text.splitlines():
        match = re.match(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", line)
        level = match.group(1) if match else "other"
        levels[level] = levels.get(level, 0) + 1
        if level != "INFO" and not line.endswith(EXPECTED_AT_STOP):
            problems.append(line)
    return levels, problems


# ============================================================================ report


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def idle_busy(seconds: float = 2.0) -> float:
    """Share of the machine's CPU in use while nothing of the benchmark runs."""
    busy, total = system_ticks()
    time.sleep(seconds)
    busy_after, total_after = system_ticks()
    return 100 * (busy_after - busy) / max(total_after - total, 1)


def print_machine(args: argparse.Namespace, database: str, demo: str, idle: float) -> None:
    cores = len(os.sched_getaffinity(0))
    print("Virtuelles Bürgerbüro – submissions benchmark")
    print(
        f"  machine   {cores} CPUs usable (nproc), {os.cpu_count()} online, {cpu_model()}, "
        f"{platform.system()} {platform.release()}"
    )
    warning = "  (other processes are running: figures are low)" if idle > 10 else ""
    print(f"  idle CPU  {idle:.0f} % busy before the load{warning}")
    print(f"  python    {platform.python_version()}")
    print(
        f"  software  Django {version('django')}, uvicorn {version('uvicorn')}, "
        f"psycopg {version('psycopg')}, django-tasks-db {version('django-tasks-db')}"
    )
    print(f"  database  {database}")
    print(f"  demo      {demo}")
    print(
        f"  server    uvicorn, {args.workers} workers, settings {SETTINGS} (production, http on "
        f"127.0.0.1), Redis cache {args.redis_url}, TASKS_BACKEND=database"
    )
    print(
        f"  service   {args.service} (free), {args.drafts} complete drafts per run, "
        f"{args.runs} runs per concurrency, {args.warmup} unmeasured submissions first "
        "in each phase"
    )
    print(
        "  load      closed loop: C Python threads, one keep-alive connection each, POST "
        "/antrag/entwurf/<uuid>/pruefen/ confirm=on + CSRF token, each draft once"
        + (", then GET the confirmation page" if args.follow else "")
    )
    print(
        f"  note      the load generator, PostgreSQL and the task worker share the same "
        f"{cores} CPUs with the server"
    )
    print()


def print_runs(runs: list[Run], args: argparse.Namespace) -> None:
    if not runs:
        return
    print(runs[0].phase)
    follow = f" {'page':>6}" if args.follow else ""
    header = (
        f"  {'C':>3} {'run':>3} {'ok':>5} {'err':>3} {'s':>5} {'subm/s':>6}  "
        f"{'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}{follow}  "
        f"{'server':>6} {'PG':>5} {'worker':>6} {'client':>6}  "
        f"{'busy':>4} {'other':>5}  {'act':>4} {'lock':>4}  {'rcpt':>4}  check"
    )
    print(
        f"  {'':>3} {'':>3} {'':>5} {'':>3} {'':>5} {'':>6}  "
        f"{'latency of the POST, ms':<27}{' ' * len(follow)}  "
        f"{'CPU ms per submission':<27}  {'machine':<10}  {'PG backends':<9}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for run in runs:
        lat = run.latencies()
        n = max(run.submitted, 1)
        cpu = run.cpu
        page = f" {ms(percentile(run.follow_latencies(), 50)):>6}" if args.follow else ""
        notes = []
        if not run.consistent:
            notes.append(f"MISMATCH drafts/cases/submitted {run.check}, tasks {run.tasks_enqueued}")
        if cpu.worker_lost:
            notes.append("the task worker ended during the run (stopped from outside?)")
        print(
            f"  {run.concurrency:>3} {run.number:>3} {run.submitted:>5} {run.failed:>3} "
            f"{run.seconds:>5.1f} {run.rate:>6.1f}  "
            f"{ms(percentile(lat, 50)):>6} {ms(percentile(lat, 95)):>6} "
            f"{ms(percentile(lat, 99)):>6} {ms(lat[-1] if lat else None):>6}{page}  "
            f"{1000 * cpu.server / n:>6.1f} {1000 * cpu.database / n:>5.1f} "
            f"{1000 * cpu.worker / n:>6.1f} {1000 * cpu.client / n:>6.1f}  "
            f"{100 * cpu.busy / cpu.capacity:>3.0f}% {100 * cpu.others / cpu.capacity:>4.0f}%  "
            f"{ms(run.active):>4} {ms(run.lock_waits):>4}  {run.receipts:>4}  "
            + ("; ".join(notes) or "ok")
        )
    errors = [o for run in runs for o in run.outcomes if not o.ok]
    if errors:
        kinds: dict[str, int] = {}
        for outcome in errors:
            key = outcome.error or f"HTTP {outcome.status}"
            kinds[key] = kinds.get(key, 0) + 1
        print("  errors: " + ", ".join(f"{n} × {kind}" for kind, n in kinds.items()))
    print()


def median_rates(runs: list[Run]) -> dict[int, float]:
    by: dict[int, list[float]] = {}
    for run in runs:
        by.setdefault(run.concurrency, []).append(run.rate)
    return {c: statistics.median(rates) for c, rates in by.items()}


def pooled_latency(runs: list[Run], concurrency: int, share: float) -> float | None:
    values = sorted(v for run in runs if run.concurrency == concurrency for v in run.latencies())
    return percentile(values, share)


def print_summary(
    phases: dict[str, list[Run]], alone: dict | None, profile: dict | None, cores: int
) -> None:
    print("Summary (median of the runs per concurrency; latency over all runs of it)")
    header = (
        f"  {'phase':<34} {'C':>3} {'subm/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6}  {'server ms':>9} {'PG ms':>6}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    best: dict[str, tuple[int, float]] = {}
    for phase, runs in phases.items():
        if not runs:
            continue
        rates = median_rates(runs)
        for concurrency, rate in rates.items():
            mine = [r for r in runs if r.concurrency == concurrency]
            submitted = sum(r.submitted for r in mine)
            server = 1000 * sum(r.cpu.server for r in mine) / max(submitted, 1)
            database = 1000 * sum(r.cpu.database for r in mine) / max(submitted, 1)
            print(
                f"  {phase:<34} {concurrency:>3} {rate:>7.1f} "
                f"{ms(pooled_latency(runs, concurrency, 50)):>7} "
                f"{ms(pooled_latency(runs, concurrency, 95)):>7} "
                f"{ms(pooled_latency(runs, concurrency, 99)):>7} "
                f"{sum(r.failed for r in mine):>6}  {server:>9.1f} {database:>6.1f}"
            )
        concurrency, rate = max(rates.items(), key=lambda item: item[1])
        best[phase] = (concurrency, rate)
    consistent = all(run.consistent for runs in phases.values() for run in runs)
    print(
        "  database check: "
        + (
            "every submitted draft has exactly one case and one queued task; no draft "
            "without its case"
            if consistent
            else "MISMATCH in at least one run (see the check column)"
        )
    )
    print()
    if alone and not alone["worker_ran"]:
        print("Task worker alone: not measured, the worker was not running throughout\n")
    elif alone:
        print(
            f"Task worker alone (server idle, {alone['seconds']:.0f} s): "
            f"{alone['rate']:.2f} receipt PDFs/s, worker CPU "
            f"{ms(alone['worker_cpu_ms'])} ms per receipt (PDF, email, and the email's "
            f"delivery task), {alone['waiting']} tasks still waiting"
        )
        if alone["worker_cpu_ms"]:
            needed = GOAL_PER_SECOND * alone["worker_cpu_ms"] / 1000
            print(
                f"  keeping up with {GOAL_PER_SECOND:.0f} submissions/s would take about "
                f"{needed:.1f} cores of task workers"
            )
        print()
    if profile:
        print_profile(profile)
    print(f"Goal: >= {GOAL_PER_SECOND:.0f} submissions/s on {GOAL_CORES} cores ({cores} used)")
    for phase, (concurrency, rate) in best.items():
        verdict = "met" if rate >= GOAL_PER_SECOND else "MISSED"
        print(f"  {phase:<34} {rate:6.1f}/s (best median, {concurrency} clients)   {verdict}")
    print()


def print_profile(profile: dict) -> None:
    print(
        f"Profile of single submissions, in-process through Django's test client (the same "
        f"view and database, no HTTP server, one at a time; {profile['submissions']} timed, "
        f"{profile['profiled']} under cProfile)"
    )
    print(
        f"  per submission (median): wall {profile['wall_ms']:.1f} ms, CPU of the process "
        f"{profile['cpu_ms']:.1f} ms, {profile['queries']:.0f} SQL statements taking "
        f"{profile['query_ms']:.1f} ms (as Django times them: round trips included)"
    )
    if profile.get("locked_ms"):
        print(
            f"  rows locked by application_submit (SELECT … FOR UPDATE to COMMIT), median "
            f"{profile['locked_ms']:.1f} ms: submissions that lock the same rows cannot "
            f"exceed {1000 / profile['locked_ms']:.0f}/s, and less once they compete for CPU"
        )
    print("  cumulative ms per submission under cProfile (which slows Python about twofold)")
    for label, suffix, name in PROFILED:
        row = profile["profile"].get(label)
        if name is None:
            print(f"    {label}")
            continue
        if row is None:
            continue
        calls = f"{row['calls']:5.1f} calls" if suffix else ""
        print(f"    {label:<46} {row['ms']:>7.2f}  {calls}")
    print("  most own time (tottime) per submission")
    for name, row in profile["profile"]["_top_tottime"].items():
        print(f"    {name[:64]:<64} {row['ms']:>6.2f} ms {row['calls']:>7.1f} calls")
    print(f"  the {len(profile['one'])} statements of one submission:")
    for sql in profile["one"]:
        print("    " + re.sub(r"\s+", " ", sql)[:110])
    print()


# ============================================================================ main


def parse_args() -> argparse.Namespace:
    cores = len(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers", type=int, default=cores, help=f"uvicorn workers (default: cores, {cores})"
    )
    parser.add_argument(
        "--drafts", type=int, default=1000, help="submissions per run (default: 1000)"
    )
    parser.add_argument(
        "--concurrency",
        default="8,16,32",
        help="concurrent clients, comma-separated; each is run --runs times (default: 8,16,32)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per concurrency (default: 3)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=100,
        help="unmeasured submissions at the start of each phase (default: 100)",
    )
    parser.add_argument(
        "--service",
        default="hund-abmelden",
        choices=sorted(ANSWERS),
        help="the free service whose drafts are submitted (default: hund-abmelden)",
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="also fetch the confirmation page after each submission, as a browser does",
    )
    parser.add_argument(
        "--no-worker-phase",
        action="store_true",
        help="only the server alone: skip the phase with the task worker and the worker alone",
    )
    parser.add_argument(
        "--worker-seconds",
        type=float,
        default=30,
        help="how long the task worker alone is watched (default: 30, 0 for not at all)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=200,
        help="submissions for the in-process profile (default: 200, 0 for none)",
    )
    parser.add_argument(
        "--server-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER),
        help="PostgreSQL server (default: $BENCH_POSTGRES_URL or the local one)",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help=f"database created for the run and dropped after it (default: {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "--keep-database", action="store_true", help="do not drop the database at the end"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
        help=f"an empty Redis database for the cache, emptied at the end (default: "
        f"$BENCH_REDIS_URL or {DEFAULT_REDIS})",
    )
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if not args.concurrency or min(args.concurrency) < 1:
        parser.error("--concurrency needs at least one positive number")
    return args


def main() -> int:
    from buergerbuero.core.portal_process import (
        PortalDidNotStart,
        manage,
        prepare_database,
        running_portal,
    )

    args = parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cores = len(os.sched_getaffinity(0))
    phases_planned = 1 if args.no_worker_phase else 2
    needed = phases_planned * (args.warmup + len(args.concurrency) * args.runs * args.drafts)

    redis_check_empty(args.redis_url)
    password = secrets.token_urlsafe(16)
    database_create(args)
    phases: dict[str, list[Run]] = {}
    alone = profile = None
    logs: dict[str, str] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bb-bench-submissions-") as tmp:
            workdir = Path(tmp)
            env = product_env(workdir, args, password)
            print("  preparing database, demo and static files ...", file=sys.stderr, flush=True)
            demo = prepare_database(env)
            manage(env, "collectstatic", "--no-input", "-v", "0")
            helper(env, "citizen")
            print(f"  preparing {needed} drafts ...", file=sys.stderr, flush=True)
            pool = deque(json.loads(helper(env, "drafts", args.service, str(needed))))
            ledger = Ledger(env["DATABASE_URL"])
            database = (
                "PostgreSQL "
                + ledger.connection.execute("SHOW server_version").fetchone()[0]
                + f" at 127.0.0.1, database {args.database}, synchronous_commit "
                + ledger.connection.execute("SHOW synchronous_commit").fetchone()[0]
                + ", psycopg pool (max 8 per process)"
            )
            idle = idle_busy()
            plan = [("server alone (task worker stopped)", False)]
            if not args.no_worker_phase:
                plan.append(("server + task worker (same cores)", True))
            for phase, with_worker in plan:
                log_path = workdir / f"server-{len(logs)}.log"
                with running_portal(
                    env,
                    log_path=log_path,
                    workers=args.workers,
                    extra_args=("--no-access-log", "--log-level", "warning"),
                    with_worker=with_worker,
                ) as (base_url, server_pid):
                    cookies = login(base_url, password)
                    phases[phase] = phase_runs(
                        phase, base_url, server_pid, cookies, pool, args, ledger
                    )
                    if with_worker and args.worker_seconds:
                        print("  task worker alone ...", file=sys.stderr, flush=True)
                        alone = worker_alone(ledger, server_pid, args)
                logs[phase] = log_path.read_text()
            ledger.close()
            if args.profile:
                print("  profiling single submissions ...", file=sys.stderr, flush=True)
                profile = json.loads(
                    helper(env, "profile", args.service, str(args.profile + 10)).splitlines()[-1]
                )
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
    print_machine(args, database, demo, idle)
    print(
        textwrap.fill(
            "Columns: C concurrent clients; ok: 302 to /eingereicht/, err: anything else; s: wall "
            "time of the run; latency of each POST"
            + (" and (page) of the confirmation page after it" if args.follow else "")
            + "; CPU ms per submission of the uvicorn processes, the PostgreSQL backends of the "
            "bench database, the task worker and the load generator; machine: CPU in use (busy), "
            "and by everything else (other; the whole PostgreSQL is not other); PG backends: mean "
            "number of the bench database's connections running a statement (act) and, of "
            "them, waiting for a lock held by another transaction (lock), sampled every 0.1 s; "
            "rcpt: receipt PDFs the worker filed during the run; check: one case and one queued "
            "task per 302 in the database, and nothing else",
            width=100,
        )
    )
    print()
    for runs in phases.values():
        print_runs(runs, args)
    print_summary(phases, alone, profile, cores)
    for phase, text in logs.items():
        levels, problems = server_log_summary(text)
        counts = ", ".join(f"{level} {n}" for level, n in sorted(levels.items())) or "empty"
        print(f"Server log, {phase}: {counts}")
        for line in problems[-10:]:
            print("  " + line[:200])
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_django":
        django_helper(*sys.argv[2:])
    else:
        sys.exit(main())
