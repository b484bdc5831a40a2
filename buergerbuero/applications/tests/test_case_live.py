"""Live case updates over WebSocket (``/ws/sachbearbeitung/vorgaenge/<reference>/``): who
may listen, and that a change by a colleague or the citizen reaches an open case page.

Driven through the real ASGI application with a real session cookie, as a browser would
connect (asgiref's ApplicationCommunicator, which channels.testing wraps — that package
imports the daphne server for its live-server class). The async scenarios run under
``async_to_sync``: the database calls of the consumer come back to the test's thread and
its connection. Transactional: the broadcasts go out on commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import channels_redis.core
import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from buergerbuero.applications import casework
from buergerbuero.applications.consumers import CLOSE_FORBIDDEN
from buergerbuero.asgi import application
from buergerbuero.organisation.models import Department

from .conftest import png_file
from .test_backoffice import make_case, post_action

pytestmark = pytest.mark.django_db(transaction=True)


class Socket:
    """One browser tab's WebSocket to the application."""

    def __init__(self, path: str, *, client: Client | None = None, origin="http://localhost"):
        path, _, query = path.partition("?")
        headers = [(b"host", b"localhost"), (b"origin", origin.encode())]
        name = settings.SESSION_COOKIE_NAME
        if client is not None and name in client.cookies:
            headers.append((b"cookie", f"{name}={client.cookies[name].value}".encode()))
        scope = {
            "type": "websocket",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": headers,
            "subprotocols": [],
        }
        self.communicator = ApplicationCommunicator(application, scope)

    async def connect(self) -> dict:
        await self.communicator.send_input({"type": "websocket.connect"})
        return await self.communicator.receive_output(timeout=5)

    async def receive(self) -> dict:
        return await self.communicator.receive_output(timeout=5)

    async def receive_change(self) -> dict:
        answer = await self.receive()
        assert answer["type"] == "websocket.send", answer
        return json.loads(answer["text"])

    async def nothing(self) -> bool:
        return await self.communicator.receive_nothing(timeout=0.3)

    async def leave(self) -> None:
        await self.communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.communicator.wait(timeout=5)


def live_path(case, **query) -> str:
    path = f"/ws/sachbearbeitung/vorgaenge/{case.reference}/"
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


ACCEPTED = {"type": "websocket.accept", "subprotocol": None}
REFUSED = {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


@pytest.fixture
def citizen():
    return get_user_model().objects.create_user("erika", password="geheim-123")


def test_a_caseworker_sees_at_once_that_a_colleague_took_the_case(dogs, becker, schmitz):
    case = make_case(dogs)
    becker_browser, schmitz_browser = logged_in(becker), logged_in(schmitz)

    async def scenario():
        # Given Anna has the case open,
        tab = Socket(live_path(case, version=case.version, lang="de"), client=becker_browser)
        assert await tab.connect() == ACCEPTED
        assert await tab.nothing()  # the page is current: nothing to say
        # when Klaus takes it over on the work screen,
        response = await database_sync_to_async(post_action)(schmitz_browser, case, "uebernehmen")
        assert response.status_code == 302
        # then Anna's page hears who changed what — once per version, in German.
        change = await tab.receive_change()
        assert change["type"] == "case.changed"
        assert change["version"] == case.version + 1
        assert change["text"].startswith(
            "Dieser Vorgang wurde soeben von Klaus Schmitz geändert (Zuständigkeit, "
        )
        assert change["text"].endswith(" Uhr).")
        await tab.leave()

    async_to_sync(scenario)()


def test_a_message_and_a_document_from_the_citizen_reach_the_open_case_page(dogs, becker, citizen):
    case = make_case(dogs)
    case.application.user = citizen
    case.application.save()
    request = casework.case_request_document(
        case, user=becker, description="Impfpass", due_date=None, expected_version=case.version
    )
    citizen_browser, becker_browser = logged_in(citizen), logged_in(becker)
    url = reverse("applications:my_case", args=[case.reference])

    async def scenario():
        tab = Socket(live_path(case, lang="de"), client=becker_browser)
        assert await tab.connect() == ACCEPTED
        response = await database_sync_to_async(citizen_browser.post)(
            url, {"nachricht": "1", "body": "Ich bin ab Montag verreist."}
        )
        assert response.status_code == 302
        change = await tab.receive_change()
        # The page's language; the citizen is not named, nor what they wrote.
        assert "verreist" not in json.dumps(change)
        assert "Erika" not in json.dumps(change)
        upload = {"anforderung": str(request.pk), f"anforderung-{request.pk}-files": png_file()}
        response = await database_sync_to_async(citizen_browser.post)(url, upload)
        assert response.status_code == 302, response.content.decode()[:500]
        second = await tab.receive_change()
        assert second["version"] > change["version"]
        await tab.leave()
        return change, second

    message, document = async_to_sync(scenario)()
    prefix = "Dieser Vorgang wurde soeben von der antragstellenden Person geändert"
    assert message["text"].startswith(prefix + " (Nachricht, ")
    assert document["text"].startswith(prefix + " (Unterlage eingegangen, ")


def test_a_page_older_than_the_case_hears_so_when_it_connects(dogs, becker, schmitz):
    # The page was rendered at version 1; Klaus changed the case before its socket opened.
    case = make_case(dogs)
    casework.case_note(case, user=schmitz, text="Rückruf vereinbart", expected_version=1)
    browser = logged_in(becker)

    async def scenario():
        tab = Socket(live_path(case, version=1), client=browser)
        assert await tab.connect() == ACCEPTED
        change = await tab.receive_change()
        assert change["version"] == 2
        assert "Klaus Schmitz" in change["text"] and "interne Notiz" in change["text"]
        assert "Rückruf" not in change["text"]
        await tab.leave()

    async_to_sync(scenario)()


def test_nobody_else_may_listen_and_an_unknown_case_looks_the_same(dogs, outsider, citizen):
    # (One test, not one per role: each transactional test reloads the demo data.)
    case = make_case(dogs)
    case.application.user = citizen  # even the applicant: this is the caseworkers' channel
    case.application.save()
    staff_only = get_user_model().objects.create_user("neu", is_staff=True)
    browsers = {
        "caseworker of another department": logged_in(outsider),
        "the citizen who applied": logged_in(citizen),
        "staff without a department": logged_in(staff_only),
        "anonymous": Client(),
    }

    async def answers(path, browser):
        tab = Socket(path, client=browser)
        first, second = await tab.connect(), await tab.receive()
        await tab.leave()
        return first, second

    for who, browser in browsers.items():
        assert async_to_sync(answers)(live_path(case), browser) == (ACCEPTED, REFUSED), who
    # A reference that does not exist is closed the same way: nothing is disclosed.
    unknown = "/ws/sachbearbeitung/vorgaenge/K-2099-999999/"
    assert async_to_sync(answers)(unknown, browsers["caseworker of another department"]) == (
        ACCEPTED,
        REFUSED,
    )


def test_a_caseworker_who_leaves_the_department_hears_nothing_more(dogs, becker, schmitz):
    case = make_case(dogs)
    browser = logged_in(becker)

    async def scenario():
        tab = Socket(live_path(case), client=browser)
        assert await tab.connect() == ACCEPTED
        # Anna moves to another department while her page is open;
        await database_sync_to_async(becker.departments.set)(
            [await database_sync_to_async(Department.objects.get)(slug="wohnungsamt")]
        )
        await database_sync_to_async(casework.case_note)(
            case, user=schmitz, text="intern", expected_version=case.version
        )
        # the next change closes her socket instead of reaching her.
        assert await tab.receive() == REFUSED
        await tab.leave()

    async_to_sync(scenario)()


def test_a_logged_out_session_hears_nothing_more(dogs, becker, schmitz):
    case = make_case(dogs)
    browser = logged_in(becker)

    async def scenario():
        tab = Socket(live_path(case), client=browser)
        assert await tab.connect() == ACCEPTED
        await database_sync_to_async(browser.logout)()
        await database_sync_to_async(casework.case_note)(
            case, user=schmitz, text="intern", expected_version=case.version
        )
        assert await tab.receive() == REFUSED
        await tab.leave()

    async_to_sync(scenario)()


def test_the_socket_demands_what_the_staff_area_demands(dogs, becker, settings):
    # Where a second factor is required (production), a password-only session is refused;
    # a session idle past the staff timeout too — as the staff area over HTTP does.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from buergerbuero.identity.staff.signals import SESSION_LAST_SEEN

    settings.STAFF_REQUIRE_2FA = True
    case = make_case(dogs)
    browser = logged_in(becker)

    async def answers():
        tab = Socket(live_path(case), client=browser)
        first = await tab.connect()
        second = await tab.nothing() or await tab.receive()
        await tab.leave()
        return first, second

    assert async_to_sync(answers)() == (ACCEPTED, REFUSED)
    device = TOTPDevice.objects.create(user=becker, name="Authenticator-App", confirmed=True)
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert async_to_sync(answers)() == (ACCEPTED, True)  # admitted: nothing to say yet
    session[SESSION_LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    assert async_to_sync(answers)() == (ACCEPTED, REFUSED)


def test_a_foreign_origin_is_refused_before_the_session_is_looked_at(dogs, becker):
    case = make_case(dogs)
    browser = logged_in(becker)

    async def scenario():
        tab = Socket(live_path(case), client=browser, origin="https://evil.example")
        answer = await tab.connect()
        await tab.leave()
        return answer

    answer = async_to_sync(scenario)()
    assert answer["type"] == "websocket.close" and answer.get("code") != CLOSE_FORBIDDEN


def test_a_change_that_is_rolled_back_is_not_announced(dogs, becker, schmitz):
    from django.db import transaction

    case = make_case(dogs)
    browser = logged_in(becker)

    async def scenario():
        tab = Socket(live_path(case), client=browser)
        assert await tab.connect() == ACCEPTED

        def note_then_fail():
            with pytest.raises(RuntimeError), transaction.atomic():
                casework.case_note(case, user=schmitz, text="x", expected_version=case.version)
                raise RuntimeError("rolled back")

        await database_sync_to_async(note_then_fail)()
        assert await tab.nothing()
        await tab.leave()

    async_to_sync(scenario)()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL), as in CI")
def test_with_redis_a_change_in_another_process_reaches_the_page(dogs, becker):
    # Given the Redis channel layer (REDIS_URL) and Anna's page open in this process,
    assert isinstance(get_channel_layer(), channels_redis.core.RedisChannelLayer)
    case = make_case(dogs)
    browser = logged_in(becker)

    async def scenario():
        tab = Socket(live_path(case), client=browser)
        assert await tab.connect() == ACCEPTED
        # when another process (a worker, a second server) announces a change of the case,
        sender = (
            "import django; django.setup()\n"
            "from asgiref.sync import async_to_sync\n"
            "from channels.layers import get_channel_layer\n"
            "from buergerbuero.applications import live\n"
            f"async_to_sync(get_channel_layer().group_send)(live.group_name({case.pk}), {{\n"
            "    'type': live.MESSAGE_TYPE, 'what': 'status', 'actor_id': None,\n"
            "    'actor_name': 'Klaus Schmitz', 'at': '2026-03-02T09:15:00+01:00', 'version': 7})\n"
        )
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "buergerbuero.settings.test"
            ),
        }
        done = subprocess.run(  # noqa: S603 - our own interpreter, our own code
            [sys.executable, "-c", sender], env=environment, capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr.decode()
        # then it reaches her page through Redis.
        change = await tab.receive_change()
        assert change["version"] == 7
        assert change["text"] == (
            "Dieser Vorgang wurde soeben von Klaus Schmitz geändert (Status geändert, 09:15 Uhr)."
        )
        await tab.leave()

    async_to_sync(scenario)()
