"""The citizen's side of the video office: the office page with the device check and the
knock form, the waiting room, the call page, sending a document, and the rating.

Every page works without JavaScript as far as it can (knocking, leaving, the waiting room
with an "Aktualisieren" link, sending a document, rating); the live parts (position
updates, the call itself) are enhancements in ``static/videooffice/``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import appointments, hours, queue, services
from .forms import DocumentForm, KnockForm, RatingForm
from .models import Call, CallRole, KnockState, VideoOffice

# -- the office page and knocking -------------------------------------------------------


def office(request, slug: str):
    office = get_object_or_404(_offices(), slug=slug, is_active=True)
    return _office_page(request, office, KnockForm(office=office))


@require_POST
def knock(request, slug: str):
    office = get_object_or_404(_offices(), slug=slug)
    form = KnockForm(request.POST, office=office)
    if not form.is_valid():
        return _office_page(request, office, form, status=422)
    try:
        knock = services.knock_create(office=office, request=request, **form.knock_arguments())
    except services.KnockRefused as refusal:
        # The page again, with the reason on top and everything typed still in the form.
        status = 429 if refusal.code == "too_many" else 409
        return _office_page(request, office, form, refusal=refusal, status=status)
    return redirect("videooffice:waiting_room", knock.public_id)


def _offices():
    return VideoOffice.objects.select_related("department")


def _office_page(request, office, form, *, refusal=None, status=200):
    office_status = hours.status_of(office)
    return render(
        request,
        "videooffice/office.html",
        {
            "office": office,
            "status": office_status,
            "closes_before": _closes_before(
                office_status.closes_at, office_status.estimated_wait_minutes
            ),
            "weekly_hours": _weekly_hours(office),
            "deviations": hours.upcoming_deviations(office),
            "form": form,
            "refusal": refusal,
            "active_knock": None if refusal else services.active_knock(request),
            "retention_days": settings.VIDEO_KNOCK_RETENTION_DAYS,
            "offers_appointments": appointments.offers_appointments(office),
        },
        status=status,
    )


def _closes_before(closes_at: dt.datetime | None, minutes: int | None) -> bool:
    """Whether someone waiting ``minutes`` would probably not be served before closing:
    told before knocking and in the waiting room, so nobody waits in vain."""
    if closes_at is None or minutes is None:
        return False
    return timezone.now() + dt.timedelta(minutes=minutes) > closes_at


def _weekly_hours(office) -> list[tuple[str, list]]:
    """The consultation hours per weekday, in weekday order: [("Montag", [hours, …]), …]."""
    days: dict[int, tuple[str, list]] = {}
    for entry in office.hours.all():
        days.setdefault(entry.weekday, (entry.get_weekday_display(), []))[1].append(entry)
    return [days[weekday] for weekday in sorted(days)]


# -- the waiting room ------------------------------------------------------------------


def waiting_room(request, public_id):
    knock = _own_knock(request, public_id)
    if knock.state == KnockState.ADMITTED:
        call = knock.calls.filter(ended_at__isnull=True).first()
        if call is not None:
            return redirect("videooffice:call", call.public_id)
    context = {"knock": knock, "office": knock.office, "grace_minutes": _grace_minutes()}
    if knock.state in queue.QUEUE_STATES:
        services.knock_seen(knock)
        context.update(_place_in_line(knock))
    elif knock.state == KnockState.DONE:
        context["last_call"] = knock.calls.first()
    return render(request, "videooffice/waiting_room.html", context)


@require_POST
def leave(request, public_id):
    knock = _own_knock(request, public_id)
    if services.knock_leave(knock):
        messages.success(request, _("Sie haben den Warteraum verlassen."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(back)
    return redirect("videooffice:waiting_room", knock.public_id)


def _own_knock(request, public_id):
    knock = services.own_knock(request, public_id)
    if knock is None:
        raise Http404
    return knock


def _place_in_line(knock) -> dict:
    """What the waiting room shows before its socket says anything (and without JS)."""
    position = queue.position_of(knock)
    minutes = queue.estimate_minutes(knock.office, position)
    return {
        "position": position,
        "waiting": queue.waiting_count(knock.office),
        "estimated_wait_minutes": minutes,
        "closes_before": _closes_before(hours.closes_at(knock.office), minutes),
    }


def _grace_minutes() -> int:
    return max(1, round(settings.VIDEO_WAITING_GRACE_SECONDS / 60))


# -- the call --------------------------------------------------------------------------


def call(request, public_id):
    call = _call_for(request, public_id, CallRole.CITIZEN)
    if not call.is_open:
        return redirect("videooffice:rating", call.public_id)
    config = call_page_config(
        call,
        CallRole.CITIZEN,
        next_url=reverse("videooffice:rating", args=[call.public_id]),
        waiting_url=reverse("videooffice:waiting_room", args=[call.knock.public_id]),
    )
    return render(
        request,
        "videooffice/call.html",
        {
            "call": call,
            "office": call.office,
            "role": CallRole.CITIZEN,
            "mode": call.knock.mode,
            "call_config": config,
            "document_form": DocumentForm(),
        },
    )


def call_page_config(call, role: str, *, next_url: str, waiting_url: str = "") -> dict:
    """What ``videooffice/call.js`` needs (rendered with ``json_script`` by ``_call.html``);
    the caseworker's page builds its config with this function too."""
    from .turn import ice_configuration

    return {
        "role": str(role),
        "mode": call.knock.mode,
        "token": services.call_ticket(call, role),
        "ice": ice_configuration(),
        "signalUrl": f"/ws/video/anruf/{call.public_id}/",
        "ticketUrl": reverse("videooffice:call_ticket", args=[call.public_id]),
        "documentUrl": reverse("videooffice:call_document", args=[call.public_id]),
        "nextUrl": next_url,
        "waitingUrl": waiting_url,
    }


@require_POST
def call_ticket(request, public_id):
    """A fresh one-time ticket for a page whose signaling socket dropped (either side)."""
    call = get_object_or_404(Call.objects.select_related("knock"), public_id=public_id)
    role = services.call_role(request, call)
    if role is None:
        return JsonResponse({"error": _("Sie gehören nicht zu diesem Gespräch.")}, status=403)
    if not call.is_open:
        return JsonResponse({"error": _("Das Gespräch ist beendet.")}, status=410)
    from .turn import ice_configuration

    return JsonResponse({"token": services.call_ticket(call, role), "ice": ice_configuration()})


@require_POST
def call_document(request, public_id):
    """The citizen sends a file: JSON for the page's script, a redirect with a message
    for a browser without JavaScript."""
    call = _call_for(request, public_id, CallRole.CITIZEN)
    form = DocumentForm(request.POST, request.FILES)
    error, name = None, ""
    if not form.is_valid():
        error = " ".join(form.errors["document"])
    else:
        try:
            name = services.call_document_add(call, form.cleaned_data["document"]).name
        except ValidationError as refused:
            error = " ".join(refused.messages)
        except PermissionDenied:
            error = _("Das Gespräch ist beendet: Sie können kein Dokument mehr senden.")
    if "application/json" in request.headers.get("Accept", ""):
        if error:
            return JsonResponse({"ok": False, "error": error}, status=400)
        return JsonResponse({"ok": True, "name": name})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("„%(name)s“ wurde gesendet.") % {"name": name})
    return redirect("videooffice:call", call.public_id)


def rating(request, public_id):
    call = _call_for(request, public_id, CallRole.CITIZEN)
    if call.is_open:
        return redirect("videooffice:call", call.public_id)
    form = RatingForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            services.call_rate(
                call, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
            return redirect("videooffice:rating", call.public_id)
        return render(request, "videooffice/rating.html", {"call": call, "form": form}, status=422)
    return render(request, "videooffice/rating.html", {"call": call, "form": form})


def _call_for(request, public_id, role: str):
    """The call, if the person asking is its ``role`` side; 403 for anyone else."""
    call = get_object_or_404(Call.objects.select_related("knock", "office"), public_id=public_id)
    if services.call_role(request, call) != role:
        raise PermissionDenied
    return call
