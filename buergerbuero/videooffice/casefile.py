"""A video call and the electronic case file: the citizen's cases, linking one to the call,
opening a new one, filing the documents sent in the call and the outcome note.

A case needs an application, and an application a form definition. A conversation has no
form, so each service gets one small *consultation* definition of its own, created on first
use: one step with the concern, no fee, no notice. It is stored **inactive** — citizens
never start it online (``applications.selectors.active_definition`` only reads active
versions) and an admin's next import simply takes the following version number::

    case = call_case_create(call, caseworker=user, service=service)   # links it, too
    call_documents_file(call, caseworker=user)                        # files what was sent
    call_outcome_file(call, caseworker=user)                          # the note, internal

Every write bumps the case's version (an open case page learns of it, a colleague's
outdated form gets the conflict message) and writes the audit trail.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerbuero.applications import live
from buergerbuero.applications.audit import audit
from buergerbuero.applications.casework import can_work_on
from buergerbuero.applications.models import (
    Application,
    ApplicationStatus,
    Case,
    CaseEvent,
    Document,
    DocumentKind,
    EventKind,
    FormDefinition,
)
from buergerbuero.applications.services import reference_next
from buergerbuero.catalog.models import Service
from buergerbuero.identity.staff.roles import works_in

from .models import Call, CallDocument

CONSULTATION_STEP = "videosprechstunde"
CONCERN_FIELD = "anliegen"
# How long a consultation case is kept after closing: like most of the city's case files.
CONSULTATION_RETENTION_DAYS = 730
UNKNOWN_APPLICANT = gettext_lazy("Unbekannt (Video-Sprechstunde)")
# Documents sent in a call are handed in later, like an answer to a request.
FILED_KIND = DocumentKind.REQUESTED


class CaseFileRefused(Exception):
    """The case file cannot be changed so; ``message`` says why, in German, for the page."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


# -- reading ----------------------------------------------------------------------------


def citizen_cases(call: Call) -> QuerySet[Case]:
    """The cases of the call's logged-in citizen in the office's department, newest first.
    A citizen without an account has none we could match by name safely."""
    user_id = call.knock.user_id
    if user_id is None:
        return Case.objects.none()
    return (
        Case.objects.filter(application__user_id=user_id, department_id=call.office.department_id)
        .select_related("service")
        .order_by("-created_at", "-pk")
    )


def consultation_document(service: Service) -> dict:
    """The consultation form of ``service`` (docs/form-definitions.md): one textarea."""
    return {
        "service": service.slug,
        "anonymous": True,
        "retention_days": CONSULTATION_RETENTION_DAYS,
        "steps": [
            {
                "key": CONSULTATION_STEP,
                "title": {
                    "de": "Anliegen aus der Video-Sprechstunde",
                    "en": "Concern raised in the video consultation",
                },
                "fields": [
                    {
                        "key": CONCERN_FIELD,
                        "type": "textarea",
                        "label": {"de": "Anliegen", "en": "Concern"},
                        "required": False,
                        "max_length": 2000,
                    }
                ],
            }
        ],
    }


def consultation_definition(service: Service) -> FormDefinition:
    """The service's (inactive) consultation definition; created on first use with the
    next free version number. The service row is locked meanwhile, so two caseworkers
    creating the first consultation case at once do not pick the same number."""
    Service.objects.select_for_update().filter(pk=service.pk).first()
    existing = (
        FormDefinition.objects.filter(
            service=service, is_active=False, document__steps__0__key=CONSULTATION_STEP
        )
        .order_by("-version")
        .first()
    )
    if existing is not None:
        return existing
    latest = (
        FormDefinition.objects.filter(service=service)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    definition = FormDefinition.objects.create(
        service=service,
        version=(latest or 0) + 1,
        document=consultation_document(service),
        is_active=False,
    )
    definition.spec  # noqa: B018 — a definition that does not parse must fail here, not later
    return definition


# -- writing ----------------------------------------------------------------------------


def _own_call(call: Call, caseworker) -> None:
    if call.caseworker_id != caseworker.pk:
        raise CaseFileRefused(
            _("Nur die Sachbearbeitung dieses Gesprächs kann es mit einem Vorgang verbinden.")
        )


def _touch(case: Case, *, actor, what: str) -> None:
    """A change on the case: new version, and open case pages hear of it."""
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1, updated_at=timezone.now())
    live.case_changed(case, actor=actor, what=what)


def _call_moment(call: Call) -> str:
    started = timezone.localtime(call.started_at)
    return _("%(date)s um %(time)s Uhr") % {
        "date": formats.date_format(started, "SHORT_DATE_FORMAT"),
        "time": formats.time_format(started, "H:i"),
    }


@transaction.atomic
def call_case_link(call: Call, *, caseworker, case: Case) -> Case:
    """Connect the call with one of the case files the caseworker works on; the case's
    timeline notes the conversation (internal)."""
    _own_call(call, caseworker)
    if not can_work_on(caseworker, case):
        raise CaseFileRefused(
            _("Diesen Vorgang bearbeitet ein anderes Amt; Sie können ihn nicht verknüpfen.")
        )
    call.case = case
    call.save(update_fields=["case"])
    text = _("Video-Gespräch am %(moment)s (%(office)s).") % {
        "moment": _call_moment(call),
        "office": call.office.name,
    }
    CaseEvent.objects.create(
        case=case, kind=EventKind.NOTE, actor=caseworker, text=text, public=False
    )
    _touch(case, actor=caseworker, what=EventKind.NOTE)
    audit(caseworker, "video.case_link", case, detail=f"call:{call.public_id}")
    if call.outcome_note:  # linked on the outcome page, after the note was written
        call_outcome_file(call, caseworker=caseworker)
    return case


@transaction.atomic
def call_case_create(call: Call, *, caseworker, service: Service) -> Case:
    """Open a new case for the citizen at one of the office's services, as a submitted
    application would (reference, department, applicant), and link it to the call."""
    _own_call(call, caseworker)
    if not call.office.services.filter(pk=service.pk).exists():
        raise CaseFileRefused(_("Diese Leistung gehört nicht zu diesem virtuellen Amt."))
    if not works_in(caseworker, service.department_id):
        raise CaseFileRefused(
            _("Vorgänge zu dieser Leistung bearbeitet ein anderes Amt; Sie können keinen anlegen.")
        )
    knock = call.knock
    citizen = knock.user
    now = timezone.now()
    application = Application.objects.create(
        service=service,
        definition=consultation_definition(service),
        user=citizen,
        status=ApplicationStatus.SUBMITTED,
        language=_known_language(knock.language),
        answers={CONCERN_FIELD: knock.concern},
        completed_steps=[CONSULTATION_STEP],
        submitted_at=now,
        identity_level=knock.trust_level if citizen is not None else "",
        identity_method=knock.identity_method if citizen is not None else "",
    )
    case = Case.objects.create(
        reference=reference_next(),
        application=application,
        service=service,
        department=service.department,
        applicant_name=_applicant_name(citizen)[:200],
    )
    text = _("Angelegt im Video-Gespräch am %(moment)s (%(office)s).") % {
        "moment": _call_moment(call),
        "office": call.office.name,
    }
    CaseEvent.objects.create(case=case, kind=EventKind.SUBMITTED, actor=caseworker, text=text)
    call.case = case
    call.save(update_fields=["case"])
    audit(caseworker, "video.case_create", case, detail=f"call:{call.public_id}")
    if call.outcome_note:
        call_outcome_file(call, caseworker=caseworker)
    return case


def _applicant_name(citizen) -> str:
    name = citizen.get_full_name().strip() if citizen is not None else ""
    return name or str(UNKNOWN_APPLICANT)


def _known_language(code: str) -> str:
    """The knock's language if Django can name it (the case page does), else German."""
    from django.conf.locale import LANG_INFO

    return code if code in LANG_INFO else "de"


def call_document_file(document: CallDocument, *, case: Case) -> Document:
    """Copy one document of the call into ``case`` (same bytes, the case file's storage)
    and remember where it went. The caller holds the transaction and the row lock."""
    with document.file.open("rb") as handle:
        content = handle.read()
    filed = Document(
        application=case.application,
        kind=FILED_KIND,
        name=document.name,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        uploaded_by=document.call.knock.user,
    )
    filed.file.save(document.name, ContentFile(content), save=False)
    filed.save()
    document.filed_as = filed
    document.save(update_fields=["filed_as"])
    return filed


@transaction.atomic
def call_documents_file(call: Call, *, caseworker) -> list[Document]:
    """File every document of the call not filed yet into the linked case."""
    case = call.case
    if case is None:
        raise CaseFileRefused(_("Bitte verknüpfen Sie das Gespräch zuerst mit einem Vorgang."))
    if call.caseworker_id != caseworker.pk and not can_work_on(caseworker, case):
        raise CaseFileRefused(_("Sie können Unterlagen dieses Gesprächs nicht ablegen."))
    pending = list(
        CallDocument.objects.select_for_update()
        .select_related("call__knock")
        .filter(call=call, filed_as__isnull=True)
        .order_by("pk")
    )
    filed = [call_document_file(document, case=case) for document in pending]
    if filed:
        names = ", ".join(document.name for document in filed)
        CaseEvent.objects.create(case=case, kind=EventKind.DOCUMENT, actor=caseworker, text=names)
        _touch(case, actor=caseworker, what=EventKind.DOCUMENT)
        audit(caseworker, "video.documents_file", case, detail=names)
    return filed


@transaction.atomic
def call_outcome_file(call: Call, *, caseworker) -> CaseEvent | None:
    """Write the call's outcome note into the linked case, as an internal note."""
    case = call.case
    if case is None or not call.outcome_note:
        return None
    text = _("Ergebnis des Video-Gesprächs am %(moment)s: %(note)s") % {
        "moment": _call_moment(call),
        "note": call.outcome_note,
    }
    event = CaseEvent.objects.create(
        case=case, kind=EventKind.NOTE, actor=caseworker, text=text, public=False
    )
    _touch(case, actor=caseworker, what=EventKind.NOTE)
    audit(caseworker, "case.note", case, detail=f"video call:{call.public_id}")
    return event
