"""Benchmark of the bank statement import: a 100,000-line camt.053 file, reconciled.

Run from the checkout::

    .venv/bin/python bench/reconciliation.py [--entries 100000] [--postgres]
                                             [--postgres-url postgres://…/buergerbuero_bench]

For each database – SQLite (a temporary file) and, with ``--postgres`` or when
``DATABASE_URL`` is set, PostgreSQL in a database of its own (``buergerbuero_bench`` by
default, created if missing, emptied with ``flush`` before the run; no other database is
touched) – it

1. migrates, creates the Kassenzeichen the file refers to (in bulk, with their check
   digits) plus open ones nobody pays, and some citizens as holders, then writes the
   statement entry by entry: 60 % exact transfers, 10 % partial and overpayments (two
   partial credits per reference, or more than is owed), 10 % fuzzy (a Kassenzeichen with
   two digits swapped, or no code but the holder's name), 20 % that match nothing (with
   IBANs, dates and other numbers in the text); a fifth of the amounts are the same few
   standard fees, as in a city's real statements;
2. in a fresh process, imports it with ``statement_import`` (production settings, one
   transaction) and prints the wall time, the peak RSS (``getrusage``; also the RSS before
   the import: Django and the app alone) and the report's counters.

Goal (issue #4): < 30 s on 2 cores with bounded memory. It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the checkout

SETTINGS = "buergerbuero.settings.bench"
GOAL_SECONDS = 30.0
DEFAULT_POSTGRES = "postgres://postgres:postgres@127.0.0.1:5432/buergerbuero_bench"
STANDARD_FEES = [1800, 2500, 3000, 3500, 4500, 1500, 1000, 6000, 2000, 12000]
FIRST_NAMES = ["Anna", "Jörg", "Fatma", "Mehmet", "Lea", "Paul", "Sofia", "Jonas", "Emma", "Ali"]
LAST_NAMES = ["Müller", "Schmitz", "Yılmaz", "Becker", "Demir", "Wagner", "Hoffmann", "Kaya"]
DESCRIPTIONS = [
    "Anwohnerparkausweis",
    "Hundesteuer 2026",
    "Verwarnungsgeld",
    "Gebühr Personalausweis",
    "Führungszeugnis",
    "Sondernutzung Gehweg",
    "Bewohnerparken Zone 3",
    "Fundbüro Gebühr",
]
NOISE = [
    "Spende Tierheim",
    "Miete Maerz Whg 3 OG links",
    "Rechnung 2026-0815 vom 15.03.2026",
    "Erstattung bitte an DE02 1203 0000 0000 2020 51",
    "Kundennr 123456789012345 Vertrag 998877",
    "",
    "Danke",
    "Nachzahlung Betriebskosten 2025",
]


# ============================================================ in the product's environment


def _setup(workdir: str, entries: str, seed: str) -> None:
    """Migrate, create references and citizens, write the statement. Prints JSON."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from buergerbuero.payments.models import PaymentReference, ReferenceCounter
    from buergerbuero.payments.references import code_make, reference_prefix
    from buergerbuero.payments.tests.camt import camt_write, entry_xml

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    rng = random.Random(int(seed))
    count = int(entries)
    prefix = reference_prefix()
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"bench-{n}",
            first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
            last_name=f"{LAST_NAMES[n % len(LAST_NAMES)]}-{n}",
        )
        for n in range(3000)
    )
    plan: list[tuple] = []  # (kind, sequence, amount, user index or None)
    sequence = 0

    def new_reference(kind: str, *, holder: bool = False) -> None:
        nonlocal sequence
        sequence += 1
        fee = rng.random() < 0.2
        amount = rng.choice(STANDARD_FEES) if fee else rng.randrange(500, 50_000)
        plan.append((kind, sequence, amount, rng.randrange(len(users)) if holder else None))

    lines = 0
    while lines < count:
        roll = rng.random()
        if roll < 0.60:
            new_reference("exact")
            lines += 1
        elif roll < 0.65:
            new_reference("partial")
            lines += 2
        elif roll < 0.70:
            new_reference("overpaid")
            lines += 1
        elif roll < 0.75:
            new_reference("typo")
            lines += 1
        elif roll < 0.80:
            new_reference("name", holder=True)
            lines += 1
        else:
            plan.append(("noise", None, rng.randrange(100, 100_000), None))
            lines += 1
    for _ in range(count // 5):  # open references nobody pays today
        new_reference("open", holder=rng.random() < 0.3)

    references = []
    for _kind, number, amount, holder in plan:
        if number is None:
            continue
        references.append(
            PaymentReference(
                code=code_make(number, prefix=prefix),
                purpose=f"bench:{number}",
                description=DESCRIPTIONS[number % len(DESCRIPTIONS)],
                amount_cents=amount,
                user=users[holder] if holder is not None else None,
            )
        )
    PaymentReference.objects.bulk_create(references, batch_size=5000)
    ReferenceCounter.objects.update_or_create(prefix=prefix, defaults={"last": sequence})

    def euros(cents: int) -> str:
        return f"{cents // 100}.{cents % 100:02d}"

    def grouped(code: str) -> str:
        return " ".join(code[i : i + 4] for i in range(0, len(code), 4))

    def typo(code: str) -> str:
        i = max(i for i in range(len(code) - 1) if code[i] != code[i + 1])
        return code[:i] + code[i + 1] + code[i] + code[i + 2 :]

    def lines_of(item) -> list[tuple[int, str, str, str]]:
        """(amount, remittance, debtor) of the lines one planned item gives."""
        kind, number, amount, holder = item
        if kind == "open":
            return []
        if kind == "noise":
            return [(amount, rng.choice(NOISE), "Unbekannt Zahler")]
        code = code_make(number, prefix=prefix)
        description = DESCRIPTIONS[number % len(DESCRIPTIONS)]
        text = f"Kassenzeichen {grouped(code)} {description}"
        if kind == "exact":
            return [(amount, text, "Max Mustermann")]
        if kind == "partial":
            first = max(1, amount // 3)
            return [(first, text, "Max Mustermann"), (amount - first, text, "Max Mustermann")]
        if kind == "overpaid":
            return [(amount + 500, text, "Max Mustermann")]
        if kind == "typo":
            return [(amount, f"KZ {typo(code)} {description}", "Max Mustermann")]
        user = users[holder]
        return [(amount, description.upper(), f"{user.first_name} {user.last_name}".upper())]

    flat = [line for item in plan for line in lines_of(item)]
    rng.shuffle(flat)  # partial credits of one reference far apart, as on real statements

    def entries_xml():
        for n, (amount, remittance, debtor) in enumerate(flat):
            yield entry_xml(
                amount=euros(amount),
                remittance=remittance,
                debtor=debtor,
                acct_svcr_ref=f"2026031600{n:08d}",
            )

    path = Path(workdir) / "statement.xml"
    size = camt_write(path, entries_xml(), message_id=f"BENCH-{seed}")
    print(
        json.dumps(
            {
                "path": str(path),
                "bytes": size,
                "lines": len(flat),
                "references": len(references),
                "seconds": time.monotonic() - started,
            }
        )
    )


def _import(path: str, profile: str = "") -> None:
    """Import the statement; print wall time, peak RSS and the counters as JSON. With
    ``profile`` (a file name) under cProfile, for looking into where the time goes."""
    import resource

    import django

    django.setup()
    from django.db import connection

    from buergerbuero.payments.reconciliation import statement_import

    connection.ensure_connection()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_before = _rss_kib()
    cpu = time.process_time()
    started = time.perf_counter()
    with open(path, "rb") as handle:
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            report = profiler.runcall(statement_import, handle, filename=Path(path).name)
            profiler.dump_stats(profile)
        else:
            report = statement_import(handle, filename=Path(path).name)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if report.refused:
        raise SystemExit(f"refused: {report.error}")
    statement = report.statement
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "peak_rss_mib": peak / 1024,
                "rss_before_mib": rss_before / 1024,
                "peak_before_mib": before / 1024,
                "counts": {str(k): v for k, v in report.counts.items()},
                "direct_debits": report.direct_debits,
                "partials_completed": report.partials_completed,
                "known": report.known,
                "statement": {
                    "credits_total": statement.credits_total,
                    "credits_matched": statement.credits_matched,
                    "credits_open": statement.credits_open,
                },
                "lines": report.lines(),
            }
        )
    )


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ======================================================================== the benchmark


def _run(step: str, env: dict, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, step, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.stderr.write(result.stderr[-4000:])
        raise SystemExit(f"{step} failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _postgres_database(url: str) -> None:
    """Create the bench database if it is missing (connecting to the server's "postgres")."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    name = config["NAME"]
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"--postgres-url must name a database of its own, not {name!r}")
    server = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"],
        "dbname": "postgres",
    }
    with psycopg.connect(**server, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _database_version(env: dict) -> str:
    code = (
        "import django; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); "
        "print(connection.vendor, '.'.join(map(str, connection.Database.sqlite_version_info)) "
        "if connection.vendor == 'sqlite' else connection.pg_version)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    targets = []
    if not args.no_sqlite:
        targets.append("sqlite")
    if args.postgres or os.environ.get("DATABASE_URL"):
        targets.append("postgres")

    print(
        f"Bank statement import: {args.entries:,} lines; {os.cpu_count()} CPUs ({cpu_model()}), "
        f"Python {platform.python_version()}"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="bb-bench-camt-") as workdir:
        for target in targets:
            if target == "sqlite":
                url = f"sqlite:///{workdir}/bench.sqlite3"
            else:
                url = args.postgres_url
                _postgres_database(url)
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": SETTINGS,
                "SECRET_KEY": secrets.token_hex(32),
                "DATABASE_URL": url,
                "PYTHONPATH": str(ROOT),
                "LOG_LEVEL": "WARNING",
            }
            for name in ("DEBUG", "DEMO_MODE"):
                env.pop(name, None)
            version = _database_version(env)
            setup = _run("_setup", env, workdir, str(args.entries), str(args.seed))
            print(
                f"\n[{target} {version}] file: {setup['lines']:,} lines, "
                f"{setup['bytes'] / 2**20:.1f} MiB; {setup['references']:,} Kassenzeichen; "
                f"prepared in {setup['seconds']:.1f} s"
            )
            result = _run("_import", env, setup["path"])
            results.append((target, result))
            print(
                f"  import: wall {result['wall']:.1f} s, CPU of the process {result['cpu']:.1f} s, "
                f"peak RSS {result['peak_rss_mib']:.0f} MiB "
                f"(before the import {result['rss_before_mib']:.0f} MiB)"
            )
            print(
                f"  statement counters: {result['statement']['credits_total']:,} credits, "
                f"{result['statement']['credits_matched']:,} matched, "
                f"{result['statement']['credits_open']:,} to clear"
            )
            for line in result["lines"]:
                print(f"  {line}")
            Path(setup["path"]).unlink(missing_ok=True)

    print(f"\nGoal: {args.entries:,} lines in < {GOAL_SECONDS:.0f} s, memory bounded")
    for target, result in results:
        verdict = "met" if result["wall"] < GOAL_SECONDS else "MISSED"
        print(
            f"  {target:9} {result['wall']:5.1f} s   peak RSS {result['peak_rss_mib']:.0f} MiB"
            f"   {verdict}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        _setup(*sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "_import":
        _import(*sys.argv[2:])
    else:
        main()
