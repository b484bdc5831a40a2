"""Gap-free counters kept in a table: one upsert per number.

``counter_next(Model, prefix="K", year=2026)`` inserts the row with ``last = 1`` or adds one
to it, and returns the new value in the same statement (PostgreSQL and SQLite ≥ 3.35 both
speak ``INSERT … ON CONFLICT … DO UPDATE … RETURNING``). The counter row is locked only for
that statement's part of the caller's transaction, so two requests never get one number.
``Model`` has a ``last`` integer field and a unique constraint over exactly the keyword
arguments given.
"""

from __future__ import annotations

from django.db import connection, models


def counter_next(model: type[models.Model], **key: object) -> int:
    if not key:
        raise ValueError("counter_next needs the counter's key fields, e.g. prefix='K'.")
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(model._meta.get_field(name).column) for name in key]
    last = quote(model._meta.get_field("last").column)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, {last}) "  # noqa: S608
            f"VALUES ({placeholders}, 1) "
            f"ON CONFLICT ({', '.join(columns)}) DO UPDATE SET {last} = {table}.{last} + 1 "
            f"RETURNING {last}",
            list(key.values()),
        )
        (number,) = cursor.fetchone()
    return number
