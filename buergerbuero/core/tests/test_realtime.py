"""The WebSocket entry point refuses unknown rooms cleanly and foreign origins at all.

Driven through asgiref's ApplicationCommunicator (what channels.testing wraps; that package
would pull in the daphne server only for its live-server class).
"""

import pytest
from asgiref.testing import ApplicationCommunicator

from buergerbuero.asgi import application
from buergerbuero.core.realtime import CLOSE_UNKNOWN_ROOM

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def _first_answer(path: str, origin: bytes) -> dict:
    scope = {
        "type": "websocket",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"origin", origin)],
        "subprotocols": [],
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "websocket.connect"})
    answer = await communicator.receive_output(timeout=5)
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait(timeout=5)
    return answer


async def test_an_unknown_room_is_closed_with_a_code():
    answer = await _first_answer("/ws/gibt-es-nicht/", b"http://localhost")
    assert answer == {"type": "websocket.close", "code": CLOSE_UNKNOWN_ROOM}


async def test_a_foreign_origin_is_refused():
    answer = await _first_answer("/ws/gibt-es-nicht/", b"https://evil.example")
    assert answer["type"] == "websocket.close"
    assert answer.get("code") != CLOSE_UNKNOWN_ROOM  # refused before routing
