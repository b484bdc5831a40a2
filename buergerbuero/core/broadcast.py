"""Messages to open pages, sent once the database change they report has committed.

Every app's ``live.py`` names its groups and builds its messages, then hands them here::

    group_send_after_commit("tickets.centre.7", {"type": "queue.changed"})

Nothing is announced for a change that is rolled back. A channel layer that fails (Redis
down) is logged and otherwise ignored: the change itself is committed, and the pages catch
up when their sockets reconnect and read the state again.
"""

from __future__ import annotations

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("buergerbuero.core")


def group_send_after_commit(group: str, message: dict) -> None:
    transaction.on_commit(partial(_send, group, message))


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # noqa: BLE001 — Redis down: pages catch up on reconnect
        logger.exception("could not send %s to %s", message.get("type"), group)
