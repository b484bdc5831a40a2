"""The video office's WebSockets: the citizen's waiting room, the caseworker's dashboard and
the signaling of a call. The protocol is described in docs/videooffice.md.

Close codes: 4401 a call ticket that is unknown, spent or expired; 4403 not yours (the same
for a knock that does not exist: nothing is disclosed); 4410 over (the knock or the call
ended). Pages reconnect on any other close.
"""

from __future__ import annotations

import asyncio
import json
import logging
from importlib import import_module
from time import monotonic
from urllib.parse import parse_qs

from channels.auth import get_user
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from . import live, services
from .models import Call, CallEnd, CallRole, Knock, KnockState, VideoOffice
from .queue import QUEUE_STATES, estimate_parameters

logger = logging.getLogger("buergerbuero.videooffice")

CLOSE_BAD_TICKET = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_OVER = 4410

MAX_WAITING_ROOM_MESSAGE = 1024
MAX_SIGNAL_MESSAGE = 64 * 1024
MAX_SDP = 60_000
MAX_CHAT = 2000
# Signaling bursts (ICE candidates) stay far below this; a flood does not.
SIGNALS_PER_SECOND = 40
DASHBOARD_RECHECK_SECONDS = 30


def _json(text_data, limit: int) -> dict | None:
    if text_data is None or len(text_data) > limit:
        return None
    try:
        message = json.loads(text_data)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


class VideoConsumer(AsyncWebsocketConsumer):
    """The consumers of this module: Channels' consumer without its database check per
    message.

    Channels (4.2 on) runs ``close_old_connections`` in the sync thread before every
    handler: one trip to that thread (which all consumers and requests share) for every
    message, 5,000 for one move of a queue of 5,000 (bench/video_waiting_room.py). Here
    the database is only ever reached through ``database_sync_to_async``, which closes
    old connections itself, before and after, in that thread; so the trip is left out.
    A subclass that touches the ORM outside ``database_sync_to_async`` must not inherit
    from this class."""

    async def dispatch(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


# -- Waiting room ------------------------------------------------------------------------


class WaitingRoomConsumer(VideoConsumer):
    """``ws/video/warteraum/<knock>/`` — the citizen's live place in the queue.

    The position is counted in the database on connect; after that each move of the queue
    (live.queue_changed) is applied by comparing queue keys, without a query."""

    knock_pk: int | None = None
    office_id: int | None = None

    async def connect(self) -> None:
        public_id = self.scope["url_route"]["kwargs"]["knock"]
        knock = await _own_knock(public_id, self.scope.get("session"), self.scope.get("user"))
        if knock is None:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if knock.state not in QUEUE_STATES:
            await self.accept()
            await self._tell_end_state(knock)
            await self.close(code=CLOSE_OVER)
            return
        self.knock_pk = knock.pk
        self.key = knock.queue_key()
        await self.channel_layer.group_add(live.knock_group(knock.pk), self.channel_name)
        self.groups.append(live.knock_group(knock.pk))
        await self._join_office(knock.office_id)
        await self.accept()
        # Read after joining the groups: a move is either counted in this state or arrives
        # as a message (one trip to the database thread for both).
        await self._show(await _present_and_queue_state(knock))

    async def _join_office(self, office_id: int) -> None:
        if self.office_id is not None:
            old = live.office_group(self.office_id)
            await self.channel_layer.group_discard(old, self.channel_name)
            self.groups.remove(old)
        self.office_id = office_id
        group = live.office_group(office_id)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)

    async def _resync(self) -> None:
        await self._show(await _queue_state(self.knock_pk))

    async def _show(self, state) -> None:
        """Take over a state read by :func:`_read_queue_state` and send the position."""
        if state is None:  # no longer in the queue
            knock = await _knock_by_pk(self.knock_pk)
            await self._tell_end_state(knock)
            return
        self.version, self.position, self.waiting, self.closes_at, params = state
        self.params = params
        await self._send_position()

    async def _send_position(self) -> None:
        from .queue import estimate_minutes

        minutes = estimate_minutes(
            None,
            self.position,
            per_person=self.params["per_person"],
            capacity=self.params["capacity"],
        )
        closes_before = bool(
            self.closes_at and timezone.now().timestamp() + minutes * 60 > self.closes_at
        )
        await self.send(
            text_data=json.dumps(
                {
                    "type": "position",
                    "position": self.position,
                    "waiting": self.waiting,
                    "estimated_wait_minutes": minutes,
                    "closes_before": closes_before,
                }
            )
        )

    async def queue_moved(self, message: dict) -> None:
        version = message["version"]
        if version <= self.version:
            return  # already counted (a late message after a recount)
        if version != self.version + 1:
            await self._resync()  # missed a move: count again
            return
        key = self.key
        if key in message["removed"]:
            # This knock itself left the queue: its own message (admitted, …) follows.
            self.version = version
            return
        self.position += sum(1 for k in message["inserted"] if k < key)
        self.position -= sum(1 for k in message["removed"] if k < key)
        self.position = max(self.position, 1)
        self.version, self.waiting = version, message["waiting"]
        self.params = {"per_person": message["per_person"], "capacity": message["capacity"]}
        await self._send_position()

    async def knock_told(self, message: dict) -> None:
        kind = message["kind"]
        if kind == "admitted":
            await self.send(
                text_data=json.dumps({"type": "admitted", "call_url": message["call_url"]})
            )
        elif kind == "transferred":
            await self._join_office(message["office_id"])
            await self.send(
                text_data=json.dumps({"type": "transferred", "office": message["office"]})
            )
            await self._resync()
        elif kind == "ended":
            state = message["state"]
            payload = {"type": "declined", "message": message.get("message", "")}
            if state != KnockState.DECLINED:
                payload = {"type": "ended", "state": state}
            await self.send(text_data=json.dumps(payload))
            await self.close(code=CLOSE_OVER)

    async def _tell_end_state(self, knock: Knock | None) -> None:
        if knock is None:
            return
        if knock.state == KnockState.ADMITTED:
            call = await _open_call(knock.pk)
            if call is not None:
                url = reverse("videooffice:call", args=[call.public_id])
                await self.send(text_data=json.dumps({"type": "admitted", "call_url": url}))
                return
        if knock.state == KnockState.DECLINED:
            await self.send(
                text_data=json.dumps({"type": "declined", "message": knock.decline_message})
            )
        else:
            await self.send(text_data=json.dumps({"type": "ended", "state": knock.state}))

    async def receive(self, text_data=None, bytes_data=None) -> None:
        message = _json(text_data, MAX_WAITING_ROOM_MESSAGE)
        if message is None or self.knock_pk is None:
            return
        if message.get("type") == "leave":
            await _knock_leave(self.knock_pk)

    async def disconnect(self, code) -> None:
        if self.knock_pk is not None and await _knock_away(self.knock_pk):
            # The same waiting room may be open in another tab (on any process): this
            # socket has left the knock's group already, so only such tabs hear this and
            # take the knock back from its grace period.
            await self.channel_layer.group_send(
                live.knock_group(self.knock_pk), {"type": "knock.tab_closed"}
            )
            _expiry_sweep_soon()

    async def knock_tab_closed(self, message: dict) -> None:
        await _knock_present(self.knock_pk)


_sweep_pending = False


def _expiry_sweep_soon() -> None:
    """One sweep per process a little after the grace period of the latest disconnect
    (not one task per disconnected page: a network blip can drop thousands at once)."""
    global _sweep_pending
    if _sweep_pending:
        return
    _sweep_pending = True

    async def sweep() -> None:
        global _sweep_pending
        await asyncio.sleep(settings.VIDEO_WAITING_GRACE_SECONDS + 1)
        _sweep_pending = False
        await database_sync_to_async(services.knocks_expire)()

    asyncio.get_running_loop().create_task(sweep())


# Each function below is one trip to the thread that all consumers and requests share for
# the database (on SQLite also one new connection: CONN_MAX_AGE=0). A waiting room's
# connect makes two, besides AuthMiddleware's for the session.


@database_sync_to_async
def _own_knock(public_id, session, user) -> Knock | None:
    """The knock if this session or account owns it; None for an unknown one as for
    another's (nothing is disclosed)."""
    knock = Knock.objects.filter(public_id=public_id).first()
    if knock is None or not services.owns_knock(session, user, knock):
        return None
    return knock


@database_sync_to_async
def _knock_by_pk(pk) -> Knock | None:
    return Knock.objects.filter(pk=pk).first()


@database_sync_to_async
def _present_and_queue_state(knock: Knock):
    """The waiting room is open: the knock is present again, and its place is read."""
    services.knock_present(knock)
    return _read_queue_state(knock.pk)


@database_sync_to_async
def _knock_present(pk) -> None:
    services.knock_present(Knock(pk=pk))


@database_sync_to_async
def _knock_leave(pk) -> None:
    knock = Knock.objects.filter(pk=pk).first()
    if knock is not None:
        services.knock_leave(knock)


@database_sync_to_async
def _knock_away(pk) -> bool:
    """The waiting room closed: the knock's grace period starts (False: it is gone)."""
    knock = Knock.objects.filter(pk=pk).first()
    if knock is None:
        return False
    services.knock_away(knock)
    return True


@database_sync_to_async
def _open_call(knock_pk) -> Call | None:
    return Call.objects.filter(knock_id=knock_pk, ended_at__isnull=True).first()


def _read_queue_state(knock_pk):
    """(version, position, waiting, closes_at timestamp, estimate parameters) read in one
    statement, so that the version matches the position even while the queue moves."""
    from . import hours

    knock = (
        Knock.objects.filter(pk=knock_pk, state__in=QUEUE_STATES).select_related("office").first()
    )
    if knock is None:
        return None
    in_queue = Knock.objects.filter(office=OuterRef("pk"), state__in=QUEUE_STATES)
    ahead = in_queue.filter(
        Q(priority__gt=knock.priority)
        | Q(priority=knock.priority, queue_at__lt=knock.queue_at)
        | Q(priority=knock.priority, queue_at=knock.queue_at, pk__lt=knock.pk)
    )
    row = (
        VideoOffice.objects.filter(pk=knock.office_id)
        .annotate(
            ahead=Coalesce(Subquery(_counted(ahead)), 0),
            waiting=Coalesce(Subquery(_counted(in_queue)), 0),
        )
        .values("queue_version", "ahead", "waiting")
        .get()
    )
    closes_at = hours.closes_at(knock.office)
    return (
        row["queue_version"],
        row["ahead"] + 1,
        row["waiting"],
        closes_at.timestamp() if closes_at else None,
        estimate_parameters(knock.office),
    )


_queue_state = database_sync_to_async(_read_queue_state)


def _counted(queryset):
    return queryset.order_by().values("office").annotate(n=Count("pk")).values("n")


# -- Dashboard -----------------------------------------------------------------------------


class DashboardConsumer(VideoConsumer):
    """``ws/video/dashboard/`` — a caseworker hears of every change of their offices'
    queues. Rights are checked on connect and again every half minute while messages
    arrive: whoever loses the office, the account or the session is closed out."""

    user_id: int | None = None

    async def connect(self) -> None:
        user, session = self.scope.get("user"), self.scope.get("session")
        offices = await _staff_offices(user, session)
        await self.accept()
        if offices is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = user.pk
        self.checked_at = monotonic()
        for office_id in offices:
            group = live.staff_group(office_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)

    async def queue_staff(self, message: dict) -> None:
        if monotonic() - self.checked_at > DASHBOARD_RECHECK_SECONDS:
            self.checked_at = monotonic()
            if not await self._still_allowed():
                await self.close(code=CLOSE_FORBIDDEN)
                return
        payload = {key: message[key] for key in ("office", "event", "waiting", "knock")}
        await self.send(text_data=json.dumps({"type": "queue", **payload}))

    async def _still_allowed(self) -> bool:
        """The user and the session read afresh: logged out, deactivated, idle or moved
        to other offices since connecting?"""
        session_key = self.scope["session"].session_key if "session" in self.scope else None
        if not session_key:
            return False
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
        user = await get_user({"session": session})
        if user.pk != self.user_id:
            return False
        return bool(await _staff_offices(user, session))

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """The dashboard only listens (and pings to keep proxies from closing the line)."""


@database_sync_to_async
def _staff_offices(user, session) -> list[int] | None:
    """The office ids a staff session may watch, or None when the session is not what the
    staff areas demand over HTTP (identity/staff/middleware.py)."""
    from buergerbuero.applications.consumers import _staff_session_ok

    if user is None or not user.is_authenticated or session is None:
        return None
    if not user.is_staff or not _staff_session_ok(user, session):
        return None
    return list(services.staffed_offices(user).values_list("pk", flat=True))


# -- Call signaling ------------------------------------------------------------------------

_CANDIDATE_FIELDS = {"candidate": str, "sdpMid": str, "sdpMLineIndex": int, "usernameFragment": str}


def _clean_signal(message: dict) -> dict | str:
    """The message as it may be passed on (only known fields, checked types and sizes), or
    an error code. Nothing the sender adds — such as another call's id — travels on."""
    kind = message.get("type")
    if kind in {"offer", "answer"}:
        sdp = message.get("sdp")
        if not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP:
            return "malformed"
        return {"type": kind, "sdp": sdp}
    if kind == "ice":
        candidate = message.get("candidate")
        if candidate is None:
            return {"type": "ice", "candidate": None}
        if not isinstance(candidate, dict):
            return "malformed"
        clean = {}
        for field, kind_of in _CANDIDATE_FIELDS.items():
            value = candidate.get(field)
            if value is None:
                continue
            if not isinstance(value, kind_of) or isinstance(value, bool):
                return "malformed"
            if isinstance(value, str) and len(value) > 1000:
                return "malformed"
            clean[field] = value
        if "candidate" not in clean:
            return "malformed"
        return {"type": "ice", "candidate": clean}
    if kind == "chat":
        text = message.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHAT:
            return "malformed"
        return {"type": "chat", "text": text.strip(), "at": timezone.now().isoformat()}
    if kind == "media":
        flags = {k: message.get(k) for k in ("audio", "video", "screen")}
        if not all(isinstance(v, bool) for v in flags.values()):
            return "malformed"
        return {"type": "media", **flags}
    if kind in {"restart", "hangup", "ping"}:
        return {"type": kind}
    return "unknown_type"


ERROR_TEXTS = {
    "malformed": "Die Nachricht war unvollständig oder fehlerhaft und wurde nicht übermittelt.",
    "too_large": "Die Nachricht war zu groß und wurde nicht übermittelt.",
    "unknown_type": "Diese Art von Nachricht gibt es nicht.",
    "too_fast": "Zu viele Nachrichten in kurzer Zeit – bitte einen Moment warten.",
}


class CallConsumer(VideoConsumer):
    """``ws/video/anruf/<call>/?token=…`` — offer, answer, ICE candidates, chat and the
    controls of one call, relayed to the other side and to nobody else."""

    call_pk: int | None = None
    role: str = ""

    async def connect(self) -> None:
        public_id = self.scope["url_route"]["kwargs"]["call"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = query.get("token", [""])[0]
        spent = await _spend(public_id, token, self.scope.get("session"), self.scope.get("user"))
        await self.accept()
        if spent is None:
            await self.close(code=CLOSE_BAD_TICKET)
            return
        call, role = spent
        self.call_pk, self.role = call.pk, role
        self.call_public_id = call.public_id
        self.allowance, self.allowance_at = float(SIGNALS_PER_SECOND), monotonic()
        group = live.call_group(call.pk)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)
        peer_present = await _present(call.pk, role)
        await self.send(
            text_data=json.dumps({"type": "welcome", "role": role, "peer_present": peer_present})
        )
        await self.channel_layer.group_send(
            group,
            {"type": "call.peer", "role": role, "state": "joined", "sender": self.channel_name},
        )
        if not peer_present:
            self._check_lost_later(_other(role))

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.call_pk is None:
            return
        if bytes_data is not None or text_data is None or len(text_data) > MAX_SIGNAL_MESSAGE:
            await self._error("too_large" if text_data or bytes_data else "malformed")
            return
        if not self._within_rate():
            await self._error("too_fast")
            return
        message = _json(text_data, MAX_SIGNAL_MESSAGE)
        clean = _clean_signal(message) if message is not None else "malformed"
        if isinstance(clean, str):
            await self._error(clean)
            return
        kind = clean["type"]
        if kind == "ping":
            await self._check_peer()
            return
        if kind == "hangup":
            call = await _call(self.call_pk)
            if call is None:  # ended elsewhere; its "ended" message is on its way
                return
            reason = (
                CallEnd.HANGUP_CASEWORKER
                if self.role == CallRole.CASEWORKER
                else CallEnd.HANGUP_CITIZEN
            )
            await database_sync_to_async(services.call_end)(call, reason=reason)
            return
        await self.channel_layer.group_send(
            live.call_group(self.call_pk),
            {
                "type": "call.relay",
                "sender": self.channel_name,
                "payload": {**clean, "from": self.role},
            },
        )

    def _within_rate(self) -> bool:
        now = monotonic()
        self.allowance = min(
            float(SIGNALS_PER_SECOND),
            self.allowance + (now - self.allowance_at) * SIGNALS_PER_SECOND,
        )
        self.allowance_at = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True

    async def _error(self, code: str) -> None:
        from django.utils.translation import gettext

        logger.info("video: call %s %s signal refused: %s", self.call_public_id, self.role, code)
        text = gettext(ERROR_TEXTS[code])
        await self.send(text_data=json.dumps({"type": "error", "code": code, "message": text}))

    async def call_relay(self, message: dict) -> None:
        if message["sender"] != self.channel_name:
            await self.send(text_data=json.dumps(message["payload"]))

    async def call_peer(self, message: dict) -> None:
        if message["sender"] != self.channel_name and message["role"] != self.role:
            await self.send(
                text_data=json.dumps(
                    {"type": "peer", "role": message["role"], "state": message["state"]}
                )
            )

    async def call_server(self, message: dict) -> None:
        kind = message["kind"]
        if kind == "ended" or (kind == "requeued" and self.role == CallRole.CASEWORKER):
            next_url = (
                message.get("caseworker_next")
                if self.role == CallRole.CASEWORKER
                else message.get("citizen_next")
            )
            if next_url is None:  # requeued, seen by the caseworker (whose page came back late)
                next_url = reverse("videostaff:outcome", args=[self.call_public_id])
            await self.send(
                text_data=json.dumps(
                    {
                        "type": "ended",
                        "reason": message.get("reason", "caseworker_lost"),
                        "next_url": next_url,
                    }
                )
            )
            self.call_pk = None
            await self.close(code=CLOSE_OVER)
        elif kind == "requeued":
            await self.send(
                text_data=json.dumps({"type": "requeued", "waiting_url": message["waiting_url"]})
            )
            self.call_pk = None
            await self.close(code=CLOSE_OVER)
        elif kind == "document":
            payload = {"type": "document", "name": message["name"]}
            if self.role == CallRole.CASEWORKER:
                payload["url"] = message["url"]
            await self.send(text_data=json.dumps(payload))

    async def disconnect(self, code) -> None:
        if self.call_pk is None:
            return
        call = await _call(self.call_pk)
        if call is None:  # ended elsewhere (the other side, housekeeping, another process)
            return
        await database_sync_to_async(services.call_side_away)(call, self.role)
        await self.channel_layer.group_send(
            live.call_group(self.call_pk),
            {"type": "call.peer", "role": self.role, "state": "left", "sender": self.channel_name},
        )
        # If this side does not come back, the other side's socket ends or requeues the
        # call; the check runs here too, in case the other side is gone as well.
        self._check_lost_later(self.role)

    async def _check_peer(self) -> None:
        call = await _call(self.call_pk)
        if call is not None:
            await database_sync_to_async(services.call_side_lost)(call, _other(self.role))

    def _check_lost_later(self, role: str) -> None:
        call_pk = self.call_pk

        async def check() -> None:
            await asyncio.sleep(services.grace_seconds(role) + 1)
            call = await _call(call_pk)
            if call is not None:
                await database_sync_to_async(services.call_side_lost)(call, role)

        asyncio.get_running_loop().create_task(check())


def _other(role: str) -> str:
    return CallRole.CITIZEN if role == CallRole.CASEWORKER else CallRole.CASEWORKER


@database_sync_to_async
def _spend(public_id, token, session, user):
    spent = services.call_ticket_spend(public_id, token)
    if spent is None:
        return None
    call, role = spent
    # The ticket was issued to this side's page; the socket must come from that browser.
    if services.role_of(session, user, call) != role:
        logger.warning("video: call %s ticket used from another session", call.public_id)
        return None
    services.call_side_present(call, role)
    return call, role


@database_sync_to_async
def _present(call_pk: int, role: str) -> bool:
    other = _other(role)
    return Call.objects.filter(pk=call_pk, **{f"{other}_away_since__isnull": True}).exists()


@database_sync_to_async
def _call(pk) -> Call | None:
    return Call.objects.filter(pk=pk, ended_at__isnull=True).select_related("knock").first()
