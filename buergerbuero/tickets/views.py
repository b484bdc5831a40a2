"""Public pages of the walk-in queue: the kiosk, drawing a ticket online, the ticket's
status page (the QR code's target), the call display and the waiting times of all centres.

Views parse, call one service or selector, render. The live pages get their changes over
WebSockets (consumers.py) and fetch their block again from the ``…/stand/`` fragments;
without a socket they poll the same fragments.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from buergerbuero.core import proof_of_work
from buergerbuero.organisation.hours import centre_status, local_day
from buergerbuero.organisation.models import CustomerCentre

from . import selectors, services
from .forms import DrawForm
from .qr import qr_svg


def _centre_or_404(request, slug):
    centre = CustomerCentre.objects.filter(slug=slug).first()
    if centre is None:
        return None, render(request, "tickets/unknown_centre.html", {"slug": slug}, status=404)
    return centre, None


def _draw(request, centre, source: str, *, proof: bool = False):
    """The POST of the kiosk and the online form: (ticket, form, status, refused) — a
    ticket, or none with the form and its errors (what was entered stays), the centre's
    status, and with ``proof`` the proof-of-work verdict that refused it. A press sent
    again (same ``draw_key``) gets the ticket it drew, even when the centre has closed
    meanwhile and without a second proof of work."""
    status = centre_status(centre)
    form = DrawForm(request.POST, centre=centre)
    if not form.is_valid():
        return None, form, status, None
    key = form.cleaned_data["draw_key"]
    drawn = key and selectors.ticket_by_draw_key(centre_id=centre.pk, draw_key=key)
    if drawn or not status.open:
        return drawn or None, form, status, None
    if proof:
        # Online, unlike at the kiosk in the hall, a ticket costs a proof of work (or one
        # of the few submissions an address may make without it).
        verdict = proof_of_work.request_check(request)
        if not verdict.accepted:
            return None, form, status, verdict
    ticket = services.ticket_draw(
        centre=centre,
        group=form.cleaned_data["group"],
        source=source,
        phone=form.cleaned_data["phone"],
        language=get_language() or "de",
        draw_key=key,
    )
    return ticket, form, status, None


@never_cache
def kiosk(request, slug):
    centre, missing = _centre_or_404(request, slug)
    if missing:
        return missing
    if request.method == "POST":
        ticket, form, status, _refused = _draw(request, centre, "kiosk")
        if ticket is not None:
            return redirect("tickets:kiosk_ticket", slug=centre.slug, public_id=ticket.public_id)
    else:
        form, status = DrawForm(centre=centre), centre_status(centre)
    return render(
        request,
        "tickets/kiosk.html",
        {
            "centre": centre,
            "form": form,
            "status": status,
            "groups": list(centre.service_groups.all()),
        },
        status=400 if request.method == "POST" else 200,
    )


@never_cache
def kiosk_ticket(request, slug, public_id):
    ticket = get_object_or_404(
        selectors.Ticket.objects.select_related("centre", "group"),
        public_id=public_id,
        centre__slug=slug,
    )
    url = request.build_absolute_uri(reverse("tickets:status", args=[ticket.public_id]))
    return render(
        request,
        "tickets/kiosk_ticket.html",
        {
            "ticket": ticket,
            "centre": ticket.centre,
            "status": selectors.ticket_status(ticket),
            "qr": qr_svg(
                url,
                title=_("QR-Code: Wartemarke %(n)s auf dem Handy verfolgen")
                % {"n": ticket.display},
            ),
            "status_url": url,
        },
    )


@never_cache
def remote_draw(request, slug):
    centre, missing = _centre_or_404(request, slug)
    if missing:
        return missing
    refused = None
    if request.method == "POST":
        ticket, form, status, refused = _draw(request, centre, "remote", proof=True)
        if ticket is not None:
            messages.success(
                request, _("Ihre Wartemarke %(n)s ist gezogen.") % {"n": ticket.display}
            )
            return redirect("tickets:status", public_id=ticket.public_id)
    else:
        form, status = DrawForm(centre=centre), centre_status(centre)
    waits = {wait.centre.pk: wait for wait in selectors.centre_waits(centre_ids=[centre.pk])}
    return render(
        request,
        "tickets/remote_draw.html",
        {
            "centre": centre,
            "form": form,
            "status": status,
            "wait": waits.get(centre.pk),
            "proof_refused": refused,
        },
        status=refused.status if refused else 400 if request.method == "POST" else 200,
    )


def _ticket_or_404(public_id):
    ticket = selectors.ticket_by_public_id(public_id)
    if ticket is None:
        raise Http404
    return ticket


def _status_context(ticket):
    return {
        "ticket": ticket,
        "centre": ticket.centre,
        "status": selectors.ticket_status(ticket),
        "today": ticket.day == local_day(timezone.now()),
    }


@never_cache
def status(request, public_id):
    ticket = _ticket_or_404(public_id)
    return render(request, "tickets/status.html", _status_context(ticket))


@never_cache
def status_fragment(request, public_id):
    ticket = _ticket_or_404(public_id)
    return render(request, "tickets/_status.html", _status_context(ticket))


@require_POST
def cancel(request, public_id):
    ticket = _ticket_or_404(public_id)
    try:
        services.ticket_cancel(ticket=ticket)
    except services.TicketRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("Sie haben die Wartemarke %(n)s zurückgegeben.") % {"n": ticket.display}
        )
    return redirect("tickets:status", public_id=ticket.public_id)


def _display_context(centre):
    return {
        "centre": centre,
        "calls": selectors.last_calls(centre.pk, local_day(timezone.now())),
        "now": timezone.now(),
    }


@never_cache
def call_display(request, slug):
    centre, missing = _centre_or_404(request, slug)
    if missing:
        return missing
    return render(request, "tickets/call_display.html", _display_context(centre))


@never_cache
def call_display_fragment(request, slug):
    centre = get_object_or_404(CustomerCentre, slug=slug)
    return render(request, "tickets/_calls.html", _display_context(centre))


def waiting_times(request):
    return render(request, "tickets/waiting_times.html", {"waits": selectors.centre_waits()})
