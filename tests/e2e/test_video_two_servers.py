"""Several server processes behind one address: the citizen's browser talks to process A,
Frau Becker's to process B, on one PostgreSQL database with Redis as the channel layer.
The knock reaches B's dashboard live, B's "Einlassen" brings the citizen from A's waiting
room into the call, both pages decode each other's video and the chat crosses over.

Not marked ``e2e`` (which runs on SQLite only): it runs in the PostgreSQL pass of
``make test``, where DATABASE_URL and REDIS_URL are set, and skips itself elsewhere.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .test_journey_dog_registration import log_in
from .video_helpers import (
    LIVE,
    admit,
    chat,
    in_call,
    knock,
    launch_media_browser,
    needs_postgres_and_redis,
    open_page,
    video_processes,
    wait_for_decoded_frames,
)

pytestmark = needs_postgres_and_redis


@pytest.fixture
def processes(tmp_path):
    with video_processes(tmp_path) as processes:
        yield processes


@pytest.fixture
def media_browser(browser):
    media_browser = launch_media_browser(browser)
    yield media_browser
    media_browser.close()


def test_citizen_on_one_process_and_caseworker_on_another_see_each_other(processes, media_browser):
    a, b = processes.start("a"), processes.start("b")
    citizen, caseworker = open_page(media_browser, a), open_page(media_browser, b)
    try:
        journey(citizen, caseworker)
    except Exception as failure:
        raise AssertionError(f"{failure}\n{processes.logs()}") from failure


def journey(citizen, caseworker) -> None:
    concern = "Zwei Server: Anmeldung einer Nebenwohnung"
    log_in(caseworker, "becker", "koeln-becker")
    caseworker.goto("/sachbearbeitung/video/")

    citizen.goto("/video-sprechstunde/buergerservice/")
    knock(citizen, concern)
    expect(citizen.locator("[data-position]")).to_have_text("Sie sind als Nächstes dran.")

    admit(caseworker, concern)  # the knock arrived on B's dashboard from A
    in_call(citizen, caseworker)  # B's admission reached A's waiting room
    wait_for_decoded_frames(citizen)
    wait_for_decoded_frames(caseworker)
    chat(citizen, caseworker, "Guten Tag von Server A")
    chat(caseworker, citizen, "Guten Tag von Server B")

    caseworker.get_by_role("button", name="Auflegen").click()
    citizen.wait_for_url(re.compile(r"/gespraech/[0-9a-f-]+/bewertung/$"), timeout=LIVE)
    assert not citizen.console_errors, citizen.console_errors
    assert not caseworker.console_errors, caseworker.console_errors
