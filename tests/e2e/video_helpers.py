"""What the video office's end-to-end tests share.

- Server processes on PostgreSQL with Redis as the channel layer, so that two processes (or
  one restarted) share one queue: :func:`video_processes`. Those tests run in the
  PostgreSQL pass of ``make test`` (they are not marked ``e2e``, which runs on SQLite only)
  and skip themselves elsewhere (:data:`needs_postgres_and_redis`).
- A chromium with a fake camera and microphone (:func:`launch_media_browser`), pages that
  collect script errors (:func:`open_page`), and the steps of a call both browser tests
  take: knock, admit, wait for decoded video, chat.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from buergerbuero.core.portal_process import Processes, prepare_database

from .conftest import CHROMIUM

# -- server processes on PostgreSQL and Redis ----------------------------------------------

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
REDIS_SCHEMES = ("redis", "rediss")


def postgres_and_redis_missing() -> str | None:
    """Why the multi-process tests cannot run here, or None when they can."""
    database = urlsplit(os.environ.get("DATABASE_URL", "")).scheme
    redis = urlsplit(os.environ.get("REDIS_URL", "")).scheme
    if database not in POSTGRES_SCHEMES:
        return (
            "two server processes need a shared PostgreSQL: set DATABASE_URL to a "
            "postgres:// URL (the PostgreSQL pass of `make test` does)"
        )
    if redis not in REDIS_SCHEMES:
        return (
            "two server processes need Redis as their channel layer: set REDIS_URL "
            "(the PostgreSQL pass of `make test` does)"
        )
    return None


needs_postgres_and_redis = pytest.mark.skipif(
    postgres_and_redis_missing() is not None, reason=postgres_and_redis_missing() or ""
)


def portal_env(workdir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server process on ``database_url`` with ``REDIS_URL`` from
    this one: the demo (accounts and the always-open Bürgerservice), files in ``workdir``
    (shared by all processes of a test, like a shared volume)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_ROOT": str(workdir / "private"),
        "DEMO_MODE": "true",
        # All test clients knock from 127.0.0.1, and Redis keeps the count for an hour
        # across test runs: the limit itself is tested in test_knock_and_call.py.
        "VIDEO_KNOCKS_PER_CLIENT": "1000",
        **extra,
    }


_template: str | None = None


@contextlib.contextmanager
def demo_database(database_url: str, workdir: Path) -> Iterator[str]:
    """A database of its own with the demo loaded, on the server of ``database_url``
    (yields its URL), dropped afterwards.

    Migrating and loading the demo take most of a minute on PostgreSQL: that is done once
    per test run, into a template database; each test gets a copy of it in a second."""
    global _template
    if _template is None:
        _template = _database_create(database_url)
        atexit.register(_database_drop, database_url, _template)
        prepare_database(portal_env(workdir, _database_url(database_url, _template)))
    name = _database_create(database_url, template=_template)
    try:
        yield _database_url(database_url, name)
    finally:
        _database_drop(database_url, name)


def _database_url(database_url: str, name: str) -> str:
    return urlsplit(database_url)._replace(path=f"/{name}").geturl()


def _database_create(database_url: str, *, template: str | None = None) -> str:
    name = f"bb_video_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with _maintenance_connection(database_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    return name


def _database_drop(database_url: str, name: str) -> None:
    with _maintenance_connection(database_url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _maintenance_connection(database_url: str):
    """A connection to the server's ``postgres`` database (where Django creates its test
    database from too), in autocommit: CREATE DATABASE refuses transactions."""
    import psycopg

    return psycopg.connect(database_url, dbname="postgres", autocommit=True)


@contextlib.contextmanager
def video_processes(workdir: Path) -> Iterator[Processes]:
    """Server processes on a fresh copy of the demo in PostgreSQL, with Redis."""
    with demo_database(os.environ["DATABASE_URL"], workdir) as database_url:
        processes = Processes(portal_env(workdir, database_url), workdir)
        try:
            yield processes
        finally:
            processes.stop_all()


# -- the browser ---------------------------------------------------------------------------

# The flags of conftest.browser, plus a fake camera (a test pattern) and microphone (a
# beep) that are allowed without asking.
MEDIA_BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
SECONDS = 1000  # Playwright counts milliseconds
LIVE = 15 * SECONDS  # for anything that travels over a WebSocket on a loaded machine


def launch_media_browser(browser):
    """A second chromium from ``browser``'s Playwright, with the fake media devices."""
    return browser.browser_type.launch(executable_path=CHROMIUM, args=MEDIA_BROWSER_ARGS)


def open_page(browser, base_url: str):
    """A page in a fresh context (a person's own browser) whose ``console_errors`` collect
    script errors, console errors and failed sub-resources, as conftest.page does."""
    context = browser.new_context(base_url=base_url, locale="de-DE")
    context.set_default_timeout(LIVE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    page.console_errors = errors
    return page


def knock(page, concern: str) -> None:
    """On the Bürgerservice office page: fill in the form and knock."""
    page.get_by_label("Ihr Anliegen").fill(concern)
    page.get_by_label("Video und Ton").check()
    page.get_by_label(re.compile("Datenschutzhinweis gelesen")).check()
    page.get_by_role("button", name="Anklopfen", exact=True).click()
    page.wait_for_url(re.compile(r"/video-sprechstunde/warteraum/"))


def admit(page, concern: str) -> None:
    """On the dashboard: wait for the knock with ``concern`` (it arrives live) and let
    the person in."""
    row = page.get_by_role("row").filter(has_text=concern)
    row.wait_for(timeout=LIVE)
    row.get_by_role("button", name=re.compile("^Einlassen")).click()


def in_call(citizen, caseworker) -> None:
    """Both pages are on their call page."""
    citizen.wait_for_url(re.compile(r"/video-sprechstunde/gespraech/[0-9a-f-]+/$"), timeout=LIVE)
    caseworker.wait_for_url(
        re.compile(r"/sachbearbeitung/video/gespraech/[0-9a-f-]+/$"), timeout=LIVE
    )


DECODED_FRAMES = """async () => {
  const call = window.videoCall;
  if (!call || !call.pc) return 0;
  const stats = await call.pc.getStats();
  let frames = 0;
  stats.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
  });
  return frames;
}"""


def wait_for_decoded_frames(page, *, timeout: float = 30) -> int:
    """The other side's video arrives and is decoded (not just a connected socket)."""
    deadline = time.monotonic() + timeout
    while True:
        frames = page.evaluate(DECODED_FRAMES)
        if frames > 0:
            return frames
        if time.monotonic() > deadline:
            status = page.locator("[data-call-status]").inner_text()
            raise AssertionError(f"no video frames decoded on {page.url} (status: {status})")
        page.wait_for_timeout(250)


def chat(sender, receiver, text: str) -> None:
    """``sender`` writes in the chat; ``receiver`` reads it in their chat log."""
    sender.get_by_label("Nachricht", exact=True).fill(text)
    sender.get_by_role("button", name="Senden", exact=True).click()
    receiver.locator("[data-chat-log]").get_by_text(text).wait_for(timeout=LIVE)
