"""The calendar file (RFC 5545) attached to confirmation emails: of appointments at a
customer centre here, of video appointments in ``videooffice.appointments``."""

from __future__ import annotations

import datetime as dt

import icalendar
from django.conf import settings
from django.utils.translation import gettext as _

from .models import Appointment


def calendar_event(
    *,
    uid: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    summary: str,
    location: str,
    description: str,
    url: str,
) -> bytes:
    """One VEVENT in a PUBLISH calendar; ``uid`` is made unique with the site's host."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Virtuelles Bürgerbüro//Termine//DE")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{uid}@{_host()}")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", starts_at.astimezone(dt.UTC))
    event.add("dtend", ends_at.astimezone(dt.UTC))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("url", url)
    calendar.add_component(event)
    return calendar.to_ical()


def appointment_ics(appointment: Appointment, *, manage_url: str) -> bytes:
    """The appointment with the centre's address as location and the manage link."""
    centre = appointment.centre
    services = ", ".join(s.service.name for s in appointment.booked_services.all())
    return calendar_event(
        uid=str(appointment.public_id),
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=_("Termin: %(services)s") % {"services": services},
        location=f"{centre.name}, {centre.street}, {centre.postcode} {centre.city}",
        description=_("Absagen oder verschieben: %(url)s") % {"url": manage_url},
        url=manage_url,
    )


def _host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "buergerbuero"
