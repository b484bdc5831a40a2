"""The knock's state machine and the three WebSockets (waiting room, dashboard, call), driven
through the real ASGI application with each person's real session cookie.

Transactional: broadcasts go out on commit, and the consumers' database calls run on other
threads.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import IntegrityError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from buergerbuero.applications.tests.test_case_live import Socket
from buergerbuero.videooffice import consumers, services
from buergerbuero.videooffice.consumers import CLOSE_BAD_TICKET, CLOSE_FORBIDDEN, CLOSE_OVER
from buergerbuero.videooffice.models import Call, CallEnd, Knock, KnockState

from .conftest import make_staff

pytestmark = pytest.mark.django_db(transaction=True)

ACCEPTED = {"type": "websocket.accept", "subprotocol": None}


def room(knock) -> str:
    return f"/ws/video/warteraum/{knock.public_id}/"


async def message(socket: Socket) -> dict:
    return await socket.receive_change()


async def closed(socket: Socket) -> int:
    answer = await socket.receive()
    assert answer["type"] == "websocket.close", answer
    return answer["code"]


def staff_browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- knocking ----------------------------------------------------------------------------


def test_one_door_at_a_time_even_with_five_tabs(office, other_office, citizens):
    anna = citizens()
    first = anna.knock(office)
    with pytest.raises(services.KnockRefused) as refused:
        anna.knock(other_office)
    assert refused.value.code == "already_waiting"
    assert refused.value.knock == first
    assert "Sie warten bereits bei „Bürgerservice“" in str(refused.value.message)
    # Tabs that pass the check at the same instant still meet the database's constraint.
    with pytest.raises(IntegrityError):
        Knock.objects.create(
            office=other_office,
            session_key=first.session_key,
            consent_at=timezone.now(),
            queue_at=timezone.now(),
        )


@override_settings(VIDEO_KNOCKS_PER_CLIENT=3)
def test_a_flood_of_knocks_from_one_address_is_refused_with_a_message(office, citizens):
    for _ in range(3):
        knock = citizens(user=None).knock(office)
        services.knock_leave(knock)
    # Three different browsers above, but one address for the next few:
    from .conftest import Citizen

    script = Citizen(address="203.0.113.9")
    for _ in range(3):
        services.knock_leave(script.knock(office))
    with pytest.raises(services.KnockRefused) as refused:
        script.knock(office)
    assert refused.value.code == "too_many"
    assert "zu oft angeklopft" in str(refused.value.message)


def test_a_closed_office_takes_no_knocks(office, citizens):
    office.hours.all().delete()
    with pytest.raises(services.KnockRefused) as refused:
        citizens().knock(office)
    assert refused.value.code == "closed"
    assert not Knock.objects.exists()


# -- the waiting room --------------------------------------------------------------------


def test_the_waiting_room_follows_the_queue_and_never_names_anyone(office, caseworker, citizens):
    people = [citizens() for _ in range(3)]
    knocks = [person.knock(office, concern=f"Anliegen {n}") for n, person in enumerate(people)]

    async def scenario():
        third = Socket(room(knocks[2]), client=people[2].client)
        assert await third.connect() == ACCEPTED
        position = await message(third)
        assert position["type"] == "position"
        assert position["position"] == 3 and position["waiting"] == 3
        assert position["estimated_wait_minutes"] == 12  # two ahead, six minutes each
        # The first is admitted: the third moves up, and the message says nothing of whom.
        await database_sync_to_async(services.knock_admit)(knocks[0], caseworker=caseworker)
        moved = await message(third)
        assert moved["position"] == 2 and moved["waiting"] == 2
        assert "Anliegen" not in json.dumps(moved)
        # Someone new knocks behind: the third stays second.
        await database_sync_to_async(citizens().knock)(office)
        assert (await message(third))["position"] == 2
        await third.leave()

    async_to_sync(scenario)()


def test_someone_elses_waiting_room_is_closed_without_a_word(office, citizens):
    anna, mallory = citizens(), citizens()
    knock = anna.knock(office)

    async def scenario():
        socket = Socket(room(knock), client=mallory.client)
        assert await socket.connect() == ACCEPTED
        assert await closed(socket) == CLOSE_FORBIDDEN

    async_to_sync(scenario)()


def test_admitted_citizen_is_sent_to_the_call(office, caseworker, citizens):
    anna = citizens()
    knock = anna.knock(office)

    async def scenario():
        socket = Socket(room(knock), client=anna.client)
        await socket.connect()
        await message(socket)
        call = await database_sync_to_async(services.knock_admit)(knock, caseworker=caseworker)
        admitted = await message(socket)
        assert admitted == {
            "type": "admitted",
            "call_url": f"/video-sprechstunde/gespraech/{call.public_id}/",
        }

    async_to_sync(scenario)()


def test_leaving_the_page_keeps_the_place_for_the_grace_period(office, citizens):
    anna, ben = citizens(), citizens()
    first, second = anna.knock(office), ben.knock(office)

    async def scenario():
        socket = Socket(room(first), client=anna.client)
        await socket.connect()
        await message(socket)
        await socket.leave()  # the network drops

    async_to_sync(scenario)()
    first.refresh_from_db()
    assert first.state == KnockState.WAITING and first.away_since is not None
    # Nobody loses the place within two minutes.
    assert services.knocks_expire(now=timezone.now() + dt.timedelta(seconds=100)) == 0

    async def back():
        socket = Socket(room(first), client=anna.client)
        await socket.connect()
        assert (await message(socket))["position"] == 1

    async_to_sync(back)()
    first.refresh_from_db()
    assert first.away_since is None
    # Ben never opened his waiting room: away since he knocked, his place is gone.
    assert services.knocks_expire(now=timezone.now() + dt.timedelta(seconds=121)) == 1
    second.refresh_from_db()
    assert second.state == KnockState.EXPIRED
    first.refresh_from_db()
    assert first.state == KnockState.WAITING
    # Gone for longer than the grace period: the place is lost.
    Knock.objects.filter(pk=first.pk).update(away_since=timezone.now() - dt.timedelta(seconds=121))
    assert services.knocks_expire() == 1
    first.refresh_from_db()
    assert first.state == KnockState.EXPIRED


def test_closing_one_of_two_tabs_keeps_the_place_of_the_other(office, citizens):
    anna = citizens()
    knock = anna.knock(office)

    async def scenario():
        first, second = (
            Socket(room(knock), client=anna.client),
            Socket(room(knock), client=anna.client),
        )
        await first.connect()
        await message(first)
        await second.connect()
        await message(second)
        await first.leave()  # one tab closed, the other still open
        assert await second.nothing()  # (the other tab takes the knock back, quietly)

    async_to_sync(scenario)()
    knock.refresh_from_db()
    assert knock.away_since is None
    assert services.knocks_expire(now=timezone.now() + dt.timedelta(seconds=300)) == 0
    knock.refresh_from_db()
    assert knock.state == KnockState.WAITING


def test_a_restarted_server_finds_everyone_where_they_were(office, citizens):
    """The queue lives in the database: a new process (a fresh socket, no memory of the
    old one) counts the same positions."""
    people = [citizens() for _ in range(3)]
    knocks = [person.knock(office) for person in people]
    services.knock_leave(knocks[0])

    async def scenario():
        for person, knock, expected in zip(people[1:], knocks[1:], (1, 2), strict=True):
            socket = Socket(room(knock), client=person.client)
            await socket.connect()
            assert (await message(socket))["position"] == expected
            await socket.leave()

    async_to_sync(scenario)()


def test_a_declined_citizen_reads_the_caseworkers_message(office, caseworker, citizens):
    anna = citizens()
    knock = anna.knock(office)

    async def scenario():
        socket = Socket(room(knock), client=anna.client)
        await socket.connect()
        await message(socket)
        await database_sync_to_async(services.knock_decline)(
            knock, caseworker=caseworker, message="Bitte wenden Sie sich an das Standesamt."
        )
        assert await message(socket) == {
            "type": "declined",
            "message": "Bitte wenden Sie sich an das Standesamt.",
        }
        assert await closed(socket) == CLOSE_OVER

    async_to_sync(scenario)()


def test_a_transferred_citizen_keeps_the_time_they_knocked(
    office, other_office, caseworker, citizens
):
    early, late = citizens(), citizens()
    moving = early.knock(office)
    already_there = late.knock(other_office)

    async def scenario():
        socket = Socket(room(moving), client=early.client)
        await socket.connect()
        await message(socket)
        await database_sync_to_async(services.knock_transfer)(
            moving, caseworker=caseworker, office=other_office
        )
        assert await message(socket) == {"type": "transferred", "office": "Gewerbe"}
        # Knocked before the one already waiting there: first in the new queue.
        assert (await message(socket))["position"] == 1
        # Moves of the old office's queue no longer reach this room.
        await database_sync_to_async(citizens().knock)(office)
        assert await socket.nothing()

    async_to_sync(scenario)()
    assert already_there.office == other_office


# -- caseworkers -------------------------------------------------------------------------


def test_two_caseworkers_admitting_at_once_give_one_call(office, caseworker, citizens):
    colleague = make_staff("jan", office)
    knock = citizens().knock(office)
    services.knock_admit(knock, caseworker=caseworker)
    with pytest.raises(services.NoLongerWaiting):
        services.knock_admit(knock, caseworker=colleague)
    assert Call.objects.count() == 1


def test_only_the_offices_caseworkers_may_admit(office, other_office, citizens):
    stranger = make_staff("lena", other_office)
    knock = citizens().knock(office)
    with pytest.raises(services.NotAllowed):
        services.knock_admit(knock, caseworker=stranger)
    with pytest.raises(services.NotAllowed):
        services.knock_decline(knock, caseworker=stranger, message="nein")
    assert services.admit_next(office, caseworker=make_staff("tom", office)).knock == knock


def test_the_dashboard_hears_of_an_arrival_at_once(office, caseworker, citizens):
    browser = staff_browser(caseworker)

    async def scenario():
        socket = Socket("/ws/video/dashboard/", client=browser)
        assert await socket.connect() == ACCEPTED
        await database_sync_to_async(citizens().knock)(office, concern="Ummeldung", language="tr")
        event = await message(socket)
        assert event["type"] == "queue" and event["event"] == "arrived"
        assert event["office"] == "test-buergerservice" and event["waiting"] == 1
        assert event["knock"]["concern"] == "Ummeldung"
        assert event["knock"]["language"] == "tr"
        assert event["knock"]["logged_in"] is False

    async_to_sync(scenario)()


def test_citizens_and_other_departments_get_no_dashboard(office, other_office, citizens):
    async def scenario(client):
        socket = Socket("/ws/video/dashboard/", client=client)
        assert await socket.connect() == ACCEPTED
        return await socket.receive()

    answer = async_to_sync(scenario)(citizens().client)
    assert answer == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    # A caseworker of another office is connected but hears nothing of this one.
    stranger = staff_browser(make_staff("lena", other_office))

    async def quiet():
        socket = Socket("/ws/video/dashboard/", client=stranger)
        assert await socket.connect() == ACCEPTED
        await database_sync_to_async(citizens().knock)(office)
        assert await socket.nothing()

    async_to_sync(quiet)()


# -- the call ----------------------------------------------------------------------------


def call_path(call, token) -> str:
    return f"/ws/video/anruf/{call.public_id}/?token={token}"


@pytest.fixture
def call_between(office, caseworker, citizens):
    anna = citizens()
    knock = anna.knock(office)
    call = services.knock_admit(knock, caseworker=caseworker)
    return call, anna.client, staff_browser(caseworker)


async def join(call, role, client) -> Socket:
    token = await database_sync_to_async(services.call_ticket)(call, role)
    socket = Socket(call_path(call, token), client=client)
    assert await socket.connect() == ACCEPTED
    return socket


def test_offer_answer_and_chat_reach_the_other_side_only(call_between, office, citizens):
    call, citizen_browser, staff = call_between
    other_citizen = citizens()
    other_call = services.knock_admit(
        other_citizen.knock(office), caseworker=make_staff("jan", office)
    )

    async def scenario():
        caseworker = await join(call, "caseworker", staff)
        assert await message(caseworker) == {
            "type": "welcome",
            "role": "caseworker",
            "peer_present": False,
        }
        citizen = await join(call, "citizen", citizen_browser)
        assert (await message(citizen))["peer_present"] is True
        assert await message(caseworker) == {"type": "peer", "role": "citizen", "state": "joined"}
        eavesdropper = await join(other_call, "citizen", other_citizen.client)
        await message(eavesdropper)

        await caseworker.communicator.send_input(
            {"type": "websocket.receive", "text": json.dumps({"type": "offer", "sdp": "v=0 …"})}
        )
        assert await message(citizen) == {"type": "offer", "sdp": "v=0 …", "from": "caseworker"}
        # A message naming another call goes nowhere else: only known fields travel.
        await citizen.communicator.send_input(
            {
                "type": "websocket.receive",
                "text": json.dumps(
                    {"type": "chat", "text": " Hallo! ", "call": str(other_call.public_id)}
                ),
            }
        )
        chat = await message(caseworker)
        assert chat["text"] == "Hallo!" and chat["from"] == "citizen" and "call" not in chat
        assert await eavesdropper.nothing()
        assert await citizen.nothing()  # no echo to the sender

    async_to_sync(scenario)()


def test_a_ticket_opens_one_socket_once(call_between, citizens):
    call, citizen_browser, staff = call_between

    async def scenario():
        token = await database_sync_to_async(services.call_ticket)(call, "citizen")
        first = Socket(call_path(call, token), client=citizen_browser)
        assert await first.connect() == ACCEPTED
        again = Socket(call_path(call, token), client=citizen_browser)
        await again.connect()
        assert await closed(again) == CLOSE_BAD_TICKET
        # A stranger's browser holding a fresh ticket of someone else is refused too.
        stolen = await database_sync_to_async(services.call_ticket)(call, "citizen")
        thief = Socket(call_path(call, stolen), client=citizens().client)
        await thief.connect()
        assert await closed(thief) == CLOSE_BAD_TICKET
        forged = Socket(call_path(call, "x" * 43), client=citizen_browser)
        await forged.connect()
        assert await closed(forged) == CLOSE_BAD_TICKET

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "malformed"),
        (json.dumps(["offer"]), "malformed"),
        (json.dumps({"type": "offer"}), "malformed"),
        (json.dumps({"type": "offer", "sdp": "x" * 70_000}), "too_large"),
        (json.dumps({"type": "ice", "candidate": {"candidate": 5}}), "malformed"),
        (json.dumps({"type": "chat", "text": "   "}), "malformed"),
        (json.dumps({"type": "chat", "text": "x" * 2001}), "malformed"),
        (
            json.dumps({"type": "media", "audio": "yes", "video": True, "screen": False}),
            "malformed",
        ),
        (json.dumps({"type": "drop_tables"}), "unknown_type"),
    ],
)
def test_malformed_or_oversized_signals_are_answered_not_relayed(call_between, frame, code):
    call, citizen_browser, staff = call_between

    async def scenario():
        caseworker = await join(call, "caseworker", staff)
        await message(caseworker)
        citizen = await join(call, "citizen", citizen_browser)
        await message(citizen)
        await message(caseworker)  # peer joined
        await citizen.communicator.send_input({"type": "websocket.receive", "text": frame})
        error = await message(citizen)
        assert error["type"] == "error" and error["code"] == code
        assert error["message"]  # a sentence in German, not a code only
        assert await caseworker.nothing()

    async_to_sync(scenario)()


def test_a_flood_of_signals_is_slowed_down(call_between, monkeypatch):
    call, citizen_browser, _ = call_between
    # The clock stands still, so the allowance does not refill however slowly a loaded
    # machine works through the flood.
    monkeypatch.setattr(consumers, "monotonic", lambda: 1000.0)

    async def scenario():
        citizen = await join(call, "citizen", citizen_browser)
        await message(citizen)
        media = json.dumps({"type": "media", "audio": True, "video": True, "screen": False})
        for _ in range(consumers.SIGNALS_PER_SECOND + 1):
            await citizen.communicator.send_input({"type": "websocket.receive", "text": media})
        error = await citizen.communicator.receive_output(timeout=30)
        assert json.loads(error["text"])["code"] == "too_fast"

    async_to_sync(scenario)()


def test_hanging_up_ends_the_call_on_both_pages(call_between):
    call, citizen_browser, staff = call_between

    async def scenario():
        caseworker = await join(call, "caseworker", staff)
        await message(caseworker)
        citizen = await join(call, "citizen", citizen_browser)
        await message(citizen)
        await message(caseworker)
        await citizen.communicator.send_input(
            {"type": "websocket.receive", "text": json.dumps({"type": "hangup"})}
        )
        ended = await message(caseworker)
        assert ended["type"] == "ended" and ended["reason"] == CallEnd.HANGUP_CITIZEN
        assert ended["next_url"] == f"/sachbearbeitung/video/gespraech/{call.public_id}/ende/"
        mine = await message(citizen)
        assert mine["next_url"] == f"/video-sprechstunde/gespraech/{call.public_id}/bewertung/"
        # Both pages then go on to their next page: closing a socket of an ended call is
        # no error.
        await citizen.leave()
        await caseworker.leave()

    async_to_sync(scenario)()
    call.refresh_from_db()
    assert call.ended_at is not None
    assert Knock.objects.get(pk=call.knock_id).state == KnockState.DONE


def test_a_page_leaving_or_hanging_up_a_call_ended_elsewhere_is_no_error(call_between):
    # Ended by another process (housekeeping, the other server) whose message has not
    # arrived yet: the pages' last frames find no open call and do nothing.
    call, citizen_browser, staff = call_between

    async def scenario():
        caseworker = await join(call, "caseworker", staff)
        await message(caseworker)
        citizen = await join(call, "citizen", citizen_browser)
        await message(citizen)
        await message(caseworker)
        await database_sync_to_async(Call.objects.filter(pk=call.pk).update)(
            ended_at=timezone.now(), end_reason=CallEnd.HANGUP_CASEWORKER
        )
        await citizen.communicator.send_input(
            {"type": "websocket.receive", "text": json.dumps({"type": "hangup"})}
        )
        assert await citizen.nothing()
        await citizen.leave()
        assert await caseworker.nothing()
        await caseworker.leave()

    async_to_sync(scenario)()


@override_settings(VIDEO_CASEWORKER_GRACE_SECONDS=0)
def test_a_caseworker_closing_the_tab_sends_the_citizen_to_the_head_of_the_queue(
    call_between, office, citizens
):
    call, citizen_browser, staff = call_between
    waiting_before = citizens().knock(office)

    async def scenario():
        caseworker = await join(call, "caseworker", staff)
        await message(caseworker)
        citizen = await join(call, "citizen", citizen_browser)
        await message(citizen)
        await message(caseworker)
        await caseworker.leave()  # the tab is closed
        assert await message(citizen) == {"type": "peer", "role": "caseworker", "state": "left"}
        requeued = await citizen.communicator.receive_output(timeout=5)
        assert json.loads(requeued["text"]) == {
            "type": "requeued",
            "waiting_url": f"/video-sprechstunde/warteraum/{call.knock.public_id}/",
        }

    async_to_sync(scenario)()
    knock = Knock.objects.get(pk=call.knock_id)
    assert knock.state == KnockState.WAITING and knock.priority == Knock.PRIORITY_RETURNED
    from buergerbuero.videooffice.queue import position_of

    assert position_of(knock) == 1
    assert position_of(waiting_before) == 2


def test_housekeeping_ends_what_was_left_behind_and_forgets_old_concerns(
    call_between, office, citizens
):
    call, _, _ = call_between
    later = timezone.now() + dt.timedelta(minutes=10)
    # The caseworker's page never came back (a server that died without closing sockets).
    Call.objects.filter(pk=call.pk).update(caseworker_away_since=timezone.now())
    waiting = citizens().knock(office, concern="Mein Ausweis ist weg")
    result = services.video_housekeeping(now=later)
    assert result["expired"] == 1 and result["lost"] == 1
    waiting.refresh_from_db()
    assert waiting.state == KnockState.EXPIRED
    # back at the head
    assert Knock.objects.get(pk=call.knock_id).priority == Knock.PRIORITY_RETURNED
    # A month later, what the citizen wrote at the door is gone; the facts remain.
    result = services.video_housekeeping(now=timezone.now() + dt.timedelta(days=31))
    waiting.refresh_from_db()
    assert waiting.concern == "" and waiting.state == KnockState.EXPIRED


@override_settings(VIDEO_KNOCK_RETENTION_DAYS=7)
def test_the_retention_the_privacy_notice_promises_is_the_one_kept(office, citizens, client):
    notice = client.get(reverse("videooffice:office", args=[office.slug])).content.decode()
    assert "Die Angaben zum Anklopfen werden nach 7 Tagen gelöscht." in notice
    anna = citizens()
    knock = anna.knock(office, concern="Mein Ausweis ist weg")
    services.knock_leave(knock)
    services.video_housekeeping(now=timezone.now() + dt.timedelta(days=6))
    knock.refresh_from_db()
    assert knock.concern == "Mein Ausweis ist weg"
    services.video_housekeeping(now=timezone.now() + dt.timedelta(days=7, minutes=1))
    knock.refresh_from_db()
    assert knock.concern == ""
