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
    database flushed: load the demo again for the tests after it."""
    yield
    marker = item.get_closest_marker("django_db")
    if nextitem is None or marker is None or not marker.kwargs.get("transaction"):
        return  # (pytest-django runs transactional tests last; after the last, nothing)
    from pytest_django.plugin import blocking_manager_key

    from buergerbuero.core.demo import demo_load

    with item.config.stash[blocking_manager_key].unblock():
        demo_load()
