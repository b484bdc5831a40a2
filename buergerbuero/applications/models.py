"""Online applications (Anträge) and the electronic case file (E-Akte).

An :class:`Application` is the citizen's side: a draft that becomes submitted. Submission
creates exactly one :class:`Case`, the caseworker's side, with a readable reference
(``K-2026-000123``). Everything on record about a case — documents, messages, requests,
notices, its timeline — hangs off the application or the case; every staff read and change
of personal data is written to :class:`AuditEntry`.
"""

from __future__ import annotations

import uuid
from functools import cached_property

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from buergerbuero.catalog.models import Service
from buergerbuero.organisation.models import Department

from .definition import FormDefinitionDocument, parse_definition


class FormDefinition(models.Model):
    """One version of a service's online form. Published versions are never edited: a
    change is a new version, and every application keeps the version it was filled in."""

    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="form_definitions",
        verbose_name=_("Leistung"),
    )
    version = models.PositiveIntegerField(_("Version"))
    document = models.JSONField(_("Formulardefinition (JSON)"))
    is_active = models.BooleanField(
        _("aktiv"), default=True, help_text=_("Neue Anträge nutzen die aktive Version.")
    )
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["service__slug", "-version"]
        verbose_name = _("Formulardefinition")
        verbose_name_plural = _("Formulardefinitionen")
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="one_version_number"),
            models.UniqueConstraint(
                fields=["service"], condition=models.Q(is_active=True), name="one_active_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.slug} v{self.version}"

    @cached_property
    def spec(self) -> FormDefinitionDocument:
        return parse_definition(self.document)


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    AWAITING_PAYMENT = "awaiting_payment", _("Zahlung offen")
    SUBMITTED = "submitted", _("eingereicht")


class Application(models.Model):
    """What a citizen fills in. ``answers`` holds the validated answers (JSON, per field
    key); ``raw`` what was typed on each step, valid or not, so that going back or leaving
    never loses input."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="applications")
    definition = models.ForeignKey(
        FormDefinition, on_delete=models.PROTECT, related_name="applications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )
    status = models.CharField(
        _("Status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    answers = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    completed_steps = models.JSONField(default=list, blank=True)
    contact_email = models.EmailField(_("E-Mail für den Fortsetzungslink"), blank=True)
    # sha256 of the secret in the resume link; the secret itself is only in the email
    resume_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(_("Entwurf läuft ab"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("eingereicht am"), null=True, blank=True)
    # How sure the city was of the applicant when they confirmed at the summary: the
    # session's trust level and login method (BundID, local account …), kept for the case.
    identity_level = models.CharField(
        _("Vertrauensniveau beim Absenden"), max_length=12, blank=True
    )
    identity_method = models.CharField(_("Anmeldeweg beim Absenden"), max_length=12, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("Antrag")
        verbose_name_plural = _("Anträge")
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.service.name} ({self.get_status_display()})"

    @property
    def identity_description(self) -> str:
        """ "BundID – Vertrauensniveau substanziell (…)", or that nobody logged in."""
        from buergerbuero.identity.trust import LoginMethod, TrustLevel

        if not self.identity_level:
            return str(_("ohne Anmeldung eingereicht"))
        method = LoginMethod(self.identity_method).label if self.identity_method else ""
        level = TrustLevel(self.identity_level).label
        text = _("%(method)s – Vertrauensniveau %(level)s")
        return str(text) % {"method": method, "level": level}

    @property
    def is_draft(self) -> bool:
        return self.status != ApplicationStatus.SUBMITTED

    @property
    def payment_purpose(self) -> str:
        return f"application:{self.public_id}"


class DocumentKind(models.TextChoices):
    UPLOAD = "upload", _("Anlage zum Antrag")
    REQUESTED = "requested", _("nachgereichte Unterlage")
    MESSAGE = "message", _("Anlage einer Nachricht")
    RECEIPT = "receipt", _("Eingangsbestätigung")
    NOTICE = "notice", _("Bescheid")


def _document_path(instance: Document, filename: str) -> str:
    # Never the citizen's file name on disk: a random name in a per-application folder.
    return f"applications/{instance.application.public_id}/{uuid.uuid4().hex}"


def private_storage():
    """The storage of the case file: no public URL, read only through access-checked views."""
    from django.core.files.storage import storages

    return storages["private"]


class Document(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("Art"), max_length=12, choices=DocumentKind.choices)
    field_key = models.CharField(max_length=40, blank=True)
    file = models.FileField(upload_to=_document_path, storage=private_storage, max_length=200)
    name = models.CharField(_("Dateiname"), max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    request = models.ForeignKey(
        "DocumentRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Dokument")
        verbose_name_plural = _("Dokumente")

    def __str__(self) -> str:
        return self.name


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("eingegangen")
    IN_PROGRESS = "in_progress", _("in Bearbeitung")
    WAITING = "waiting", _("wartet auf Unterlagen")
    AWAITING_APPROVAL = "awaiting_approval", _("wartet auf Freigabe")
    APPROVED = "approved", _("bewilligt")
    REJECTED = "rejected", _("abgelehnt")
    CLOSED = "closed", _("abgeschlossen")


OPEN_CASE_STATUSES = (
    CaseStatus.SUBMITTED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.WAITING,
    CaseStatus.AWAITING_APPROVAL,
)


class Case(models.Model):
    """The electronic case file of one submitted application.

    ``version`` counts changes: every staff change names the version it was made on, and
    a change on an outdated version is refused with a conflict message (two caseworkers
    never overwrite each other)."""

    reference = models.CharField(_("Aktenzeichen"), max_length=20, unique=True)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="case")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="cases")
    applicant_name = models.CharField(_("Antragsteller:in"), max_length=200)
    status = models.CharField(
        _("Status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("zuständig"),
    )
    # four-eyes principle: who proposed the pending decision
    proposed_decision = models.CharField(max_length=10, blank=True)
    proposed_text = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("eingegangen am"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(_("aufbewahren bis"), null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Vorgang")
        verbose_name_plural = _("Vorgänge")
        indexes = [
            models.Index(fields=["department", "status"]),
            models.Index(fields=["retain_until"]),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("backoffice:case", args=[self.reference])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES


class ReferenceCounter(models.Model):
    """The last number given per prefix and year; updated under a row lock."""

    prefix = models.CharField(max_length=4)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="one_counter_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Antrag eingegangen")
    STATUS = "status", _("Status geändert")
    ASSIGNED = "assigned", _("Zuständigkeit")
    NOTE = "note", _("interne Notiz")
    MESSAGE = "message", _("Nachricht")
    REQUEST = "request", _("Unterlagen angefordert")
    DOCUMENT = "document", _("Unterlage eingegangen")
    DECISION = "decision", _("Entscheidung")
    NOTICE = "notice", _("Bescheid erstellt")
    PAYMENT = "payment", _("Zahlung")


class CaseEvent(models.Model):
    """The case's timeline. Citizens see the events marked public."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    public = models.BooleanField(default=True)
    text = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class Message(models.Model):
    """The secure message box between citizen and caseworker."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    from_citizen = models.BooleanField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("Nachricht"))
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {'citizen' if self.from_citizen else 'office'}"


class DocumentRequest(models.Model):
    """A caseworker asks the citizen for a document; fulfilled by the citizen's upload."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="document_requests")
    description = models.TextField(_("Welche Unterlage?"))
    due_date = models.DateField(_("bis"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class Notice(models.Model):
    """A notice (Bescheid) or permit issued on a case, as a PDF with a verification code."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="notice")
    decision = models.CharField(max_length=10)
    title = models.CharField(max_length=300)
    verification_code = models.CharField(max_length=20, unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("Bescheid")
        verbose_name_plural = _("Bescheide")

    def __str__(self) -> str:
        return self.title


class AuditEntry(models.Model):
    """Who read or changed which personal data when. Never edited, never deleted with the
    case (the reference stays; the case may be anonymised)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    case_reference = models.CharField(max_length=20, blank=True, db_index=True)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll der Zugriffe")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.case_reference}"
