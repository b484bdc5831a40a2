"""The citizen's video appointments: choose a time, book, and at its time enter the
waiting room from the link in the email (``/video-sprechstunde/<office>/termin/…``,
``/video-sprechstunde/termin/<public id>/?t=…``). No JavaScript needed.

The manage link's token is a bearer secret like the counter appointments' (only its hash
is stored): whoever holds the email can open the waiting room and cancel.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from buergerbuero.appointments import fairness
from buergerbuero.appointments.services import SlotTaken
from buergerbuero.appointments.slots import parse_slot_param, release_rule, slot_param

from . import appointments, services
from .forms import AppointmentForm
from .models import VideoOffice


def _office_with_appointments(slug: str) -> VideoOffice:
    office = get_object_or_404(VideoOffice.objects.select_related("department"), slug=slug)
    if not appointments.offers_appointments(office):
        raise Http404
    return office


def _parse_slot(text: str) -> dt.datetime | None:
    moment = parse_slot_param(text)
    return None if moment is None else moment.astimezone(dt.UTC)


def times(request, slug: str):
    """The days with free times and the free times of the chosen day (``?tag=``)."""
    office = _office_with_appointments(slug)
    days = appointments.days_with_slots(office)
    wanted = request.GET.get("tag", "")
    first = days[0] if days else (None, [])
    day, day_slots = next(((d, s) for d, s in days if d.isoformat() == wanted), first)
    return render(
        request,
        "videooffice/appointment_times.html",
        {
            "office": office,
            "days": [(d, len(s)) for d, s in days],
            "day": day,
            "slots": [(s, slot_param(s.starts_at)) for s in day_slots],
            "rule": release_rule(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def book(request, slug: str):
    """Contact data and the knock's choices for the chosen time, then the booking. A
    time taken meanwhile: the next free times to choose from, everything typed kept."""
    office = _office_with_appointments(slug)
    starts_at = _parse_slot(request.POST.get("beginn") or request.GET.get("beginn", ""))
    if starts_at is None:
        return redirect("videooffice:appointment_times", office.slug)
    form = AppointmentForm(request.POST or None, office=office)
    context = {
        "office": office,
        "starts_at": timezone.localtime(starts_at),
        "ends_at": timezone.localtime(starts_at + dt.timedelta(minutes=office.appointment_minutes)),
        "beginn": slot_param(starts_at),
        "form": form,
        "retention_days": settings.VIDEO_KNOCK_RETENTION_DAYS,
    }
    if request.method != "POST":
        return render(request, "videooffice/appointment_book.html", context)
    if not form.is_valid():
        return render(request, "videooffice/appointment_book.html", context, status=400)
    refused = fairness.booking_refused_page(
        request, context, template="videooffice/appointment_book.html"
    )
    if refused is not None:
        return refused
    data = form.cleaned_data
    try:
        appointment, token = appointments.video_appointment_book(
            office=office,
            starts_at=starts_at,
            name=data["name"],
            email=data["email"],
            concern=data["concern"],
            language=data["language"],
            mode=data["mode"],
            user=request.user,
            page_language=translation.get_language() or "de",
        )
    except SlotTaken as taken:
        context["alternatives"] = [(s, slot_param(s.starts_at)) for s in taken.alternatives]
        return render(request, "videooffice/appointment_book.html", context, status=409)
    except ValidationError as refused:
        form.add_error(None, refused)
        return render(request, "videooffice/appointment_book.html", context, status=400)
    url = reverse("videooffice:appointment", args=[appointment.public_id])
    return redirect(f"{url}?{urlencode({'t': token, 'neu': '1'})}")


def _appointment_or_404(request, public_id):
    token = request.POST.get("t") or request.GET.get("t", "")
    appointment = appointments.video_appointment_get(public_id, token)
    if appointment is None:
        raise Http404
    return appointment, token


def _page(request, appointment, token, *, refusal=None, status=200, **extra):
    door = appointments.door_state(appointment)
    knock = appointment.knock
    return render(
        request,
        "videooffice/appointment.html",
        {
            "appointment": appointment,
            "office": appointment.office,
            "token": token,
            "door": door,
            "door_opens_at": timezone.localtime(appointments.door_opens_at(appointment)),
            "may_enter": door == "open"
            and appointment.state in (appointment.State.BOOKED, appointment.State.ENTERED),
            "may_cancel": appointment.state == appointment.State.BOOKED and door != "over",
            "waiting": knock is not None and knock.is_active,
            "refusal": refusal,
            **extra,
        },
        status=status,
    )


@never_cache
def appointment(request, public_id):
    """The appointment: when, the way into the waiting room at its time, cancelling."""
    appointment, token = _appointment_or_404(request, public_id)
    return _page(request, appointment, token, new=request.GET.get("neu") == "1")


@require_POST
def enter(request, public_id):
    appointment, token = _appointment_or_404(request, public_id)
    try:
        knock = appointments.video_appointment_enter(appointment, request)
    except services.KnockRefused as refusal:
        status = 429 if refusal.code == "too_many" else 409
        return _page(request, appointment, token, refusal=refusal, status=status)
    return redirect("videooffice:waiting_room", knock.public_id)


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request, public_id):
    """A confirm step (GET), then the cancellation (POST)."""
    appointment, token = _appointment_or_404(request, public_id)
    if request.method == "POST":
        cancelled = appointments.video_appointment_cancel(appointment)
        appointment.refresh_from_db()
        return _page(request, appointment, token, cancelled=cancelled)
    return _page(request, appointment, token, confirm_cancel=True)
