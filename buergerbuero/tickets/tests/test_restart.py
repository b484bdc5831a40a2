"""A server crash mid-day: the queue and the bookings are where they were.

The product runs in a real server process (uvicorn, the production settings) on a copy of
the suite's demo database. Over HTTP, like browsers: a citizen books an appointment at
Kundenzentrum Kalk, four people draw tickets online, Herr Okafor calls the first at his
counter. Then the process is killed (SIGKILL: nothing is shut down cleanly) and a new one
starts on the same database. The appointment's time is still taken and its manage link
works, every status page shows the same place, "call next" gives the next number in
order, and the next ticket drawn continues the numbering.

The test commits what it sets up (a transactional test: the database is flushed and the
demo loaded again afterwards, conftest.py). On SQLite the server opens a file copy of the
test database (which may live in memory); on PostgreSQL the test database itself. So it
runs in both passes of ``make test``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from buergerbuero.appointments.models import CounterPlan
from buergerbuero.core.portal_process import Processes
from buergerbuero.organisation.hours import holiday_name, local_day
from buergerbuero.organisation.models import CustomerCentre, OpeningHours
from buergerbuero.tickets.demo import demo_load_tickets
from buergerbuero.tickets.models import Counter, ServiceGroup

CENTRE = "kundenzentrum-kalk"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
POSITION = re.compile(r'<span class="ticket-status__figure">(\d+)</span>')
BERLIN = ZoneInfo("Europe/Berlin")
NUMBER = re.compile(r"Wartemarke ([A-Z]-\d{3})")

# The server reads what the test wrote: the test commits.
pytestmark = pytest.mark.django_db(transaction=True)


class Browser:
    """One person's browser (a cookie jar) talking to whichever process serves now."""

    def __init__(self, base_url: str):
        self.http = httpx.Client(base_url=base_url, trust_env=False, timeout=15)

    def moved_to(self, base_url: str) -> None:
        self.http.base_url = base_url

    def get(self, path: str) -> str:
        response = self.http.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    def post(self, page: str, action: str, data: dict) -> httpx.Response:
        """Send the form of ``page`` (for its CSRF token) to ``action``."""
        token = CSRF_FIELD.search(self.get(page)).group(1)
        return self.http.post(action, data={"csrfmiddlewaretoken": token, **data})


@pytest.fixture
def kalk():
    """Kundenzentrum Kalk as the demo has it, with its queue (groups, counters), open for
    walk-ins around the clock, one counter for appointments (so one booking takes a
    time), and Herr Okafor's password hashed as production checks it (the suite hashes
    with MD5, which the production settings do not accept)."""
    centre = CustomerCentre.objects.get(slug=CENTRE)
    demo_load_tickets()
    centre.opening_hours.all().delete()
    centre.closures.all().delete()
    for weekday in range(7):
        OpeningHours.objects.create(
            centre=centre, weekday=weekday, opens=dt.time(0, 0), closes=dt.time(23, 59, 59)
        )
    CounterPlan.objects.filter(centre=centre).update(counters=1)
    get_user_model().objects.filter(username="okafor").update(
        password=PBKDF2PasswordHasher().encode("koeln-okafor", "restarttest")
    )
    return centre


def database_url_for_the_server(workdir: Path) -> str:
    """A database URL with what this test has written so far."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        # A copy (the suite's test database may live in memory), made through the test's
        # connection: a shared-cache in-memory database is reachable only from this process.
        target = workdir / "db.sqlite3"
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
        return f"sqlite:///{target}"
    user, password = quote(settings["USER"] or ""), quote(settings["PASSWORD"] or "")
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def processes(kalk, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base",
        "DATABASE_URL": database_url_for_the_server(tmp_path),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_ROOT": str(tmp_path / "private"),
        "DEMO_MODE": "true",
        # Booking and drawing online without a proof of work, more than 3 times an hour.
        "ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR": "100",
    }
    env.pop("REDIS_URL", None)  # one process at a time: its own memory is enough
    processes = Processes(env, tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()


def slots_on(browser: Browser, day: str) -> list[dict]:
    response = browser.http.get(
        f"/api/v1/appointments/centres/{CENTRE}/slots",
        params={"day": day, "services": "personalausweis"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def first_slot_from_tomorrow(browser: Browser) -> dict:
    """The first free time for a Personalausweis at Kalk from tomorrow on, with its day."""
    tomorrow = dt.datetime.now(BERLIN).date() + dt.timedelta(days=1)
    for offset in range(14):
        day = (tomorrow + dt.timedelta(days=offset)).isoformat()
        offered = slots_on(browser, day)
        if len(offered) > 1:  # and another one, still offered after the booking
            return {**offered[0], "day": day}
    raise AssertionError("no free time at Kalk in the next two weeks")


def position(browser: Browser, status_url: str) -> int:
    return int(POSITION.search(browser.get(status_url)).group(1))


def test_a_crash_mid_day_loses_no_booking_and_no_place_in_the_queue(kalk, processes):
    holiday = holiday_name(local_day(timezone.now()))
    if holiday:
        pytest.skip(f"Kalk gives no tickets on a public holiday ({holiday})")
    try:
        scenario(kalk, processes)
    except Exception as failure:
        raise AssertionError(f"{failure!r}\n{processes.logs()}") from failure


def scenario(kalk, processes: Processes) -> None:
    url = processes.start("a")
    group_a = ServiceGroup.objects.get(centre=kalk, letter="A")
    counter = Counter.objects.get(centre=kalk, name="Schalter 1")

    # Erika books the first free time at Kalk from tomorrow on (today's could pass while
    # the test runs).
    erika = Browser(url)
    slot = first_slot_from_tomorrow(erika)
    when = dt.datetime.fromisoformat(slot["starts_at"]).astimezone(BERLIN).strftime("%H:%M")
    contact = {"name": "Erika Mustermann", "email": "erika@example.org", "mobile": ""}
    beginn = re.search(r"beginn=([^&]+)", slot["book_url"]).group(1)
    booked = erika.post(slot["book_url"], slot["book_url"], {
        **contact, "beginn": beginn, "schritt": "buchen"
    })  # fmt: skip
    assert booked.status_code == 302, booked.text[:2000]
    manage_url = booked.headers["location"]
    page = erika.get(manage_url)
    assert "Ihr Termin ist gebucht." in page and when in page

    # Four people draw tickets online; Herr Okafor calls the first.
    draw_page = f"/wartemarke/{CENTRE}/ziehen/"
    tickets = {}
    for _ in range(4):
        person = Browser(url)
        drawn = person.post(draw_page, draw_page, {"group": group_a.pk, "phone": ""})
        assert drawn.status_code == 302, drawn.text[:2000]
        status_url = drawn.headers["location"]
        tickets[NUMBER.search(person.get(status_url)).group(1)] = status_url
    assert list(tickets) == ["A-001", "A-002", "A-003", "A-004"]
    okafor = Browser(url)
    login = "/verwaltung/anmelden/"
    okafor.post(login, login, {"username": "okafor", "password": "koeln-okafor"})
    screen = f"/sachbearbeitung/schalter/{counter.pk}/"
    called = okafor.post(screen, f"{screen}naechste/", {})
    assert called.status_code == 302
    assert "A-001 ist aufgerufen" in okafor.get(screen)
    before = {number: position(erika, tickets[number]) for number in ("A-002", "A-003", "A-004")}
    assert before == {"A-002": 1, "A-003": 2, "A-004": 3}

    # The process crashes; a new one starts on the same database.
    processes.kill("a")
    with pytest.raises(httpx.TransportError):
        erika.http.get("/healthz")
    url = processes.start("b")
    for browser in (erika, okafor):
        browser.moved_to(url)

    # The booking: its link works, its time is not offered again, and not bookable again.
    page = erika.get(manage_url)
    assert when in page and "<strong>gebucht</strong>" in page and "Termin absagen" in page
    offered = slots_on(erika, slot["day"])
    assert offered and slot["starts_at"] not in [s["starts_at"] for s in offered]
    other = Browser(url)
    again = other.post(slot["book_url"], slot["book_url"], {
        **contact, "name": "Max Mustermann", "email": "max@example.org",
        "beginn": beginn, "schritt": "buchen",
    })  # fmt: skip
    assert again.status_code == 409

    # The queue: the same places, the next number called, the numbering continued.
    after = {number: position(erika, tickets[number]) for number in before}
    assert after == before
    assert "Sie sind dran – Schalter 1" in erika.get(tickets["A-001"])
    assert "A-001" in okafor.get(screen)  # his session survived too: no new login
    called = okafor.post(screen, f"{screen}naechste/", {})
    assert called.status_code == 302
    assert "A-002 ist aufgerufen" in okafor.get(screen)
    assert "Sie sind dran – Schalter 1" in erika.get(tickets["A-002"])
    assert position(erika, tickets["A-004"]) == 2
    latecomer = Browser(url)
    drawn = latecomer.post(draw_page, draw_page, {"group": group_a.pk, "phone": ""})
    assert NUMBER.search(latecomer.get(drawn.headers["location"])).group(1) == "A-005"
