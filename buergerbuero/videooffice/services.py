"""The knock's state machine and the call's life, in one place.

Every transition is one conditional UPDATE in a transaction (``state`` in the states it may
leave), so two caseworkers pressing "Einlassen" at once, a citizen leaving while being
admitted, or two server processes expiring the same knock give one result, never two.
The queue's waiting rooms and dashboards are told after the commit (:mod:`.live`).

Who may do what:
- the citizen: the browser session that knocked (the knock's id is kept in the session,
  which survives a login) or the account that knocked;
- a caseworker: a staff account assigned to the office (``VideoOffice.caseworkers``). The
  right comes from the assignment, never from who opened a page first, so nobody can be
  locked out of their own office.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerbuero.applications.audit import audit
from buergerbuero.identity.trust import session_identity

from . import live
from .models import (
    ACTIVE_KNOCK_STATES,
    Availability,
    Call,
    CallDocument,
    CallEnd,
    CallRole,
    CallToken,
    CaseworkerPresence,
    Knock,
    KnockState,
    VideoOffice,
)
from .queue import QUEUE_STATES

logger = logging.getLogger("buergerbuero.videooffice")

SESSION_KNOCKS = "videooffice.knocks"
TICKET_SECONDS = 60
RATE_WINDOW_SECONDS = 3600


class KnockRefused(Exception):
    """A knock that cannot be placed; ``message`` says why, in the citizen's language."""

    def __init__(self, code: str, message, *, knock: Knock | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.knock = knock


class NotAllowed(PermissionDenied):
    pass


class NoLongerWaiting(Exception):
    """The knock was admitted, declined or left in the meantime."""


# -- The citizen's side ----------------------------------------------------------------


def knock_create(
    *,
    office: VideoOffice,
    request,
    concern: str,
    language: str,
    mode: str,
    priority: int = Knock.PRIORITY_WALK_IN,
    consent_at: dt.datetime | None = None,
) -> Knock:
    """Place a knock at ``office`` for the citizen behind ``request``.

    The knock starts *knocking* and away: it becomes *waiting* when the waiting room opens
    (:func:`knock_present`), and expires like any knock whose page does not come back.
    A video appointment's knock (``PRIORITY_APPOINTMENT``, :mod:`.appointments`) may come
    a few minutes before the consultation hour begins, with the consent given at booking."""
    from . import hours

    if not office.is_active:
        raise KnockRefused("inactive", _("Dieses virtuelle Amt nimmt zurzeit keine Anfragen an."))
    if priority != Knock.PRIORITY_APPOINTMENT and not hours.is_open(office):
        raise KnockRefused(
            "closed",
            _(
                "Die Video-Sprechstunde ist gerade geschlossen. "
                "Bitte kommen Sie zur nächsten Sprechstunde wieder."
            ),
        )
    other = _active_knock(request)
    if other is not None:
        raise KnockRefused(
            "already_waiting",
            _(
                "Sie warten bereits bei „%(office)s“. "
                "Sie können nur an einer Tür gleichzeitig anklopfen."
            )
            % {"office": other.office.name},
            knock=other,
        )
    _count_knock(request)
    if not request.session.session_key:
        request.session.save()
    user = request.user if request.user.is_authenticated else None
    identity = session_identity(request)
    now = timezone.now()
    try:
        with transaction.atomic():
            knock = Knock.objects.create(
                office=office,
                user=user,
                session_key=request.session.session_key,
                concern=concern.strip()[:500],
                language=language,
                mode=mode,
                trust_level=identity.level if identity else "",
                identity_method=identity.method if identity else "",
                consent_at=consent_at or now,
                priority=priority,
                queue_at=now,
                away_since=now,
            )
            live.queue_changed(office, event="arrived", knock=knock, inserted=[knock.queue_key()])
    except IntegrityError:
        # The same person knocked twice at once (two tabs, five offices): the database's
        # one-active-knock constraint let exactly one through.
        other = _active_knock(request)
        raise KnockRefused(
            "already_waiting",
            _("Sie warten bereits bei einem anderen virtuellen Amt."),
            knock=other,
        ) from None
    knock_adopt(request, knock)
    logger.info("video: knock %s at %s", knock.public_id, office.slug)
    return knock


def knock_adopt(request, knock: Knock) -> None:
    """This browser session may open ``knock``'s waiting room and call from now on (the
    knock it placed, or a video appointment's knock opened from its manage link)."""
    if not request.session.session_key:
        request.session.save()
    knocks = [str(knock.public_id), *request.session.get(SESSION_KNOCKS, [])]
    request.session[SESSION_KNOCKS] = list(dict.fromkeys(knocks))[:10]


def _count_knock(request) -> None:
    """A client address may knock ``VIDEO_KNOCKS_PER_CLIENT`` times an hour: enough for
    a household behind one router, not for a script filling the queue."""
    from buergerbuero.identity.staff.lockout import client_ip

    key = f"videooffice.knocks.{client_ip(request)}"
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    if cache.incr(key) > settings.VIDEO_KNOCKS_PER_CLIENT:
        logger.warning("video: knock refused, too many from one client")
        raise KnockRefused(
            "too_many",
            _(
                "Von Ihrem Anschluss wurde in der letzten Stunde zu oft angeklopft. "
                "Bitte versuchen Sie es später noch einmal."
            ),
        )


def _active_knock(request) -> Knock | None:
    return _own_knocks(request.session, request.user).filter(state__in=ACTIVE_KNOCK_STATES).first()


def _own_knocks(session, user):
    """Knocks of this browser session or of this account."""
    ids = list(session.get(SESSION_KNOCKS, [])) if session is not None else []
    mine = Q(public_id__in=ids)
    if user is not None and user.is_authenticated:
        mine |= Q(user=user)
    return Knock.objects.filter(mine).select_related("office")


def owns_knock(session, user, knock: Knock) -> bool:
    if user is not None and user.is_authenticated and knock.user_id == user.pk:
        return True
    return session is not None and str(knock.public_id) in session.get(SESSION_KNOCKS, [])


def own_knock(request, public_id) -> Knock | None:
    return _own_knocks(request.session, request.user).filter(public_id=public_id).first()


def active_knock(request) -> Knock | None:
    """This browser's (or account's) knock that is still going on, if any."""
    return _active_knock(request)


def knock_present(knock: Knock) -> None:
    """The waiting room is open (again): the knock waits and keeps its place."""
    Knock.objects.filter(pk=knock.pk, state__in=QUEUE_STATES).update(
        state=KnockState.WAITING, away_since=None
    )


def knock_seen(knock: Knock) -> None:
    """The waiting room page was loaded. Until its socket connects (``knock_present``) the
    grace period runs from now: a page without JavaScript, which never connects, keeps
    the place as long as it is reloaded within the grace period (it reloads itself)."""
    Knock.objects.filter(pk=knock.pk, state__in=QUEUE_STATES).update(
        state=KnockState.WAITING, away_since=timezone.now()
    )


def knock_away(knock: Knock) -> None:
    """The waiting room's connection dropped: the place is kept for the grace period."""
    Knock.objects.filter(pk=knock.pk, state__in=QUEUE_STATES, away_since__isnull=True).update(
        away_since=timezone.now()
    )


def knock_leave(knock: Knock) -> bool:
    return _leave_queue(knock, KnockState.LEFT, event="left")


def knocks_expire(*, now: dt.datetime | None = None) -> int:
    """Knocks whose waiting room has been gone longer than the grace period lose their
    place. Safe to run from any process, any number of times."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.VIDEO_WAITING_GRACE_SECONDS)
    expired = 0
    for knock in Knock.objects.filter(state__in=QUEUE_STATES, away_since__lt=cutoff).select_related(
        "office"
    ):
        if _leave_queue(knock, KnockState.EXPIRED, event="expired"):
            expired += 1
    return expired


def _leave_queue(knock: Knock, state: str, *, event: str, **fields) -> bool:
    with transaction.atomic():
        left = Knock.objects.filter(pk=knock.pk, state__in=QUEUE_STATES).update(
            state=state, ended_at=timezone.now(), **fields
        )
        if not left:
            return False
        knock.refresh_from_db()
        live.queue_changed(knock.office, event=event, knock=knock, removed=[knock.queue_key()])
        live.knock_told(knock, "ended", state=state, message=knock.decline_message)
    logger.info("video: knock %s %s", knock.public_id, state)
    return True


# -- The caseworker's side -------------------------------------------------------------


def staffed_offices(user):
    """The active offices ``user`` is assigned to (staff accounts only)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return VideoOffice.objects.none()
    return VideoOffice.objects.filter(is_active=True, caseworkers=user)


def may_staff(user, office: VideoOffice) -> bool:
    return staffed_offices(user).filter(pk=office.pk).exists()


def knock_admit(knock: Knock, *, caseworker) -> Call:
    """Let the citizen in: a call between them and ``caseworker`` begins."""
    if not may_staff(caseworker, knock.office):
        raise NotAllowed
    with transaction.atomic():
        taken = Knock.objects.filter(pk=knock.pk, state__in=QUEUE_STATES).update(
            state=KnockState.ADMITTED, away_since=None
        )
        if not taken:
            raise NoLongerWaiting
        knock.refresh_from_db()
        # Both pages are "away" until their sockets connect.
        now = timezone.now()
        call = Call.objects.create(
            knock=knock,
            office=knock.office,
            caseworker=caseworker,
            citizen_away_since=now,
            caseworker_away_since=now,
        )
        _presence_store(caseworker, Availability.BUSY)
        live.queue_changed(knock.office, event="admitted", knock=knock, removed=[knock.queue_key()])
        live.knock_told(
            knock, "admitted", call_url=reverse("videooffice:call", args=[call.public_id])
        )
    logger.info("video: knock %s admitted by user %s", knock.public_id, caseworker.pk)
    return call


def admit_next(office: VideoOffice, *, caseworker) -> Call | None:
    """Admit whoever is first in line (skipping anyone admitted by a colleague meanwhile)."""
    from .queue import waiting

    if not may_staff(caseworker, office):
        raise NotAllowed
    knocks_expire()
    for knock in waiting(office)[:5]:
        try:
            return knock_admit(knock, caseworker=caseworker)
        except NoLongerWaiting:
            continue
    return None


def knock_decline(knock: Knock, *, caseworker, message: str) -> None:
    if not may_staff(caseworker, knock.office):
        raise NotAllowed
    knock.decline_message = message.strip()
    if not _leave_queue(
        knock, KnockState.DECLINED, event="declined", decline_message=message.strip()
    ):
        raise NoLongerWaiting


def knock_transfer(knock: Knock, *, caseworker, office: VideoOffice) -> None:
    """Send a waiting citizen to another office's door, keeping the time they knocked."""
    if not may_staff(caseworker, knock.office):
        raise NotAllowed
    if not office.is_active or office.pk == knock.office_id:
        raise NotAllowed
    source = knock.office
    with transaction.atomic():
        moved = Knock.objects.filter(pk=knock.pk, state__in=QUEUE_STATES).update(
            office=office, transferred_from=source
        )
        if not moved:
            raise NoLongerWaiting
        knock.refresh_from_db()
        key = knock.queue_key()
        live.queue_changed(source, event="transferred", knock=knock, removed=[key])
        live.queue_changed(office, event="arrived", knock=knock, inserted=[key])
        live.knock_told(knock, "transferred", office=office.name, office_id=office.pk)
    logger.info("video: knock %s transferred %s -> %s", knock.public_id, source.slug, office.slug)


def presence_of(user) -> str:
    presence = CaseworkerPresence.objects.filter(user=user).first()
    return presence.status if presence else Availability.AWAY


def presence_set(user, status: str) -> None:
    """A caseworker's availability; every office they staff gets new estimates."""
    with transaction.atomic():
        _presence_store(user, status)
        for office in staffed_offices(user):
            live.queue_changed(office, event="presence")


def _presence_store(user, status: str) -> None:
    CaseworkerPresence.objects.update_or_create(
        user=user, defaults={"status": Availability(status)}
    )


# -- The call --------------------------------------------------------------------------


def call_role(request, call: Call) -> str | None:
    """Which side of ``call`` the person behind ``request`` is, if any."""
    return role_of(request.session, request.user, call)


def role_of(session, user, call: Call) -> str | None:
    if user is not None and user.is_authenticated and user.is_staff:
        return CallRole.CASEWORKER if call.caseworker_id == user.pk else None
    return CallRole.CITIZEN if owns_knock(session, user, call.knock) else None


def call_ticket(call: Call, role: str) -> str:
    """A one-time ticket for ``role``'s signaling socket of ``call``, valid one minute."""
    token = secrets.token_urlsafe(32)
    CallToken.objects.create(
        call=call,
        role=CallRole(role),
        token_hash=_hash(token),
        expires_at=timezone.now() + dt.timedelta(seconds=TICKET_SECONDS),
    )
    return token


def call_ticket_spend(call_public_id, token: str) -> tuple[Call, str] | None:
    """The call and role a ticket was issued for — once; None for an unknown, used,
    expired ticket, a ticket of another call, or a call that is over."""
    if not token or len(token) > 100:
        return None
    now = timezone.now()
    spent = CallToken.objects.filter(
        token_hash=_hash(token),
        call__public_id=call_public_id,
        used_at__isnull=True,
        expires_at__gt=now,
        call__ended_at__isnull=True,
    ).update(used_at=now)
    if not spent:
        return None
    ticket = CallToken.objects.select_related("call").get(token_hash=_hash(token))
    return ticket.call, ticket.role


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def call_side_present(call: Call, role: str) -> None:
    field = f"{role}_away_since"
    Call.objects.filter(pk=call.pk).update(**{field: None})


def call_side_away(call: Call, role: str) -> None:
    field = f"{role}_away_since"
    Call.objects.filter(pk=call.pk, ended_at__isnull=True).update(**{field: timezone.now()})


def grace_seconds(role: str) -> int:
    if role == CallRole.CASEWORKER:
        return settings.VIDEO_CASEWORKER_GRACE_SECONDS
    return settings.VIDEO_WAITING_GRACE_SECONDS


def call_side_lost(call: Call, role: str, *, now: dt.datetime | None = None) -> bool:
    """End ``call`` if ``role``'s page has been gone longer than its grace period.

    A lost caseworker sends the citizen back to the head of the queue: they did nothing
    wrong and must not wait again from the back. A lost citizen ends the call."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=grace_seconds(role))
    gone = Call.objects.filter(
        pk=call.pk, ended_at__isnull=True, **{f"{role}_away_since__lte": cutoff}
    ).exists()
    if not gone:
        return False
    if role == CallRole.CASEWORKER:
        return call_requeue(call)
    return call_end(call, reason=CallEnd.CITIZEN_LOST)


def calls_lost_sweep(*, now: dt.datetime | None = None) -> int:
    """Calls with a side gone past its grace period (e.g. after a server restart)."""
    ended = 0
    for call in Call.objects.filter(ended_at__isnull=True).filter(
        Q(citizen_away_since__isnull=False) | Q(caseworker_away_since__isnull=False)
    ):
        for role in (CallRole.CASEWORKER, CallRole.CITIZEN):
            if call_side_lost(call, role, now=now):
                ended += 1
                break
    return ended


def call_end(call: Call, *, reason: str) -> bool:
    """Finish the call (both pages are told); the caseworker is available again."""
    with transaction.atomic():
        now = timezone.now()
        ended = Call.objects.filter(pk=call.pk, ended_at__isnull=True).update(
            ended_at=now, end_reason=CallEnd(reason)
        )
        if not ended:
            return False
        Knock.objects.filter(pk=call.knock_id, state=KnockState.ADMITTED).update(
            state=KnockState.DONE, ended_at=now
        )
        _caseworker_free(call)
        live.call_told(
            call.pk,
            "ended",
            reason=str(reason),
            citizen_next=reverse("videooffice:rating", args=[call.public_id]),
            caseworker_next=reverse("videostaff:outcome", args=[call.public_id]),
        )
    logger.info("video: call %s ended (%s)", call.public_id, reason)
    return True


def call_requeue(call: Call) -> bool:
    """The caseworker was lost: end the call and put the citizen first in line."""
    with transaction.atomic():
        ended = Call.objects.filter(pk=call.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=CallEnd.CASEWORKER_LOST
        )
        if not ended:
            return False
        Knock.objects.filter(pk=call.knock_id, state=KnockState.ADMITTED).update(
            state=KnockState.WAITING, priority=Knock.PRIORITY_RETURNED, away_since=timezone.now()
        )
        knock = Knock.objects.select_related("office").get(pk=call.knock_id)
        CaseworkerPresence.objects.filter(user_id=call.caseworker_id).update(
            status=Availability.AWAY
        )
        live.queue_changed(
            knock.office, event="requeued", knock=knock, inserted=[knock.queue_key()]
        )
        live.call_told(
            call.pk,
            "requeued",
            waiting_url=reverse("videooffice:waiting_room", args=[knock.public_id]),
        )
    logger.warning("video: call %s lost its caseworker; citizen back at the head", call.public_id)
    return True


def _caseworker_free(call: Call) -> None:
    still_busy = Call.objects.filter(
        caseworker_id=call.caseworker_id, ended_at__isnull=True
    ).exists()
    if not still_busy:
        CaseworkerPresence.objects.filter(
            user_id=call.caseworker_id, status=Availability.BUSY
        ).update(status=Availability.AVAILABLE)


def call_rate(call: Call, *, rating: int, comment: str = "") -> None:
    """The citizen's rating, once the call is over (the rating page comes after it)."""
    if call.is_open:
        raise NotAllowed
    if not 1 <= int(rating) <= 5:
        raise ValueError("rating is 1 to 5")
    Call.objects.filter(pk=call.pk).update(
        rating=int(rating), rating_comment=comment.strip()[:1000]
    )


def call_outcome(call: Call, *, caseworker, note: str) -> None:
    if call.caseworker_id != caseworker.pk:
        raise NotAllowed
    Call.objects.filter(pk=call.pk).update(outcome_note=note.strip())
    call.outcome_note = note.strip()
    audit(caseworker, "video.outcome", call.case, detail=f"call:{call.public_id}")


def call_document_add(call: Call, upload) -> CallDocument:
    """Keep a file the citizen sent in the call (checked by content), tell the caseworker,
    and file it into the call's case if one is linked."""
    from buergerbuero.core.uploads import check_upload

    if not call.is_open:
        raise NotAllowed
    checked = check_upload(upload)  # ValidationError with a German message
    document = CallDocument(
        call=call,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    document.file.save(checked.name, checked.file, save=False)
    document.save()
    live.call_told(
        call.pk,
        "document",
        name=document.name,
        url=reverse("videostaff:document", args=[document.pk]),
    )
    if call.case_id is not None:
        from .casefile import call_documents_file

        call_documents_file(call, caseworker=call.caseworker)
    logger.info("video: document %s in call %s", document.pk, call.public_id)
    return document


def video_housekeeping(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic part (``manage.py housekeeping``): knocks and calls whose pages are
    gone for good, spent tickets, and what citizens wrote at the door, erased
    ``VIDEO_KNOCK_RETENTION_DAYS`` after."""
    now = now or timezone.now()
    retention = dt.timedelta(days=settings.VIDEO_KNOCK_RETENTION_DAYS)
    expired = knocks_expire(now=now)
    lost = calls_lost_sweep(now=now)
    tickets, _ = CallToken.objects.filter(expires_at__lt=now - dt.timedelta(days=1)).delete()
    forgotten = (
        Knock.objects.filter(ended_at__lt=now - retention)
        .exclude(concern="", decline_message="")
        .update(concern="", decline_message="")
    )
    from .appointments import appointments_housekeeping

    booked = appointments_housekeeping(now)
    return {
        "expired": expired,
        "lost": lost,
        "tickets": tickets,
        "forgotten": forgotten,
        "appointments_reminded": booked["reminded"],
        "appointments_missed": booked["missed"],
    }
