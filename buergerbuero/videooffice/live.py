"""What the video office tells open pages, over the channel layer (in memory within one
process, through Redis across processes when ``REDIS_URL`` is set).

Four kinds of group:

- ``video.office.<id>`` — every waiting room of the office. A change of the queue is sent
  as a *move*: the queue keys that left and that joined, and the queue version after the
  change. A waiting room knows its own key and position, so it works out its new position
  without asking the database — one message for 5,000 waiting rooms, not 5,000 queries
  (bench/video_waiting_room.py). A room that sees a gap in the versions recounts.
- ``video.knock.<id>`` — one citizen's waiting room: admitted, declined, transferred, ended.
- ``video.staff.<id>`` — the dashboards of the office's caseworkers: who arrived, who left.
- ``video.call.<id>`` — the two sides of a call (signaling relayed by consumers.CallConsumer).

Everything is sent after the transaction commits: nobody hears of a change that was rolled
back. A broken channel layer never breaks the change itself; pages that missed a message
catch up when they reconnect (they read the state from the database).
"""

from __future__ import annotations

from django.db.models import F

from buergerbuero.core.broadcast import group_send_after_commit

from .models import Knock, VideoOffice


def office_group(office_id: int) -> str:
    return f"video.office.{office_id}"


def staff_group(office_id: int) -> str:
    return f"video.staff.{office_id}"


def knock_group(knock_id: int) -> str:
    return f"video.knock.{knock_id}"


def call_group(call_id: int) -> str:
    return f"video.call.{call_id}"


def knock_summary(knock: Knock) -> dict:
    """What a caseworker's dashboard learns of a knock (the citizen's name never travels:
    the dashboard shows it from the database to those who may see it)."""
    return {
        "id": str(knock.public_id),
        "concern": knock.concern[:200],
        "language": knock.language,
        "mode": knock.mode,
        "logged_in": knock.user_id is not None,
        "trust_level": knock.trust_level,
    }


def queue_changed(
    office: VideoOffice,
    *,
    event: str,
    knock: Knock | None = None,
    removed: list | tuple = (),
    inserted: list | tuple = (),
) -> None:
    """Record a change of ``office``'s queue (inside the caller's transaction) and tell its
    waiting rooms and dashboards once it commits."""
    from . import queue

    VideoOffice.objects.filter(pk=office.pk).update(queue_version=F("queue_version") + 1)
    version = VideoOffice.objects.values_list("queue_version", flat=True).get(pk=office.pk)
    waiting = queue.waiting_count(office)
    # The dashboards first: the callbacks run in this order, and a broadcast to thousands
    # of waiting rooms would otherwise keep the caseworker's alert waiting behind it
    # (bench/video_knock_alert.py).
    group_send_after_commit(
        staff_group(office.pk),
        {
            "type": "queue.staff",
            "office": office.slug,
            "event": event,
            "waiting": waiting,
            "knock": knock_summary(knock) if knock is not None else None,
        },
    )
    group_send_after_commit(
        office_group(office.pk),
        {
            "type": "queue.moved",
            "version": version,
            "removed": list(removed),
            "inserted": list(inserted),
            "waiting": waiting,
            **queue.estimate_parameters(office),
        },
    )


def knock_told(knock: Knock, kind: str, **data) -> None:
    """Tell the knock's own waiting room something (admitted, declined, …)."""
    group_send_after_commit(knock_group(knock.pk), {"type": "knock.told", "kind": kind, **data})


def call_told(call_id: int, kind: str, **data) -> None:
    """Tell both pages of a call something from the server side (ended, requeued, …)."""
    group_send_after_commit(call_group(call_id), {"type": "call.server", "kind": kind, **data})
