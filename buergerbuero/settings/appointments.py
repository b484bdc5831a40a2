"""Settings of the appointments (issue 7): the slot grid, the release rule and the limits
(docs/appointments.md)."""

from .env import env

APPOINTMENT_SLOT_MINUTES = int(
    env(
        "APPOINTMENT_SLOT_MINUTES",
        "10",
        "Grid of bookable start times in minutes (5 or 10); service durations are rounded "
        "up to it.",
    )
    or 10
)
APPOINTMENT_RELEASE_DAYS = int(
    env(
        "APPOINTMENT_RELEASE_DAYS",
        "42",
        "A day's slots become bookable this many days before the day (at the release time).",
    )
    or 42
)
APPOINTMENT_RELEASE_TIME = env(
    "APPOINTMENT_RELEASE_TIME", "07:00", "Local time (HH:MM) at which a day's slots are released."
)
APPOINTMENT_REMINDER_TIME = env(
    "APPOINTMENT_REMINDER_TIME",
    "08:00",
    "Local time (HH:MM) from which the day before an appointment its reminder (email, SMS) "
    "is sent, by the first hourly housekeeping run after it; not in the night before.",
)
APPOINTMENT_MAX_OPEN_PER_PERSON = int(
    env(
        "APPOINTMENT_MAX_OPEN_PER_PERSON",
        "2",
        "Open (booked, future) appointments one person may hold: same email, mobile or account.",
    )
    or 2
)
APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR = int(
    env(
        "APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR",
        "20",
        "Booking attempts per client address and hour (generous: a library or a shared "
        "flat books from one address); 0 switches the limit off.",
    )
    or 0
)
APPOINTMENT_API_READS_PER_ADDRESS_MINUTE = int(
    env(
        "APPOINTMENT_API_READS_PER_ADDRESS_MINUTE",
        "60",
        "Reads of free times through the JSON API (/api/v1/appointments/...) per client "
        "address and minute; over it the API answers 429 with Retry-After. 0 switches the "
        "limit off.",
    )
    or 0
)
APPOINTMENT_STATIC_CACHE_SECONDS = float(
    env(
        "APPOINTMENT_STATIC_CACHE_SECONDS",
        "10",
        "How long a process keeps a centre's hours, closures, bookable services and counter "
        "plans for bookings (appointments/cache.py); changes in the same process apply at "
        "once, other processes see them after at most this long. 0 switches the cache off.",
    )
    or 0
)
