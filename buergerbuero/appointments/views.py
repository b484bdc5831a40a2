"""The citizen's booking pages (``/termine/…``), server-rendered, no JavaScript needed.

The wizard carries its state in the URL (services, centre, time) until the contact data,
which is only ever POSTed:

1. ``/termine/`` — choose services (GET form)
2. ``/termine/standorte/?leistung=…`` — a centre, or the earliest slot anywhere
3. ``/termine/standort/<slug>/?leistung=…&tag=…`` — a day and a time
4. ``/termine/standort/<slug>/buchen/?leistung=…&beginn=…`` — contact data (POST), then
   a review (POST ``schritt=pruefen``), then the booking (POST ``schritt=buchen``, with
   the proof of work of ``core.proof_of_work``; without JavaScript within a small budget)
5. ``/termine/<public id>/?t=<token>`` — the appointment: confirmation, cancel, move
"""

from __future__ import annotations

import contextlib
import datetime as dt
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from buergerbuero.core import proof_of_work
from buergerbuero.organisation.hours import local_day
from buergerbuero.organisation.models import CustomerCentre

from . import fairness, selectors, services, slots
from .forms import ContactForm, MoveForm, ServicesForm

DAYS_LISTED = 42


def _release_rule() -> dict:
    return slots.release_rule()


def _query(chosen, **extra) -> str:
    pairs = [("leistung", s.slug) for s in chosen]
    pairs += [(k, v) for k, v in extra.items() if v]
    return urlencode(pairs)


def _chosen(request):
    chosen = selectors.services_by_slugs(request.GET.getlist("leistung"))
    if not chosen:
        raise _BackToStart
    return chosen


class _BackToStart(Exception):
    pass


def _parse_slot(text: str) -> dt.datetime | None:
    moment = slots.parse_slot_param(text)
    return None if moment is None else timezone.localtime(moment)


def _wizard(view):
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _BackToStart:
            return redirect("appointments:start")

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def start(request):
    """Step 1: the services, grouped by department, with their durations."""
    groups = selectors.bookable_services_grouped()
    choices = [(c.service.slug, c.service.name) for _, group in groups for c in group]
    # Bound only when sent with the button ("weiter"); the link back from the next step
    # ("Anliegen ändern") brings the chosen services as the initial ticks.
    submitted = "weiter" in request.GET
    form = ServicesForm(
        request.GET if submitted else None,
        choices=choices,
        initial={"leistung": request.GET.getlist("leistung")},
    )
    if submitted and form.is_valid():
        return redirect(
            f"{reverse('appointments:centres')}?{_query(selectors.services_by_slugs(form.cleaned_data['leistung']))}"
        )
    return render(
        request,
        "appointments/start.html",
        {"form": form, "groups": groups, "rule": _release_rule()},
    )


@_wizard
def centres(request):
    """Step 2: the centres offering all chosen services, each with its first free slot."""
    chosen = _chosen(request)
    earliest = slots.earliest(services=chosen)
    offering = slots.centres_offering(chosen)
    first_of = {slot.centre.pk: slot for slot in earliest}
    return render(
        request,
        "appointments/centres.html",
        {
            "chosen": chosen,
            "query": _query(chosen),
            "earliest": earliest[0] if earliest else None,
            "earliest_param": slots.slot_param(earliest[0].starts_at) if earliest else "",
            "centres": [(centre, first_of.get(centre.pk)) for centre in offering],
            "rule": _release_rule(),
        },
    )


def _days_with_slots(centre, chosen, now, days=DAYS_LISTED):
    ids = frozenset(s.pk for s in chosen)
    today = local_day(now)
    book = slots.SlotBook([centre], today, today + dt.timedelta(days=days))
    found = []
    for offset in range(days + 1):
        day = today + dt.timedelta(days=offset)
        day_slots = book.slots_on(book.centres[0], ids, day, now.astimezone(dt.UTC))
        if day_slots:
            found.append((day, day_slots))
    return found


def _day_choice(request, days):
    wanted = request.GET.get("tag", "")
    for day, day_slots in days:
        if day.isoformat() == wanted:
            return day, day_slots
    return days[0] if days else (None, [])


@_wizard
def centre(request, slug):
    """Step 3: the days with free times, and the free times of the chosen day."""
    chosen = _chosen(request)
    place = get_object_or_404(CustomerCentre, slug=slug)
    days = _days_with_slots(place, chosen, timezone.now())
    day, day_slots = _day_choice(request, days)
    return render(
        request,
        "appointments/centre.html",
        {
            "centre": place,
            "chosen": chosen,
            "query": _query(chosen),
            "days": [(d, len(s)) for d, s in days],
            "day": day,
            "slots": [(s, slots.slot_param(s.starts_at)) for s in day_slots],
            "rule": _release_rule(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@_wizard
def book(request, slug):
    """Step 4: contact data, review, booking."""
    chosen = _chosen(request)
    place = get_object_or_404(CustomerCentre, slug=slug)
    starts_at = _parse_slot(request.POST.get("beginn") or request.GET.get("beginn", ""))
    if starts_at is None:
        return redirect(f"{reverse('appointments:centre', args=[slug])}?{_query(chosen)}")
    form = ContactForm(request.POST or None)
    context = {
        "centre": place,
        "chosen": chosen,
        "query": _query(chosen),
        "starts_at": starts_at,
        "beginn": slots.slot_param(starts_at),
        "form": form,
        "minutes": _minutes(place, chosen),
    }
    step = request.POST.get("schritt", "")
    if request.method == "POST" and form.is_valid():
        if step == "buchen":
            refused = fairness.booking_refused_page(
                request,
                context,
                template="appointments/book.html",
                proof_template="appointments/review.html",
            )
            if refused is not None:
                return refused
            try:
                appointment, token = services.appointment_book(
                    centre=place,
                    services=chosen,
                    starts_at=starts_at,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    mobile=form.cleaned_data["mobile"],
                    user=request.user,
                    language=translation.get_language() or "de",
                )
            except services.SlotTaken as taken:
                context["alternatives"] = [
                    (s, slots.slot_param(s.starts_at)) for s in taken.alternatives
                ]
                return render(request, "appointments/book.html", context, status=409)
            except ValidationError as refused:
                form.add_error(None, refused)
                return render(request, "appointments/book.html", context, status=400)
            url = reverse("appointments:manage", args=[appointment.public_id])
            return redirect(f"{url}?{urlencode({'t': token, 'neu': '1'})}")
        if step == "pruefen":
            return render(request, "appointments/review.html", context)
    return render(request, "appointments/book.html", context, status=400 if form.errors else 200)


def _minutes(place, chosen) -> int | None:
    today = local_day(timezone.now())
    book = slots.SlotBook([place], today, today, seats=False)
    ids = frozenset(s.pk for s in chosen)
    return book.duration(place, ids) if book.offers(place, ids) else None


def _appointment_or_404(request, public_id):
    token = request.POST.get("t") or request.GET.get("t", "")
    appointment = selectors.appointment_get_by_token(public_id=public_id, token=token)
    if appointment is None:
        raise Http404
    return appointment, token


def _manage_context(appointment, token):
    return {
        "appointment": appointment,
        "token": token,
        "services": [s.service for s in appointment.booked_services.all()],
        "is_open": appointment.state == appointment.State.BOOKED
        and appointment.starts_at > timezone.now(),
    }


@never_cache
def manage(request, public_id):
    """The appointment: what, where, when; cancel and move. A wrong token: 404."""
    appointment, token = _appointment_or_404(request, public_id)
    context = _manage_context(appointment, token)
    context["new"] = request.GET.get("neu") == "1"
    context["moved"] = request.GET.get("verschoben") == "1"
    return render(request, "appointments/manage.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request, public_id):
    """Cancel: a confirm step (GET shows it, POST cancels)."""
    appointment, token = _appointment_or_404(request, public_id)
    context = _manage_context(appointment, token)
    if request.method == "POST" and context["is_open"]:
        # (already cancelled meanwhile, e.g. a second click: show it as it is)
        with contextlib.suppress(services.AppointmentNotOpen):
            appointment = services.appointment_cancel(appointment=appointment)
        context = _manage_context(appointment, token)
        return render(request, "appointments/cancelled.html", context)
    return render(request, "appointments/cancel.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def move(request, public_id):
    """Move: the free days and times of the same centre for the same services; a POST of
    one of them moves the appointment (the old time is kept if that fails)."""
    appointment, token = _appointment_or_404(request, public_id)
    context = _manage_context(appointment, token)
    chosen = context["services"]
    status = 200
    if request.method == "POST" and context["is_open"]:
        form = MoveForm(request.POST)
        starts_at = _parse_slot(request.POST.get("beginn", "")) if form.is_valid() else None
        verdict = proof_of_work.request_check(request) if starts_at is not None else None
        if verdict is not None and not verdict.accepted:
            context["proof_refused"] = verdict
            status = verdict.status
        elif starts_at is not None:
            try:
                appointment = services.appointment_move(
                    appointment=appointment, starts_at=starts_at, token=token
                )
            except services.SlotTaken:
                context["taken"] = True
                status = 409
            except services.AppointmentNotOpen:
                context["is_open"] = False
            else:
                url = reverse("appointments:manage", args=[appointment.public_id])
                return redirect(f"{url}?{urlencode({'t': token, 'verschoben': '1'})}")
    days = (
        _days_with_slots(appointment.centre, chosen, timezone.now()) if context["is_open"] else []
    )
    day, day_slots = _day_choice(request, days)
    context.update(
        {
            "days": [(d, len(s)) for d, s in days],
            "day": day,
            "slots": [(s, slots.slot_param(s.starts_at)) for s in day_slots],
        }
    )
    return render(request, "appointments/move.html", context, status=status)
