"""The live pages of the walk-in queue over WebSockets: a ticket's status page and a
centre's call display. Both are public (the ticket's random id is the key to its page).

The sockets carry only "something changed" (and, for the display, what was called): the
pages fetch their block again from the ``…/stand/`` fragments, rendered in the page's
language by the server. On connect each socket sends ``{"type": "changed"}`` once, so a
page that reconnects after a network hiccup reads the state it missed.

Close code 4404: no such ticket or centre (the page stops trying).
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from buergerbuero.organisation.models import CustomerCentre

from . import live
from .models import Ticket

CLOSE_UNKNOWN = 4404


@database_sync_to_async
def _ticket_ids(public_id) -> tuple[int, int] | None:
    return Ticket.objects.filter(public_id=public_id).values_list("pk", "centre_id").first()


@database_sync_to_async
def _centre_id(slug) -> int | None:
    return CustomerCentre.objects.filter(slug=slug).values_list("pk", flat=True).first()


class LiveConsumer(AsyncWebsocketConsumer):
    async def _join(self, *groups: str) -> None:
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)

    async def _refuse(self) -> None:
        await self.accept()
        await self.close(code=CLOSE_UNKNOWN)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data == '{"type":"ping"}':
            await self.send(text_data='{"type":"pong"}')

    async def _changed(self) -> None:
        await self.send(text_data=json.dumps({"type": "changed"}))


class TicketStatusConsumer(LiveConsumer):
    """``ws/wartemarke/<public id>/`` — a ticket's status page."""

    async def connect(self) -> None:
        ids = await _ticket_ids(self.scope["url_route"]["kwargs"]["ticket"])
        if ids is None:
            await self._refuse()
            return
        ticket_id, centre_id = ids
        await self._join(live.ticket_group(ticket_id), live.centre_group(centre_id))
        await self.accept()
        await self._changed()

    async def queue_changed(self, message) -> None:
        await self._changed()

    async def ticket_changed(self, message) -> None:
        await self._changed()

    async def ticket_called(self, message) -> None:
        pass  # the ticket's own call arrives as ticket.changed


class CallDisplayConsumer(LiveConsumer):
    """``ws/aufrufanzeige/<centre slug>/`` — the call display in the waiting area."""

    async def connect(self) -> None:
        centre_id = await _centre_id(self.scope["url_route"]["kwargs"]["slug"])
        if centre_id is None:
            await self._refuse()
            return
        await self._join(live.centre_group(centre_id))
        await self.accept()
        await self._changed()

    async def queue_changed(self, message) -> None:
        pass  # the display shows calls only

    async def ticket_called(self, message) -> None:
        await self.send(
            text_data=json.dumps(
                {
                    "type": "called",
                    "display": message["display"],
                    "counter": message["counter"],
                    "call_count": message["call_count"],
                }
            )
        )
