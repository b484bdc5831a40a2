"""The live channel of a case page (``/ws/sachbearbeitung/vorgaenge/<reference>/``).

Only a caseworker who may work on the case (``casework.can_work_on``, through the Django
session) listens. Anyone else — another department, a citizen, an anonymous visitor, an
unknown reference — gets the connection accepted and at once closed with
:data:`CLOSE_FORBIDDEN`, before any data, the same way in every case: the existence of a
case is not disclosed. (Accepted first because a handshake refused with HTTP 403 reaches
the browser as a bare 1006; the close code tells the page not to try again.)

The session must be what the staff areas demand over HTTP (identity/staff/middleware.py):
not idle past the staff timeout, confirmed with the second factor where that is required.
Permission is checked again before every message is passed on, with the user and the
session read afresh: whoever loses the department, is deactivated, logged out or idle
while connected gets the next change as a close, not as a message.

Query parameters the page sends: ``version`` (the case version it shows: if the case is
already newer, the change is reported at once) and ``lang`` (language of the text).
"""

from __future__ import annotations

import json
import logging
import time
from importlib import import_module
from urllib.parse import parse_qs

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from . import live
from .casework import can_work_on
from .models import Case

logger = logging.getLogger("buergerbuero.applications")

CLOSE_FORBIDDEN = 4403


class CaseLiveConsumer(AsyncWebsocketConsumer):
    case_id: int | None = None

    async def connect(self) -> None:
        reference = self.scope["url_route"]["kwargs"]["reference"]
        user = self.scope.get("user")
        case = await _case_if_allowed(user, self.scope.get("session"), reference=reference)
        if case is None:
            logger.info("live: refused user %s for a case page", getattr(user, "pk", None))
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.case_id = case.pk
        self.user_id = user.pk
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.language = _language(query.get("lang", [""])[0])
        group = live.group_name(case.pk)
        # Joined before the page hears "connected": no change is missed in between.
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)  # left again by the base class on disconnect
        await self.accept()
        seen = _int(query.get("version", [""])[0])
        if seen is not None and case.version > seen:
            change = await _last_change(case.pk)
            if change is not None:
                await self._send_change(change)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """The page only listens; whatever it sends is ignored."""

    async def case_changed(self, message: dict) -> None:
        if not await self._still_allowed():
            logger.info("live: user %s no longer on case %s", self.user_id, self.case_id)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self._send_change(message)

    async def _send_change(self, change: dict) -> None:
        text = live.change_text(change, user_id=self.user_id, language=self.language)
        payload = {"type": "case.changed", "version": change["version"], "text": text}
        await self.send(text_data=json.dumps(payload))

    async def _still_allowed(self) -> bool:
        session_key = self.scope["session"].session_key if "session" in self.scope else None
        if not session_key:
            return False
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
        user = await get_user({"session": session})
        if user.pk != self.user_id:
            return False
        return await _case_if_allowed(user, session, pk=self.case_id) is not None


@database_sync_to_async
def _case_if_allowed(user, session, **lookup) -> Case | None:
    if user is None or not user.is_authenticated or session is None:
        return None
    if not _staff_session_ok(user, session):
        return None
    case = Case.objects.filter(**lookup).first()
    if case is None or not can_work_on(user, case):
        return None
    return case


def _staff_session_ok(user, session) -> bool:
    """What identity/staff/middleware.py demands of HTTP requests to the staff areas, for
    the session behind a socket: not idle longer than the staff timeout, and confirmed
    with the second factor where that is required (django-otp's device in the session)."""
    from buergerbuero.identity.staff.middleware import idle_timeout_seconds
    from buergerbuero.identity.staff.second_factor import second_factor_required
    from buergerbuero.identity.staff.signals import SESSION_LAST_SEEN

    last_seen = session.get(SESSION_LAST_SEEN)
    if last_seen is not None and time.time() - last_seen > idle_timeout_seconds(user):
        return False
    if second_factor_required(user):
        persistent_id = session.get(DEVICE_ID_SESSION_KEY)
        device = Device.from_persistent_id(persistent_id) if persistent_id else None
        if device is None or device.user_id != user.pk or not device.confirmed:
            return False
    return True


@database_sync_to_async
def _last_change(case_id: int) -> dict | None:
    event = (
        Case.objects.get(pk=case_id)
        .events.select_related("actor", "case")
        .order_by("-created_at", "-id")
        .first()
    )
    return live.change_from_event(event) if event is not None else None


def _language(code: str) -> str:
    known = {language for language, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
