"""Two real server processes behind one database and one Redis: a citizen on process A, a
caseworker on process B, and every message of the video office crossing between them —
the knock reaches B's dashboard, B's "Einlassen" reaches A's waiting room, offer and chat
travel both ways. Then A restarts: the citizen's call comes back through the new process
and the people still waiting find their places where they left them.

Runs in the PostgreSQL pass of ``make test`` (DATABASE_URL and REDIS_URL set); skipped on
SQLite, where there is no channel layer shared between processes. HTTP with httpx and
WebSockets with the ``websockets`` client: each person is a cookie jar, like a browser.
"""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.video_helpers import Processes, needs_postgres_and_redis, video_processes

pytestmark = needs_postgres_and_redis

OFFICE = "/video-sprechstunde/buergerservice/"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SECONDS = 15  # for any one message to arrive: generous, a loaded CI machine is slow


class Person:
    """One person's browser: a cookie jar (their session) pointed at one server process."""

    def __init__(self, base_url: str, cookies: httpx.Cookies | None = None):
        self.base_url = base_url
        self.http = httpx.Client(
            base_url=base_url, cookies=cookies, trust_env=False, timeout=SECONDS
        )

    def moved_to(self, base_url: str) -> Person:
        """The same browser, now served by another process (the load balancer's choice)."""
        return Person(base_url, self.http.cookies)

    def get(self, path: str) -> httpx.Response:
        response = self.http.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response

    def submit(self, page: str, action: str, data: dict) -> str:
        """Fill in the form of ``page`` (for its CSRF token) and send it to ``action``;
        returns where the answer redirects to."""
        token = CSRF_FIELD.search(self.get(page).text).group(1)
        response = self.http.post(action, data={"csrfmiddlewaretoken": token, **data})
        assert response.status_code == 302, (action, response.status_code, response.text[:2000])
        return response.headers["location"]

    def ticket(self, call_id: str) -> str:
        """What the call page's script does after a drop: a fresh one-time socket ticket."""
        response = self.http.post(
            f"/video-sprechstunde/gespraech/{call_id}/ticket/",
            headers={"X-CSRFToken": self.http.cookies["csrftoken"]},
        )
        assert response.status_code == 200, response.text
        return response.json()["token"]

    async def socket(self, path: str) -> ClientConnection:
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)
        return await connect(
            self.base_url.replace("http://", "ws://") + path,
            origin=self.base_url,
            additional_headers={"Cookie": cookie},
            proxy=None,
            open_timeout=SECONDS,
        )

    async def call_socket(self, call_id: str) -> ClientConnection:
        token = await asyncio.to_thread(self.ticket, call_id)
        return await self.socket(f"/ws/video/anruf/{call_id}/?token={token}")


def knock(person: Person, concern: str) -> str:
    """Knock at the Bürgerservice the way the office page's form does; the knock's id."""
    waiting_room = person.submit(
        OFFICE,
        f"{OFFICE}anklopfen/",
        {"concern": concern, "language": "de", "mode": "video", "consent": "on"},
    )
    return re.search(rf"/warteraum/({UUID})/", waiting_room).group(1)


def staff_login(person: Person, username: str, password: str) -> None:
    login = "/verwaltung/anmelden/"
    person.submit(login, login, {"username": username, "password": password})
    person.get("/sachbearbeitung/video/")


def admit(caseworker: Person, knock_id: str) -> str:
    """Press "Einlassen" on the dashboard; the call's id."""
    call_page = caseworker.submit(
        "/sachbearbeitung/video/", f"/sachbearbeitung/video/anklopfen/{knock_id}/einlassen/", {}
    )
    return re.search(rf"/gespraech/({UUID})/", call_page).group(1)


async def expect(socket: ClientConnection, **fields) -> dict:
    """The next message that has ``fields`` (skipping others, e.g. queue moves)."""
    async with asyncio.timeout(SECONDS):
        while True:
            message = json.loads(await socket.recv())
            if all(message.get(key) == value for key, value in fields.items()):
                return message


async def send(socket: ClientConnection, **message) -> None:
    await socket.send(json.dumps(message))


async def closed(socket: ClientConnection) -> None:
    """The socket is closed by the server (drained of whatever came before)."""
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(SECONDS * 2):
            while True:
                await socket.recv()


@pytest.fixture
def processes(tmp_path):
    with video_processes(tmp_path) as processes:
        yield processes


def test_citizen_and_caseworker_on_two_processes_and_a_restart(processes):
    a, b = processes.start("a"), processes.start("b")
    try:
        # A loop of its own, in a thread of its own: Playwright's sync API may hold this
        # thread's event loop (a browser test earlier in the same run).
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(asyncio.run, scenario(processes, a, b)).result()
    except Exception as failure:
        raise AssertionError(f"{failure!r}\n{processes.logs()}") from failure


async def scenario(processes: Processes, a: str, b: str) -> None:
    # Frau Becker works on process B; her dashboard listens there.
    becker = Person(b)
    await asyncio.to_thread(staff_login, becker, "becker", "koeln-becker")
    dashboard = await becker.socket("/ws/video/dashboard/")

    # Anna knocks on process A; B's dashboard hears of it.
    anna = Person(a)
    anna_knock = await asyncio.to_thread(knock, anna, "Ummeldung nach Umzug")
    arrived = await expect(dashboard, event="arrived")
    assert arrived["office"] == "buergerservice"
    assert arrived["knock"]["id"] == anna_knock
    assert arrived["knock"]["concern"] == "Ummeldung nach Umzug"
    anna_room = await anna.socket(f"/ws/video/warteraum/{anna_knock}/")
    assert (await expect(anna_room, type="position"))["position"] == 1

    # Two more wait behind her, also on A.
    ben, carla = Person(a), Person(a)
    ben_knock = await asyncio.to_thread(knock, ben, "Reisepass")
    carla_knock = await asyncio.to_thread(knock, carla, "")
    ben_room = await ben.socket(f"/ws/video/warteraum/{ben_knock}/")
    carla_room = await carla.socket(f"/ws/video/warteraum/{carla_knock}/")
    assert (await expect(ben_room, type="position"))["position"] == 2
    assert (await expect(carla_room, type="position"))["position"] == 3

    # Frau Becker admits Anna on B: A's waiting rooms learn of it.
    call_id = await asyncio.to_thread(admit, becker, anna_knock)
    admitted = await expect(anna_room, type="admitted")
    assert admitted["call_url"] == f"/video-sprechstunde/gespraech/{call_id}/"
    await anna_room.close()
    assert (await expect(ben_room, type="position"))["position"] == 1
    assert (await expect(carla_room, type="position"))["position"] == 2

    # The call: each side's socket on its own process, signaling crosses over.
    becker_call = await becker.call_socket(call_id)
    assert (await expect(becker_call, type="welcome"))["peer_present"] is False
    anna_call = await anna.call_socket(call_id)
    assert (await expect(anna_call, type="welcome"))["peer_present"] is True
    await expect(becker_call, type="peer", role="citizen", state="joined")
    await send(becker_call, type="offer", sdp="v=0 offer from B")
    assert (await expect(anna_call, type="offer")) == {
        "type": "offer",
        "sdp": "v=0 offer from B",
        "from": "caseworker",
    }
    await send(anna_call, type="chat", text="Guten Tag aus A")
    chat = await expect(becker_call, type="chat")
    assert (chat["text"], chat["from"]) == ("Guten Tag aus A", "citizen")

    # Process A is restarted (a deployment): its sockets close, B is told Anna left.
    await asyncio.to_thread(processes.stop, "a")
    for socket in (anna_call, ben_room, carla_room):
        await closed(socket)
    await expect(becker_call, type="peer", role="citizen", state="left")
    a2 = await asyncio.to_thread(processes.start, "a2")
    anna, ben, carla = anna.moved_to(a2), ben.moved_to(a2), carla.moved_to(a2)

    # Anna's page reconnects through the new process with a new ticket; the call goes on.
    anna_call = await anna.call_socket(call_id)
    assert (await expect(anna_call, type="welcome"))["peer_present"] is True
    await expect(becker_call, type="peer", role="citizen", state="joined")
    await send(becker_call, type="offer", sdp="v=0 ICE restart from B")
    assert (await expect(anna_call, type="offer"))["sdp"] == "v=0 ICE restart from B"
    await send(anna_call, type="chat", text="Wieder da")
    assert (await expect(becker_call, type="chat"))["text"] == "Wieder da"

    # Those waiting find their places where they left them.
    ben_room = await ben.socket(f"/ws/video/warteraum/{ben_knock}/")
    carla_room = await carla.socket(f"/ws/video/warteraum/{carla_knock}/")
    ben_place = await expect(ben_room, type="position")
    assert (ben_place["position"], ben_place["waiting"]) == (1, 2)
    assert (await expect(carla_room, type="position"))["position"] == 2

    # Frau Becker hangs up on B; Anna's page on A' is sent to the rating.
    await send(becker_call, type="hangup")
    ended = await expect(anna_call, type="ended")
    assert ended["next_url"] == f"/video-sprechstunde/gespraech/{call_id}/bewertung/"
    for socket in (dashboard, becker_call, anna_call, ben_room, carla_room):
        await socket.close()
