"""Staff pages of the appointments (``/sachbearbeitung/termine/``): the day list of a
centre, check-in and no-show.

Who may: staff of that centre (``CustomerCentre.staff``) and administrators —
``identity.staff.roles.works_at_centre``. Counter staff need no department: they work
at a place, not on cases, so the back office's ``caseworker_required`` (departments) is
the wrong door here; like it, anonymous visitors go to the staff login and others get a
403 page that says why. The staff area middleware adds the staff session rules (2FA).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from buergerbuero.organisation.models import CustomerCentre

from . import selectors, services
from .models import Appointment

FORBIDDEN_TEMPLATE = "appointments/staff/forbidden.html"


def centre_staff_view(view: Callable) -> Callable:
    """Logged-in staff (anonymous: the staff login); a PermissionDenied from the centre
    check becomes the 403 page. Never cached: the pages hold personal data."""

    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(
                request.get_full_path(), login_url=reverse("identity:staff_login")
            )
        try:
            if not request.user.is_staff:
                raise PermissionDenied
            return view(request, *args, **kwargs)
        except PermissionDenied:
            return render(request, FORBIDDEN_TEMPLATE, status=403)

    return wrapper


@centre_staff_view
def index(request):
    centres = selectors.centres_of_staff(request.user)
    if not centres:
        raise PermissionDenied
    if len(centres) == 1:
        return redirect("appointmentstaff:day", slug=centres[0].slug)
    return render(request, "appointments/staff/index.html", {"centres": centres})


def _day(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("tag", ""))
    except ValueError:
        return timezone.localdate()


@centre_staff_view
def day(request, slug):
    centre = get_object_or_404(CustomerCentre, slug=slug)
    shown = _day(request)
    appointments = selectors.appointments_of_day_for_staff(
        centre=centre, day=shown, user=request.user
    )
    return render(
        request,
        "appointments/staff/day.html",
        {
            "centre": centre,
            "day": shown,
            "previous": shown - dt.timedelta(days=1),
            "next": shown + dt.timedelta(days=1),
            "today": timezone.localdate(),
            "appointments": appointments,
            "State": Appointment.State,
        },
    )


def _back(appointment):
    day = timezone.localtime(appointment.starts_at).date().isoformat()
    return redirect(f"{reverse('appointmentstaff:day', args=[appointment.centre.slug])}?tag={day}")


@require_POST
@centre_staff_view
def check_in(request, public_id):
    appointment = selectors.appointment_get_for_staff(public_id=public_id, user=request.user)
    try:
        appointment = services.appointment_check_in(appointment=appointment)
    except services.CheckInRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(name)s ist eingecheckt: Wartenummer %(number)s.")
            % {"name": appointment.name, "number": appointment.ticket.display},
        )
    return _back(appointment)


@require_POST
@centre_staff_view
def no_show(request, public_id):
    appointment = selectors.appointment_get_for_staff(public_id=public_id, user=request.user)
    try:
        services.appointment_mark(appointment=appointment, state=Appointment.State.NO_SHOW)
    except services.AppointmentNotOpen:
        messages.error(request, _("Dieser Termin ist nicht mehr offen."))
    else:
        messages.success(
            request, _("%(name)s ist als nicht erschienen vermerkt.") % {"name": appointment.name}
        )
    return _back(appointment)
