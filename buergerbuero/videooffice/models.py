"""Virtual offices (virtuelle Ämter) with their consultation hours, the knocks of citizens
waiting at their door, and the calls in which a caseworker talks to them.

A knock is an explicit state machine kept in the database, so that a restarted server
loses nobody (see :mod:`.services` for the transitions)::

    knocking ─► waiting ─► admitted ─► (call ends) ─► done
                  │  ▲         │
                  │  └─────────┘  the caseworker was lost mid-call: back to the head
                  ├─► declined    (by a caseworker, with a message)
                  ├─► expired     (not back within the grace period, or the office closed)
                  └─► left        (the citizen left)

No audio or video is ever recorded; only the facts of a call (who, when, how long, the
outcome note, the rating) and the documents the citizen chose to send are kept.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.identity.trust import LoginMethod, TrustLevel
from buergerbuero.organisation.models import Weekday


class VideoOffice(models.Model):
    """A virtual office: a department's (or a topic's) door citizens knock at by video."""

    slug = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Name"), max_length=160)
    description = models.TextField(
        _("Beschreibung"), blank=True, help_text=_("Wofür man hier anklopfen kann.")
    )
    department = models.ForeignKey(
        "organisation.Department",
        on_delete=models.PROTECT,
        related_name="video_offices",
        verbose_name=_("Amt"),
    )
    caseworkers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="video_offices",
        verbose_name=_("Sachbearbeiter:innen"),
        help_text=_("Nur sie dürfen Wartende einlassen – unabhängig davon, wer zuerst da ist."),
    )
    services = models.ManyToManyField(
        "catalog.Service",
        blank=True,
        related_name="video_offices",
        verbose_name=_("Leistungen"),
        help_text=_("Leistungsseiten mit dem Kanal Video-Sprechstunde verweisen hierher."),
    )
    languages = models.CharField(
        _("Sprachen"),
        max_length=60,
        default="de",
        help_text=_("Sprachkürzel, durch Komma getrennt, z. B. „de, en, tr“."),
    )
    typical_call_minutes = models.PositiveSmallIntegerField(
        _("übliche Gesprächsdauer (Minuten)"),
        default=10,
        help_text=_("Für die Wartezeit-Schätzung, solange es noch keine Gespräche gab."),
    )
    appointment_minutes = models.PositiveSmallIntegerField(
        _("Termindauer (Minuten)"),
        default=0,
        help_text=_(
            "0: keine Termine, nur Anklopfen. Sonst können Bürger:innen Termine dieser Länge "
            "in den Sprechstunden buchen; wer einen Termin hat, wartet vor den anderen."
        ),
    )
    appointment_lines = models.PositiveSmallIntegerField(
        _("Termine gleichzeitig"),
        default=1,
        help_text=_(
            "Wie viele Termine zur selben Zeit vergeben werden (höchstens so viele, wie "
            "Sachbearbeiter:innen Termine übernehmen). Der Rest der Sprechstunde bleibt "
            "für Anklopfende."
        ),
    )
    is_active = models.BooleanField(_("aktiv"), default=True)
    # Raised with every change of the queue, in the same transaction: a waiting room that
    # sees a gap in the numbers it receives recounts its position from the database.
    queue_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Virtuelles Amt")
        verbose_name_plural = _("Virtuelle Ämter")

    def __str__(self) -> str:
        return self.name

    @property
    def language_codes(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]


class ConsultationHours(models.Model):
    """A weekly video consultation hour (Videosprechstunde) of an office."""

    office = models.ForeignKey(VideoOffice, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("Wochentag"), choices=Weekday.choices)
    opens = models.TimeField(_("beginnt"))
    closes = models.TimeField(_("endet"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("Sprechstunde")
        verbose_name_plural = _("Sprechstunden")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="consultation_hours_closes_after_opens",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class HoursException(models.Model):
    """A day that differs from the weekly hours: closed (no times) or other times.

    Public holidays of NRW need no entry: they are closed unless an exception with times
    opens the office anyway."""

    office = models.ForeignKey(VideoOffice, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("Datum"))
    opens = models.TimeField(_("beginnt"), null=True, blank=True)
    closes = models.TimeField(_("endet"), null=True, blank=True)
    reason = models.CharField(_("Grund"), max_length=160, blank=True)

    class Meta:
        ordering = ["date", "opens"]
        verbose_name = _("Abweichende Sprechstunde")
        verbose_name_plural = _("Abweichende Sprechstunden")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(opens__isnull=True, closes__isnull=True)
                    | models.Q(
                        opens__isnull=False, closes__isnull=False, closes__gt=models.F("opens")
                    )
                ),
                name="hours_exception_closed_or_valid_times",
            )
        ]

    def __str__(self) -> str:
        if self.opens is None:
            return f"{self.date:%d.%m.%Y} " + str(_("geschlossen"))
        return f"{self.date:%d.%m.%Y} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Availability(models.TextChoices):
    AVAILABLE = "available", _("verfügbar")
    BUSY = "busy", _("im Gespräch")
    AWAY = "away", _("nicht verfügbar")


class CaseworkerPresence(models.Model):
    """Whether a caseworker takes video calls now. In a call they are busy; after it they
    are available again unless they chose otherwise."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_presence"
    )
    status = models.CharField(
        _("Status"), max_length=10, choices=Availability.choices, default=Availability.AWAY
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Verfügbarkeit")
        verbose_name_plural = _("Verfügbarkeiten")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_status_display()}"


class KnockState(models.TextChoices):
    KNOCKING = "knocking", _("klopft an")
    WAITING = "waiting", _("wartet")
    ADMITTED = "admitted", _("eingelassen")
    DECLINED = "declined", _("abgewiesen")
    EXPIRED = "expired", _("verfallen")
    LEFT = "left", _("gegangen")
    DONE = "done", _("Gespräch beendet")


ACTIVE_KNOCK_STATES = (KnockState.KNOCKING, KnockState.WAITING, KnockState.ADMITTED)


class CallMode(models.TextChoices):
    VIDEO = "video", _("Video und Ton")
    AUDIO = "audio", _("nur Ton")
    TEXT = "text", _("nur Text-Chat")


class Knock(models.Model):
    """A citizen at the door of a virtual office."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey(VideoOffice, on_delete=models.PROTECT, related_name="knocks")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="knocks",
    )
    # The browser session that knocked: a citizen without an account finds their place
    # again through it (the knock's id is kept in the session, see services.own_knocks).
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    concern = models.TextField(_("Anliegen"), max_length=500, blank=True)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    mode = models.CharField(
        _("Gesprächsart"), max_length=8, choices=CallMode.choices, default=CallMode.VIDEO
    )
    trust_level = models.CharField(
        _("Vertrauensniveau der Anmeldung"), max_length=12, choices=TrustLevel.choices, blank=True
    )
    identity_method = models.CharField(
        _("Anmeldeweg"), max_length=12, choices=LoginMethod.choices, blank=True
    )
    consent_at = models.DateTimeField(_("Datenschutzhinweis bestätigt"))
    state = models.CharField(
        _("Zustand"),
        max_length=10,
        choices=KnockState.choices,
        default=KnockState.KNOCKING,
        db_index=True,
    )
    # Order in the queue: highest priority first, then by queue_at.
    PRIORITY_WALK_IN = 0
    PRIORITY_APPOINTMENT = 1  # holds a video appointment that is due
    PRIORITY_RETURNED = 2  # the caseworker was lost mid-call: back to the head
    priority = models.PositiveSmallIntegerField(default=PRIORITY_WALK_IN)
    queue_at = models.DateTimeField(_("in der Warteschlange seit"))
    created_at = models.DateTimeField(_("angeklopft"), auto_now_add=True)
    # Set when the waiting room's connection dropped; cleared when it is back.
    away_since = models.DateTimeField(null=True, blank=True)
    decline_message = models.TextField(_("Nachricht an die Person"), blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    transferred_from = models.ForeignKey(
        VideoOffice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("weitergeleitet von"),
    )

    class Meta:
        ordering = ["-priority", "queue_at", "pk"]
        verbose_name = _("Anklopfen")
        verbose_name_plural = _("Anklopfen")
        indexes = [models.Index(fields=["office", "state", "priority", "queue_at"])]
        # One door at a time: a citizen (account or browser) has at most one active knock,
        # even when five tabs knock at once.
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state__in=["knocking", "waiting", "admitted"]),
                name="one_active_knock_per_user",
            ),
            models.UniqueConstraint(
                fields=["session_key"],
                condition=models.Q(state__in=["knocking", "waiting", "admitted"])
                & ~models.Q(session_key=""),
                name="one_active_knock_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} · {self.get_state_display()} · {self.created_at:%d.%m.%Y %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_KNOCK_STATES

    def queue_key(self) -> list:
        """Where this knock stands in its office's queue, as the waiting rooms compare it
        (JSON-friendly: sent over the channel layer)."""
        return [-self.priority, self.queue_at.timestamp(), self.pk]


class CallEnd(models.TextChoices):
    HANGUP_CITIZEN = "hangup_citizen", _("von der Person beendet")
    HANGUP_CASEWORKER = "hangup_caseworker", _("von der Sachbearbeitung beendet")
    CASEWORKER_LOST = "caseworker_lost", _("Verbindung zur Sachbearbeitung verloren")
    CITIZEN_LOST = "citizen_lost", _("Verbindung zur Person verloren")


class Call(models.Model):
    """A conversation between a caseworker and the citizen of an admitted knock."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    knock = models.ForeignKey(Knock, on_delete=models.CASCADE, related_name="calls")
    office = models.ForeignKey(VideoOffice, on_delete=models.PROTECT, related_name="calls")
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="video_calls"
    )
    started_at = models.DateTimeField(_("begonnen"), auto_now_add=True)
    ended_at = models.DateTimeField(_("beendet"), null=True, blank=True)
    end_reason = models.CharField(_("Ende"), max_length=20, choices=CallEnd.choices, blank=True)
    # Presence of each side's page, across server processes: set when its socket
    # drops, cleared when it is back. A side away longer than its grace period is lost.
    citizen_away_since = models.DateTimeField(null=True, blank=True)
    caseworker_away_since = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(
        "applications.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="video_calls",
        verbose_name=_("Vorgang"),
    )
    outcome_note = models.TextField(_("Ergebnis des Gesprächs"), blank=True)
    rating = models.PositiveSmallIntegerField(_("Bewertung (1–5)"), null=True, blank=True)
    rating_comment = models.TextField(_("Kommentar zur Bewertung"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("Video-Gespräch")
        verbose_name_plural = _("Video-Gespräche")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="call_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.office} · {self.started_at:%d.%m.%Y %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class CallRole(models.TextChoices):
    CITIZEN = "citizen", _("Bürger:in")
    CASEWORKER = "caseworker", _("Sachbearbeitung")


class CallToken(models.Model):
    """A one-time ticket for the signaling socket of one call and one side. The page gets
    it over HTTP (where the session is checked); the socket spends it on connecting."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="tokens")
    role = models.CharField(max_length=12, choices=CallRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.call} · {self.role}"


def _call_document_path(instance: CallDocument, filename: str) -> str:
    return f"videooffice/{instance.call.public_id}/{uuid.uuid4().hex}"


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class CallDocument(models.Model):
    """A file the citizen sent during a call: checked by content, kept with the call and
    filed into a case (the linked one, or one the caseworker opens or creates)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=_call_document_path, storage=_private_storage, max_length=200)
    name = models.CharField(_("Dateiname"), max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    filed_as = models.OneToOneField(
        "applications.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("in der Akte als"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("Dokument aus dem Gespräch")
        verbose_name_plural = _("Dokumente aus Gesprächen")

    def __str__(self) -> str:
        return self.name


class VideoAppointmentState(models.TextChoices):
    BOOKED = "booked", _("gebucht")
    CANCELLED = "cancelled", _("abgesagt")
    ENTERED = "entered", _("im Warteraum")
    MISSED = "missed", _("nicht erschienen")


class VideoAppointment(models.Model):
    """A booked time in an office's consultation hours. At its time the manage link
    opens the office's waiting room with a knock ahead of walk-in knocks.

    One line (``VideoOffice.appointment_lines``) holds one appointment at a time: the
    partial unique constraint on (office, line, start) and the office row locked while
    booking keep two bookings from sharing a line (docs/videooffice.md)."""

    State = VideoAppointmentState

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey(
        VideoOffice,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("Virtuelles Amt"),
    )
    line = models.PositiveSmallIntegerField(_("Terminreihe"), default=1)
    starts_at = models.DateTimeField(_("Beginn"), db_index=True)
    ends_at = models.DateTimeField(_("Ende"))
    name = models.CharField(_("Name"), max_length=160)
    email = models.EmailField(_("E-Mail"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="video_appointments",
        verbose_name=_("Konto"),
    )
    concern = models.TextField(_("Anliegen"), max_length=500, blank=True)
    language = models.CharField(_("Sprache des Gesprächs"), max_length=8, default="de")
    page_language = models.CharField(max_length=10, default="de", editable=False)
    mode = models.CharField(
        _("Gesprächsart"), max_length=8, choices=CallMode.choices, default=CallMode.VIDEO
    )
    consent_at = models.DateTimeField(_("Datenschutzhinweis bestätigt"))
    state = models.CharField(
        _("Status"),
        max_length=10,
        choices=VideoAppointmentState.choices,
        default=VideoAppointmentState.BOOKED,
        db_index=True,
    )
    # SHA-256 of the manage link's token; the token itself is only in the email.
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("gebucht am"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("abgesagt am"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("erinnert am"), null=True, blank=True)
    knock = models.OneToOneField(
        Knock,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment",
        verbose_name=_("Anklopfen"),
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("Video-Termin")
        verbose_name_plural = _("Video-Termine")
        indexes = [models.Index(fields=["office", "starts_at"], name="video_appointment_start")]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "line", "starts_at"],
                condition=~models.Q(state="cancelled"),
                name="video_appointment_line_once",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="video_appointment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.starts_at:%Y-%m-%d %H:%M} {self.name}"
