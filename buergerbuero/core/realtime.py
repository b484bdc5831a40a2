"""WebSocket routes. Each real-time capability (waiting room, call display) adds its room
here, before the fallback that closes connections to unknown paths cleanly (instead of
Channels' "No route found" traceback in the log)."""

from channels.generic.websocket import WebsocketConsumer
from django.urls import re_path

CLOSE_UNKNOWN_ROOM = 4404


class UnknownRoomConsumer(WebsocketConsumer):
    def connect(self) -> None:
        self.close(code=CLOSE_UNKNOWN_ROOM)


websocket_urlpatterns: list = [
    re_path(r"", UnknownRoomConsumer.as_asgi()),
]
