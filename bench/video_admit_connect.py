"""Benchmark of a call's start: the caseworker admits, both browsers' peers connect.

Run from the checkout (needs Debian's chromium: ``make chromium``)::

    .venv/bin/python bench/video_admit_connect.py [--runs 20]
    .venv/bin/python bench/video_admit_connect.py --redis-url redis://127.0.0.1:6379/5

What one run does (goal of issue #6: admit → both peers connected, p95 under 3 s, direct):

1. The product as the browser tests run it (``buergerbuero.settings.base`` with
   ``DEMO_MODE``, a temporary SQLite file, the Stadt Köln demo, one uvicorn process, the
   in-memory channel layer, or Redis with ``--redis-url``, an empty database, emptied
   afterwards): the demo caseworker ``becker`` serves the always-open
   Bürgerservice. No STUN or TURN server: both browsers are on this machine, so their
   host candidates connect directly.
2. Debian's chromium through Playwright with fake camera and microphone
   (``--use-fake-device-for-media-stream --use-fake-ui-for-media-stream``). The caseworker
   logs in at the staff login once and keeps the dashboard open.
3. Per run, a new citizen (a browser context of its own) opens the office page, confirms
   the privacy notice and knocks; once the waiting room shows the position, the clock
   starts and the caseworker clicks "Nächste Person einlassen". Measured: until both
   pages' ``RTCPeerConnection`` (``window.videoCall.pc``) is ``connected`` — the admit
   request, the caseworker's call page, the citizen's page following the ``admitted``
   message, both signaling sockets, offer, answer and ICE. Then the caseworker hangs up.

Browser, server and this script share the machine's cores. It measures; it asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from video_waiting_room import (
    channel_layer_description,
    django_setup,
    log_summary,
    machine_lines,
    percentile,
    redis_emptied,
    spread_ms,
    verdict,
)

from buergerbuero.core.portal_process import prepare_database, running_portal

GOAL_P95_MS = 3000.0
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CASEWORKER = "becker"
OFFICE_PATH = "/video-sprechstunde/buergerservice/"
CONNECTED = (
    "() => window.videoCall && window.videoCall.pc"
    " && window.videoCall.pc.connectionState === 'connected'"
)


def product_env(workdir: Path, redis_url: str | None) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_ROOT": str(workdir / "private"),
        "DEMO_MODE": "true",
        "DEBUG": "false",
        "VIDEO_KNOCKS_PER_CLIENT": "100000",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def caseworker_password() -> str:
    """A fresh password for the demo caseworker (set in this process, through the ORM)."""
    from django.contrib.auth import get_user_model

    password = secrets.token_urlsafe(16)
    user = get_user_model().objects.get(username=CASEWORKER)
    user.set_password(password)
    user.save()
    return password


def caseworker_logged_in(browser, base_url: str, password: str):
    page = browser.new_context(base_url=base_url, locale="de-DE").new_page()
    page.goto("/verwaltung/anmelden/")
    page.get_by_label("Benutzername").fill(CASEWORKER)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    return page


def citizen_waiting(browser, base_url: str):
    """A new browser knocks at the office; returns its page once the waiting room shows the
    position (its socket is open and counted)."""
    context = browser.new_context(base_url=base_url, locale="de-DE")
    page = context.new_page()
    page.goto(OFFICE_PATH)
    page.get_by_label(re.compile("Datenschutzhinweis gelesen")).check()
    page.get_by_role("button", name="Anklopfen").click()
    page.wait_for_url(re.compile("/warteraum/"))
    page.get_by_text(re.compile(r"Platz|Position|Sie sind")).first.wait_for()
    return context, page


def one_call(browser, base_url: str, caseworker, timeout_ms: int) -> dict[str, float]:
    """Seconds from the admit click until: each call page began to load (the browser's
    ``performance.timeOrigin``, on the same clock), the caseworker's peer connected, both
    had."""
    context, citizen = citizen_waiting(browser, base_url)
    caseworker.goto("/sachbearbeitung/video/")
    admit = caseworker.get_by_role("button", name=re.compile("Nächste Person einlassen"))
    admit.first.wait_for()
    time.sleep(0.5)  # the waiting room's first messages have settled
    clicked, started = time.time(), time.perf_counter()
    admit.first.click()
    caseworker.wait_for_function(CONNECTED, timeout=timeout_ms)
    caseworker_connected = time.perf_counter() - started
    citizen.wait_for_function(CONNECTED, timeout=timeout_ms)
    both = time.perf_counter() - started
    figures = {
        "caseworker's call page": caseworker.evaluate("performance.timeOrigin") / 1000 - clicked,
        "citizen's call page": citizen.evaluate("performance.timeOrigin") / 1000 - clicked,
        "caseworker's peer": caseworker_connected,
        "both peers": both,
    }
    caseworker.locator("[data-hangup]").click()
    caseworker.wait_for_url(re.compile("/ende/"))
    context.close()
    return figures


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="calls measured (20)")
    parser.add_argument("--timeout", type=float, default=30.0, help="s per call at most (30)")
    parser.add_argument(
        "--redis-url",
        help="an empty Redis database for the channel layer and the cache, emptied afterwards "
        "(default: the in-memory layer)",
    )
    return parser.parse_args()


def main() -> None:
    from playwright.sync_api import sync_playwright

    args = parse_args()
    with (
        redis_emptied(args.redis_url),
        tempfile.TemporaryDirectory(prefix="bb-bench-video-call-") as tmp,
    ):
        workdir = Path(tmp)
        env = product_env(workdir, args.redis_url)
        print("  migrating, loading the demo ...", file=sys.stderr, flush=True)
        prepare_database(env)
        django_setup(env)
        password = caseworker_password()
        log_path = workdir / "server.log"
        results, failures = [], []
        with (
            running_portal(
                env,
                log_path=log_path,
                extra_args=("--no-access-log", "--log-level", "warning"),
                with_worker=False,
            ) as (base_url, _pid),
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                ],
            )
            version = browser.version
            caseworker = caseworker_logged_in(browser, base_url, password)
            one_call(browser, base_url, caseworker, int(args.timeout * 1000))  # warm-up
            for number in range(1, args.runs + 1):
                try:
                    results.append(
                        one_call(browser, base_url, caseworker, int(args.timeout * 1000))
                    )
                except Exception as error:  # noqa: BLE001 — counted and printed
                    failures.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
                print(f"  call {number}", file=sys.stderr, flush=True)
            browser.close()
        report(args, env, results, failures, version, log_path)


def report(args, env: dict, results, failures, version: str, log_path: Path) -> None:
    print("\nVirtuelles Bürgerbüro – admit → both peers connected (issue #6)")
    print("\n".join(machine_lines()))
    print(f"  browser   Debian chromium {version} (Playwright), fake camera and microphone")
    print(
        "  server    uvicorn, 1 process, settings buergerbuero.settings.base with DEMO_MODE, "
        "SQLite, no STUN/TURN (direct, loopback)"
    )
    print(f"  channels  {channel_layer_description(env)}")
    print(f"  load      {args.runs} calls one after the other, 1 unmeasured call first")
    print(
        "\nFrom the click on 'Nächste Person einlassen' until the call pages began to load and "
        "until\nconnectionState 'connected'"
    )
    print("                            p50 ms   p95 ms   max ms")
    for name in (
        "caseworker's call page",
        "citizen's call page",
        "caseworker's peer",
        "both peers",
    ):
        print(f"  {name:24}{spread_ms([figures[name] for figures in results])}")
    print(f"  calls connected         {len(results)} of {args.runs}")
    for failure in failures:
        print(f"  failed: {failure}")
    print(f"\n{log_summary(log_path)}")
    p95 = (
        percentile([figures["both peers"] for figures in results], 0.95) * 1000
        if results
        else float("inf")
    )
    print("\nGoal")
    print(
        f"  both connected p95   {p95:.0f} ms (goal < {GOAL_P95_MS:.0f} ms, every call)   "
        f"{verdict(p95 < GOAL_P95_MS and not failures)}"
    )


if __name__ == "__main__":
    main()
