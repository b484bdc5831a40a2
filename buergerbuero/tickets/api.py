"""The tickets part of the JSON API (buergerbuero/api.py mounts it):
``GET /api/v1/waiting-times``. Open data, no login. Fields are a contract: add fields, never
rename or remove them within version 1."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from . import selectors

router = Router(tags=["Wartemarken"])


class GroupWaitingTime(Schema):
    letter: str
    name: str
    waiting: int
    estimated_wait_minutes: int


class CentreWaitingTime(Schema):
    slug: str
    name: str
    open: bool
    waiting: int
    estimated_wait_minutes: int | None
    updated_at: dt.datetime
    groups: list[GroupWaitingTime]


@router.get(
    "/waiting-times",
    response=list[CentreWaitingTime],
    summary="Wartezeiten der Kundenzentren",
    description=(
        "Jedes Kundenzentrum mit Wartemarken: geöffnet oder nicht, wie viele Wartemarken "
        "warten, die geschätzte Wartezeit in Minuten für eine jetzt gezogene Wartemarke "
        "(die längste der Leistungsgruppen; null, solange geschlossen), und je "
        "Leistungsgruppe dasselbe."
    ),
)
def waiting_times(request):
    return [
        CentreWaitingTime(
            slug=wait.centre.slug,
            name=wait.centre.name,
            open=wait.open,
            waiting=wait.waiting,
            estimated_wait_minutes=wait.estimated_wait_minutes,
            updated_at=wait.updated_at,
            groups=[
                GroupWaitingTime(
                    letter=g.group.letter,
                    name=g.group.name,
                    waiting=g.waiting,
                    estimated_wait_minutes=g.estimate.minutes,
                )
                for g in wait.groups
            ],
        )
        for wait in selectors.centre_waits()
    ]
