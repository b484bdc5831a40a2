"""WebSocket routes. Each real-time capability (waiting room, call display) adds its room
here, before the fallback that closes connections to unknown paths cleanly (instead of
Channels' "No route found" traceback in the log)."""

from channels.auth import AuthMiddlewareStack
from channels.generic.websocket import WebsocketConsumer
from django.urls import re_path

from buergerbuero.applications.consumers import CaseLiveConsumer
from buergerbuero.tickets.consumers import CallDisplayConsumer, TicketStatusConsumer
from buergerbuero.videooffice.consumers import (
    CallConsumer,
    DashboardConsumer,
    WaitingRoomConsumer,
)

CLOSE_UNKNOWN_ROOM = 4404


class UnknownRoomConsumer(WebsocketConsumer):
    def connect(self) -> None:
        self.close(code=CLOSE_UNKNOWN_ROOM)


websocket_urlpatterns: list = [
    # A caseworker's case page: changes by others, live (the Django session says who).
    re_path(
        r"^ws/sachbearbeitung/vorgaenge/(?P<reference>[A-Za-z0-9-]{1,20})/$",
        AuthMiddlewareStack(CaseLiveConsumer.as_asgi()),
    ),
    # The video office: a citizen's place in the queue (the session says whose), the
    # caseworkers' dashboard, and the signaling of a call (a one-time ticket per socket).
    re_path(
        r"^ws/video/warteraum/(?P<knock>[0-9a-f-]{36})/$",
        AuthMiddlewareStack(WaitingRoomConsumer.as_asgi()),
    ),
    re_path(r"^ws/video/dashboard/$", AuthMiddlewareStack(DashboardConsumer.as_asgi())),
    re_path(
        r"^ws/video/anruf/(?P<call>[0-9a-f-]{36})/$",
        AuthMiddlewareStack(CallConsumer.as_asgi()),
    ),
    # The walk-in queue: a ticket's status page and a centre's call display (public).
    re_path(r"^ws/wartemarke/(?P<ticket>[0-9a-f-]{36})/$", TicketStatusConsumer.as_asgi()),
    re_path(r"^ws/aufrufanzeige/(?P<slug>[-a-zA-Z0-9_]{1,50})/$", CallDisplayConsumer.as_asgi()),
    re_path(r"", UnknownRoomConsumer.as_asgi()),
]
