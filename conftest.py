"""Fixtures for the whole suite.

The Stadt Köln demo (catalog, customer centres, pages) is loaded once into the test
database; every test runs in a transaction that is rolled back, so each sees the demo as
loaded. End-to-end tests use their own server process (tests/e2e/conftest.py).
"""

from pathlib import Path

import pytest

from buergerbuero.notifications.testing import smtp_server  # noqa: F401  (a real SMTP server)

SHARED = Path(__file__).resolve().parent.parent / "shared"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from buergerbuero.core.demo import demo_load

    with django_db_blocker.unblock():
        demo_load()
        _demo_snapshot_take()


# The demo as loaded is kept as a copy: after a transactional test it is copied back in a
# fraction of a second, where loading the demo again takes seconds. SQLite (an in-memory
# test database) copies itself with its backup API; PostgreSQL's tables are copied out and
# back in with COPY (foreign keys are checked at the commit, so the order does not matter).
_demo_snapshot = None


def _demo_snapshot_take() -> None:
    global _demo_snapshot
    import sqlite3

    from django.db import connection

    connection.ensure_connection()
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        _demo_snapshot = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(_demo_snapshot)
    elif connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        tables = connection.introspection.django_table_names(only_existing=True)
        snapshot = {}
        with connection.cursor() as cursor:
            for table in tables:
                with cursor.cursor.copy(f"COPY {quote(table)} TO STDOUT") as copy:
                    snapshot[table] = b"".join(bytes(block) for block in copy)
        _demo_snapshot = snapshot


def _demo_restore() -> None:
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style
    from django.db import connection, transaction

    if _demo_snapshot is None:
        from buergerbuero.core.demo import demo_load

        demo_load()
        return
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        _demo_snapshot.backup(connection.connection)
    else:
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            # All tables, also the content types and permissions post_migrate made anew
            # after the flush.
            tables = connection.introspection.django_table_names(only_existing=True)
            cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in tables)}")
            for table, data in _demo_snapshot.items():
                with cursor.cursor.copy(f"COPY {quote(table)} FROM STDIN") as copy:
                    copy.write(data)
            # New rows continue after the copied ones, also after a test that reset them.
            models = apps.get_models(include_auto_created=True)
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
    # The flush and post_migrate created content types and permissions anew under other
    # ids; the copy brings the old ones back.
    ContentType.objects.clear_cache()


@pytest.fixture
def services_contract() -> list[dict[str, str]]:
    """The service slugs other parts and external checks rely on (../shared/catalog)."""
    import csv

    path = SHARED / "catalog" / "services.csv"
    if not path.exists():
        pytest.skip(f"{path} is not beside this checkout")
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_catalog_snapshot():
    # Each test's changes are rolled back without moving the catalog revision: start every
    # test from a snapshot of the demo as loaded.
    from buergerbuero.catalog.snapshot import catalog_snapshot_forget

    catalog_snapshot_forget()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    # Each test drives its WebSockets in an event loop of its own, and a layer instance
    # keeps per-loop state (channels-redis' receive lock, the in-memory layer's queues):
    # a consumer left receiving when one test's loop ended would break the next test's.
    # Every test gets a new layer instance (and, on Redis, a new channel prefix).
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _german_by_default():
    # A request to /en/… leaves English active in the test's thread, and reverse() would
    # then build English URLs in the next test: every test starts in German.
    from django.utils import translation

    translation.activate("de")
    yield
    translation.activate("de")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (real commits, e.g. concurrent submissions) ends with the
    database flushed: bring the demo back for the tests after it."""
    yield
    marker = item.get_closest_marker("django_db")
    if nextitem is None or marker is None or not marker.kwargs.get("transaction"):
        return  # (pytest-django runs transactional tests last; after the last, nothing)
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        _demo_restore()
