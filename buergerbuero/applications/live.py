"""Live case updates: a caseworker with a case open learns at once that it changed.

Every write on a case calls :func:`case_changed` inside its transaction. The message goes
out only after the commit (nothing is announced that was rolled back) to the case's group
on the channel layer — in memory within one process, across processes through Redis when
``REDIS_URL`` is set. :mod:`.consumers` decides who may listen (``casework.can_work_on``)
and turns a message into the sentence the case page shows.

A message names what kind of change it was (an :class:`EventKind`), who made it (a
colleague's name, or nobody for the citizen and the system), when, and the case version
after it. It carries nothing the citizen wrote::

    live.case_changed(case, actor=request.user, what=EventKind.STATUS)
"""

from __future__ import annotations

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .models import Case, EventKind

logger = logging.getLogger("buergerbuero.applications")

MESSAGE_TYPE = "case.changed"  # handled by CaseLiveConsumer.case_changed


def group_name(case_id: int) -> str:
    return f"case.{case_id}"


def case_changed(case: Case, *, actor=None, what: str) -> None:
    """Tell everyone watching ``case`` that it changed, once the transaction commits."""
    known = actor is not None and actor.is_authenticated
    payload = {
        "what": str(what),
        "actor_id": actor.pk if known else None,
        "actor_name": actor.display_name if known else "",
        "at": timezone.now().isoformat(),
    }
    transaction.on_commit(partial(_send, case.pk, payload))


def _send(case_id: int, payload: dict) -> None:
    # A broken channel layer (Redis down) must not break the write that was just saved:
    # the caseworkers still see the change on their next page load or as a conflict.
    try:
        version = Case.objects.filter(pk=case_id).values_list("version", flat=True).first()
        layer = get_channel_layer()
        if version is None or layer is None:
            return
        message = {"type": MESSAGE_TYPE, **payload, "version": version}
        async_to_sync(layer.group_send)(group_name(case_id), message)
    except Exception as error:  # noqa: BLE001 - logged, the write stands
        logger.warning("live update for case %s not sent: %r", case_id, error)


def change_from_event(event) -> dict:
    """A timeline entry as a change message (for a page that is older than the case)."""
    actor = event.actor
    return {
        "what": event.kind,
        "actor_id": event.actor_id,
        "actor_name": actor.display_name if actor is not None else "",
        "at": event.created_at.isoformat(),
        "version": event.case.version,
    }


def change_text(change: dict, *, user_id: int | None, language: str) -> str:
    """ "Dieser Vorgang wurde soeben von Anna Becker geändert (Status geändert, 14:32 Uhr)." """
    with translation.override(language):
        try:
            what = str(EventKind(change["what"]).label)
        except ValueError:
            what = _("Änderung")
        if change.get("actor_id") is not None and change["actor_id"] == user_id:
            who = _("Ihnen in einem anderen Fenster")
        elif change.get("actor_name"):
            who = change["actor_name"]
        elif change["what"] in (EventKind.MESSAGE, EventKind.DOCUMENT):
            who = _("der antragstellenden Person")
        else:
            who = _("dem System")
        at = parse_datetime(change.get("at") or "") or timezone.now()
        time = formats.time_format(timezone.localtime(at))
        return _("Dieser Vorgang wurde soeben von %(name)s geändert (%(what)s, %(time)s Uhr).") % {
            "name": who,
            "what": what,
            "time": time,
        }
