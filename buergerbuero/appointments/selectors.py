"""Reads of the appointments: what can be booked, an appointment by its manage token, the
day list of a centre for its staff."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, Min, Prefetch

from buergerbuero.catalog.models import Service
from buergerbuero.identity.staff.roles import works_at_centre
from buergerbuero.organisation.hours import utc_at
from buergerbuero.organisation.models import CustomerCentre

from .models import Appointment, AppointmentService, BookableService
from .services import appointment_token_matches


@dataclass(frozen=True)
class BookableChoice:
    service: Service
    minutes_min: int
    minutes_max: int


def bookable_services_grouped() -> list[tuple[str, list[BookableChoice]]]:
    """The services bookable at any centre, grouped by responsible department, with the
    range of their durations."""
    rows = (
        BookableService.objects.filter(active=True)
        .values("service_id")
        .annotate(low=Min("minutes"), high=Max("minutes"))
    )
    by_id = {row["service_id"]: row for row in rows}
    services = Service.objects.filter(pk__in=by_id).select_related("department")
    groups: dict[str, list[BookableChoice]] = defaultdict(list)
    for service in services.order_by("department__name", "name"):
        row = by_id[service.pk]
        groups[service.department.name].append(BookableChoice(service, row["low"], row["high"]))
    return list(groups.items())


def services_by_slugs(slugs: Iterable[str]) -> list[Service]:
    """The bookable services named by ``slugs`` (unknown or unbookable ones left out)."""
    return list(
        Service.objects.filter(slug__in=set(slugs), bookable_at__active=True)
        .distinct()
        .order_by("name")
    )


def _with_services(queryset):
    return queryset.select_related("centre", "ticket").prefetch_related(
        Prefetch("booked_services", queryset=AppointmentService.objects.select_related("service"))
    )


def appointment_get_by_token(*, public_id, token: str) -> Appointment | None:
    """The appointment when ``token`` is its manage token, else None (nothing disclosed)."""
    appointment = _with_services(Appointment.objects).filter(public_id=public_id).first()
    if appointment is None or not appointment_token_matches(appointment, token):
        return None
    return appointment


def appointments_of_day_for_staff(*, centre: CustomerCentre, day: dt.date, user):
    """The centre's appointments of the local date ``day`` for its staff (PermissionDenied
    for anybody else)."""
    from django.core.exceptions import PermissionDenied

    if not works_at_centre(user, centre.pk):
        raise PermissionDenied
    return list(
        _with_services(Appointment.objects)
        .filter(
            centre=centre,
            starts_at__gte=utc_at(day, dt.time(0)),
            starts_at__lt=utc_at(day + dt.timedelta(days=1), dt.time(0)),
        )
        .exclude(state=Appointment.State.CANCELLED)
        .order_by("starts_at", "pk")
    )


def appointment_get_for_staff(*, public_id, user) -> Appointment:
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    appointment = get_object_or_404(
        Appointment.objects.select_related("centre"), public_id=public_id
    )
    if not works_at_centre(user, appointment.centre_id):
        raise PermissionDenied
    return appointment


def centres_of_staff(user) -> list[CustomerCentre]:
    from buergerbuero.identity.staff.roles import is_administrator

    if is_administrator(user):
        return list(CustomerCentre.objects.order_by("name"))
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return []
    return list(user.centres.order_by("name"))
