"""The calendar file (RFC 5545) attached to the confirmation email."""

from __future__ import annotations

import datetime as dt

import icalendar
from django.conf import settings
from django.utils.translation import gettext as _

from .models import Appointment


def appointment_ics(appointment: Appointment, *, manage_url: str) -> bytes:
    """One VEVENT with the centre's address as location and the manage link."""
    centre = appointment.centre
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Virtuelles Bürgerbüro//Termine//DE")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{appointment.public_id}@{_host()}")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    services = ", ".join(s.service.name for s in appointment.booked_services.all())
    event.add("summary", _("Termin: %(services)s") % {"services": services})
    event.add("location", f"{centre.name}, {centre.street}, {centre.postcode} {centre.city}")
    event.add(
        "description",
        _("Absagen oder verschieben: %(url)s") % {"url": manage_url},
    )
    event.add("url", manage_url)
    calendar.add_component(event)
    return calendar.to_ical()


def _host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "buergerbuero"
