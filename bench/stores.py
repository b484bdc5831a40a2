"""The benchmarks' own PostgreSQL database and Redis database: made fresh, dropped after.

``args`` is the script's argparse namespace with ``server_url`` (``postgres://user:pw@host:port``,
no database) and ``database`` (the bench database's name, never one the product uses).
"""

from __future__ import annotations

import argparse


def admin_connection(args: argparse.Namespace):
    import psycopg

    return psycopg.connect(args.server_url.rstrip("/") + "/postgres", autocommit=True)


def database_create(args: argparse.Namespace) -> None:
    from psycopg import sql

    with admin_connection(args) as connection:
        name = sql.Identifier(args.database)
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def database_drop(args: argparse.Namespace) -> None:
    from psycopg import sql

    with admin_connection(args) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.database))
        )


def redis_check_empty(url: str) -> None:
    import redis

    if redis.Redis.from_url(url).dbsize():
        raise SystemExit(
            f"Redis database {url} is not empty: choose an unused one with --redis-url "
            "(the benchmark empties it at the end)."
        )


def redis_empty(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()
