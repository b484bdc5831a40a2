"""End-to-end fixtures: the real product in its own process, Debian's chromium via Playwright.

The server is started the way `make run` starts it (uvicorn, ASGI, whitenoise) on a
temporary SQLite database loaded with the Stadt Köln demo, so the browser sees exactly
what a newcomer sees.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from buergerbuero.core.portal_process import manage, prepare_database, running_portal

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

_demo_template: Path | None = None


def prepare_demo_database(env: dict[str, str]) -> None:
    """What ``prepare_database(env)`` does (migrate, load the demo) for a portal on SQLite
    with the base settings and ``DEMO_MODE``, in a second instead of most of a minute: the
    migrations and the demo (29 passwords hashed as production hashes them) are run once per
    test run into a template database, and each portal gets a copy of it. Other portals
    are prepared the long way."""
    global _demo_template
    target = urlsplit(env["DATABASE_URL"])
    if (
        target.scheme != "sqlite"
        or env.get("DJANGO_SETTINGS_MODULE") != "buergerbuero.settings.base"
        or env.get("DEMO_MODE") != "true"
    ):
        prepare_database(env)
        return
    if _demo_template is None:
        # Prepared with an environment of its own, so that no portal's extra settings
        # (an identity provider, an SMTP server) shape the data the others start from.
        workdir = Path(tempfile.mkdtemp(prefix="bb-e2e-template-"))
        atexit.register(shutil.rmtree, workdir, True)
        template = workdir / "db.sqlite3"
        template_env = {
            **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
            "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base",
            "DATABASE_URL": f"sqlite:///{template}",
            "MEDIA_ROOT": str(workdir / "media"),
            "PRIVATE_ROOT": str(workdir / "private"),
            "DEMO_MODE": "true",
        }
        prepare_database(template_env)
        _demo_template = template
    # SQLite's backup API copies a consistent database (WAL included), unlike a file copy.
    source = sqlite3.connect(_demo_template)
    copy = sqlite3.connect(target.path)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


@pytest.fixture(scope="session")
def portal_url(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("portal")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_ROOT": str(workdir / "private"),
        "DEMO_MODE": "true",
    }
    env.pop("REDIS_URL", None)
    prepare_demo_database(env)
    with running_portal(env, log_path=workdir / "server.log") as (url, _pid):
        yield url


TICKETS_CENTRE = "kundenzentrum-kalk"
TICKETS_SETUP = f"""
import datetime as dt
from buergerbuero.organisation.models import CustomerCentre, OpeningHours
from buergerbuero.tickets.demo import demo_load_tickets
centre = CustomerCentre.objects.get(slug="{TICKETS_CENTRE}")
centre.opening_hours.all().delete()
centre.closures.all().delete()
for weekday in range(7):
    OpeningHours.objects.create(
        centre=centre, weekday=weekday, opens=dt.time(0, 0), closes=dt.time(23, 59, 59)
    )
demo_load_tickets()
"""


@pytest.fixture(scope="session")
def tickets_portal(tmp_path_factory):
    """The demo plus the walk-in queue's demo, Kalk open around the clock: (url, path of
    its SQLite database). Shared by the walk-in queue's browser tests (one portal start)."""
    workdir = tmp_path_factory.mktemp("portal-tickets")
    database = workdir / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base",
        "DATABASE_URL": f"sqlite:///{database}",
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_ROOT": str(workdir / "private"),
        "DEMO_MODE": "true",
        # The online ticket needs a real proof of work here: none is accepted without one.
        "ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR": "0",
    }
    env.pop("REDIS_URL", None)
    prepare_demo_database(env)
    manage(env, "shell", "-c", TICKETS_SETUP)
    with running_portal(env, log_path=workdir / "server.log") as (url, _pid):
        yield url, database


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make chromium` (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, portal_url):
    context = browser.new_context(base_url=portal_url, locale="de-DE")
    page = context.new_page()
    # Every script error and every failed sub-resource (stylesheet, font, script, image)
    # is a defect; the document's own status (a 404 page) is the test's business.
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    page.console_errors = errors
    yield page
    context.close()
