"""Shared setup of the appointment benchmarks: a database of their own with the Stadt Köln
demo and its bookable customer centres.

``prepare(url)`` points Django at ``url`` (``sqlite:///…`` or ``postgres://…/<name>``;
a PostgreSQL database is dropped and created afresh, never one the product uses), migrates
it and loads the demo plus ``appointments.demo``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the checkout


def prepare(url: str, *, pool_size: int = 8) -> None:
    if url.startswith("postgres"):
        import psycopg
        from psycopg import sql

        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if name in {"buergerbuero", "postgres", ""}:
            raise SystemExit(f"refusing to use the database {name!r}: name one of its own")
        admin = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as connection:
            ident = sql.Identifier(name)
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    os.environ["DATABASE_URL"] = url
    os.environ["DATABASE_POOL_SIZE"] = str(pool_size)
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("TASKS_BACKEND", "database")
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "buergerbuero.settings.base"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from buergerbuero.appointments.demo import demo_load_appointments
    from buergerbuero.core.demo import demo_load

    demo_load()
    demo_load_appointments()


def drop(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    parts = urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(parts.path.lstrip("/"))
            )
        )
