"""The live pages over WebSockets: a ticket's status page hears of every change of the
queue, the call display hears each call; unknown tickets and centres are closed."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from buergerbuero.applications.tests.test_case_live import Socket
from buergerbuero.tickets import services
from buergerbuero.tickets.consumers import CLOSE_UNKNOWN

from .conftest import draw

pytestmark = pytest.mark.django_db(transaction=True)

ACCEPTED = {"type": "websocket.accept", "subprotocol": None}


async def message(socket: Socket) -> dict:
    answer = await socket.receive()
    assert answer["type"] == "websocket.send", answer
    return json.loads(answer["text"])


async def closed(socket: Socket) -> int:
    answer = await socket.receive()
    assert answer["type"] == "websocket.close", answer
    return answer["code"]


def test_status_page_hears_when_the_queue_moves_and_when_it_is_called(centre, groups, counters):
    a, _ = groups
    first, mine = draw(centre, a), draw(centre, a)

    async def scenario():
        socket = Socket(f"/ws/wartemarke/{mine.public_id}/")
        assert await socket.connect() == ACCEPTED
        assert await message(socket) == {"type": "changed"}  # read the state on (re)connect
        await database_sync_to_async(services.counter_call_next)(counter=counters[0])
        assert await message(socket) == {"type": "changed"}  # first called: one ahead less
        await socket.leave()

    async_to_sync(scenario)()
    assert first.pk != mine.pk


def test_call_display_hears_the_number_and_the_counter(centre, groups, counters):
    draw(centre, groups[0])

    async def scenario():
        display = Socket(f"/ws/aufrufanzeige/{centre.slug}/")
        assert await display.connect() == ACCEPTED
        assert await message(display) == {"type": "changed"}
        await database_sync_to_async(services.counter_call_next)(counter=counters[1])
        called = await message(display)
        assert called == {
            "type": "called",
            "display": "A-001",
            "counter": "Schalter 2",
            "call_count": 1,
        }
        assert await display.nothing()  # queue changes do not disturb the display
        await display.leave()

    async_to_sync(scenario)()


def test_unknown_ticket_and_centre_are_closed(db):
    async def scenario():
        for path in (
            "/ws/wartemarke/00000000-0000-0000-0000-000000000001/",
            "/ws/aufrufanzeige/gibt-es-nicht/",
        ):
            socket = Socket(path)
            assert await socket.connect() == ACCEPTED
            assert await closed(socket) == CLOSE_UNKNOWN

    async_to_sync(scenario)()
