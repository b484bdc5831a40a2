"""Periodic work of the appointments, called by the hourly ``manage.py housekeeping``."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buergerbuero.notifications.services import send_email, send_sms
from buergerbuero.organisation.hours import local_day, utc_at

from .models import Appointment, AppointmentState

logger = logging.getLogger("buergerbuero.appointments")


def appointments_remind(now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the holders of tomorrow's booked appointments: an email, and an SMS when a
    mobile number was given — from ``APPOINTMENT_REMINDER_TIME`` (local) on; a booking
    made later that day is reminded by the next run. Each appointment once
    (``reminder_sent_at`` is claimed with a conditional update, so overlapping runs do
    not send twice). The manage token is not
    stored, so the reminder points to the confirmation email's link."""
    now = now or timezone.now()
    today = local_day(now)
    if now < utc_at(today, dt.time.fromisoformat(settings.APPOINTMENT_REMINDER_TIME)):
        # Not in the night: the first run of the day before would otherwise text people
        # just after midnight. Local time, so the same wall-clock hour on both sides of a
        # clock change.
        return {"email": 0, "sms": 0}
    tomorrow = today + dt.timedelta(days=1)
    due = Appointment.objects.filter(
        state=AppointmentState.BOOKED,
        reminder_sent_at=None,
        starts_at__gte=utc_at(tomorrow, dt.time(0)),
        starts_at__lt=utc_at(tomorrow + dt.timedelta(days=1), dt.time(0)),
    ).select_related("centre")
    sent = {"email": 0, "sms": 0}
    for appointment in due.prefetch_related("booked_services__service"):
        with transaction.atomic():
            claimed = Appointment.objects.filter(pk=appointment.pk, reminder_sent_at=None).update(
                reminder_sent_at=now
            )
            if not claimed:
                continue
            names = [b.service.name for b in appointment.booked_services.all()]
            send_email(
                to=appointment.email,
                template="appointments/email/reminder",
                context={
                    "centre": appointment.centre,
                    "starts_at": timezone.localtime(appointment.starts_at),
                    "services": ", ".join(names),
                },
                language=appointment.language,
                topic="appointment.reminder",
            )
            sent["email"] += 1
            if appointment.mobile:
                send_sms(
                    to=appointment.mobile,
                    template="appointment_reminder",
                    context={
                        "service": names[0] if len(names) == 1 else ", ".join(names),
                        "centre": appointment.centre.name,
                        "starts_at": appointment.starts_at,
                    },
                    language=appointment.language,
                    topic="appointment.reminder",
                )
                sent["sms"] += 1
    if sent["email"]:
        logger.info("appointment reminders sent: %s", sent)
    return sent
