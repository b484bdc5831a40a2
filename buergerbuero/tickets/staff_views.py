"""The counter screen (``/sachbearbeitung/schalter/``): open and close a counter, call the
next ticket, call again, start, done, no-show, transfer.

Who may: the staff of the counter's customer centre (``CustomerCentre.staff``) and
administrators — ``identity.staff.roles.works_at_centre``, the rule the appointment day
view uses too. Caseworkers of departments, the cash office and the other roles get a 403
page that says why; the staff area middleware sends anonymous visitors to the staff login
(with the second factor where required) before any of these views runs.

Every action is a POST that redirects back to the counter with a message (works without
JavaScript); the screen refreshes its waiting figures with htmx.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from buergerbuero.identity.staff.roles import is_administrator, works_at_centre
from buergerbuero.organisation.hours import local_day

from . import selectors, services
from .forms import TransferForm
from .models import Counter

FORBIDDEN_TEMPLATE = "tickets/staff/forbidden.html"


def counter_staff_view(view: Callable) -> Callable:
    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(
                request.get_full_path(), login_url=reverse("identity:staff_login")
            )
        if not request.user.is_staff:
            return render(request, FORBIDDEN_TEMPLATE, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _counter_for(user, pk: int) -> Counter | None:
    """The counter, or None when the user does not work at its centre."""
    counter = get_object_or_404(Counter.objects.select_related("centre"), pk=pk)
    return counter if works_at_centre(user, counter.centre_id) else None


@counter_staff_view
def counters(request):
    user = request.user
    if is_administrator(user):
        rows = Counter.objects.all()
    else:
        rows = Counter.objects.filter(centre__in=user.centres.all())
    rows = list(rows.select_related("centre", "staffed_by").prefetch_related("groups"))
    if not rows and not user.centres.exists() and not is_administrator(user):
        return render(request, FORBIDDEN_TEMPLATE, status=403)
    return render(request, "tickets/staff/counters.html", {"counters": rows})


def _screen_context(counter, transfer_form=None):
    day = local_day(timezone.now())
    waiting = selectors.waiting_by_group(counter.centre_id, day)
    groups = list(counter.groups.all())
    return {
        "counter": counter,
        "current": selectors.counter_current(counter),
        "groups": [(group, waiting.get(group.pk, 0)) for group in groups],
        "waiting_total": sum(waiting.get(group.pk, 0) for group in groups),
        "transfer_form": transfer_form or TransferForm(centre=counter.centre),
    }


@counter_staff_view
def counter(request, pk):
    counter = _counter_for(request.user, pk)
    if counter is None:
        return render(request, FORBIDDEN_TEMPLATE, status=403)
    template = "tickets/staff/_waiting.html" if request.htmx else "tickets/staff/counter.html"
    return render(request, template, _screen_context(counter))


TICKET_ACTIONS = {
    "erneut": services.ticket_call_again,
    "beginnen": services.ticket_serve_start,
    "nicht-erschienen": services.ticket_no_show,
    "erledigt": services.ticket_done,
}


@counter_staff_view
@require_POST
def counter_action(request, pk, action):
    counter = _counter_for(request.user, pk)
    if counter is None:
        return render(request, FORBIDDEN_TEMPLATE, status=403)
    if action not in {"oeffnen", "schliessen", "naechste", "weiterleiten", *TICKET_ACTIONS}:
        raise Http404
    try:
        _act(request, counter, action)
    except services.TicketRefused as refusal:
        messages.error(request, refusal.message)
    return redirect("ticketstaff:counter", pk=counter.pk)


def _act(request, counter, action) -> None:
    if action == "oeffnen":
        services.counter_open(counter=counter, by=request.user)
        messages.success(request, _("%(c)s ist geöffnet.") % {"c": counter.name})
    elif action == "schliessen":
        services.counter_close(counter=counter)
        messages.success(request, _("%(c)s ist geschlossen.") % {"c": counter.name})
    elif action == "naechste":
        ticket = services.counter_call_next(counter=counter, by=request.user)
        if ticket is None:
            messages.info(request, _("Niemand wartet auf diesen Schalter."))
        else:
            messages.success(request, _("%(n)s ist aufgerufen.") % {"n": ticket.display})
    else:
        current = selectors.counter_current(counter)
        if current is None:
            raise services.TicketRefused(_("An diesem Schalter ist gerade niemand aufgerufen."))
        if action == "weiterleiten":
            form = TransferForm(request.POST, centre=counter.centre)
            if not form.is_valid():
                raise services.TicketRefused(_("Bitte wählen Sie eine Leistungsgruppe aus."))
            group = form.cleaned_data["group"]
            services.ticket_transfer(ticket=current, group=group)
            messages.success(
                request,
                _("%(n)s wartet jetzt bei %(g)s.") % {"n": current.display, "g": group.name},
            )
            return
        ticket = TICKET_ACTIONS[action](ticket=current)
        messages.success(
            request,
            _("%(n)s: %(state)s.") % {"n": ticket.display, "state": ticket.get_state_display()},
        )
