"""Writes on the case file by caseworkers (and the system), with the audit trail.

Every change names the case version it was made on (``expected_version``). If another
caseworker changed the case in between, :class:`Conflict` is raised and nothing is
written; the view shows the message and keeps what the caseworker typed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerbuero.identity.staff.roles import works_in

from . import live
from .audit import audit
from .models import (
    Case,
    CaseEvent,
    CaseStatus,
    Document,
    DocumentKind,
    DocumentRequest,
    EventKind,
    Message,
    Notice,
)

logger = logging.getLogger("buergerbuero.applications")

# Which status may follow which (by a caseworker).
TRANSITIONS = {
    CaseStatus.SUBMITTED: {CaseStatus.IN_PROGRESS, CaseStatus.WAITING},
    CaseStatus.IN_PROGRESS: {CaseStatus.WAITING, CaseStatus.SUBMITTED},
    CaseStatus.WAITING: {CaseStatus.IN_PROGRESS},
    CaseStatus.APPROVED: {CaseStatus.CLOSED},
    CaseStatus.REJECTED: {CaseStatus.CLOSED},
}


class Conflict(Exception):
    """The case changed since the caseworker loaded it."""

    def __init__(self, case: Case):
        self.case = case
        super().__init__(case.reference)


class NotAllowed(Exception):
    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def can_work_on(user, case: Case) -> bool:
    """Caseworkers and team leads of the case's department (identity/staff/roles.py)."""
    return works_in(user, case.department_id)


def _guard(case: Case, expected_version: int, user) -> None:
    """Who may work on the case, and whether it is still as the caseworker saw it —
    checked before any rule, so an outdated page gets the conflict, not a refusal."""
    if not can_work_on(user, case):
        raise PermissionDenied
    current = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first()
    if current != expected_version:
        raise Conflict(Case.objects.get(pk=case.pk))


def _bump(case: Case, expected_version: int, user, **changes) -> Case:
    """Apply ``changes`` only if the case is still at ``expected_version``."""
    if not can_work_on(user, case):
        raise PermissionDenied
    updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        raise Conflict(Case.objects.get(pk=case.pk))
    case.refresh_from_db()
    return case


def _event(case, kind, user, text="", public=True) -> CaseEvent:
    live.case_changed(case, actor=user, what=kind)
    return CaseEvent.objects.create(case=case, kind=kind, actor=user, text=text, public=public)


@transaction.atomic
def case_claim(case: Case, *, user, expected_version: int) -> Case:
    previous = case.assigned_to
    changes = {"assigned_to": user}
    if case.status == CaseStatus.SUBMITTED:
        changes["status"] = CaseStatus.IN_PROGRESS
    case = _bump(case, expected_version, user, **changes)
    _event(
        case,
        EventKind.ASSIGNED,
        user,
        str(_("übernommen von {name}")).format(name=user.display_name)
        + (
            str(_(" (bisher {name})")).format(name=previous.display_name)
            if previous is not None and previous != user
            else ""
        ),
        public=False,
    )
    if changes.get("status"):
        _event(case, EventKind.STATUS, user, str(CaseStatus.IN_PROGRESS.label))
    detail = f"previously {previous.get_username()}" if previous and previous != user else ""
    audit(user, "case.claim", case, detail=detail)
    return case


@transaction.atomic
def case_assign(case: Case, *, user, assignee, expected_version: int) -> Case:
    if assignee is not None and not works_in(assignee, case.department_id):
        raise NotAllowed(_("Diese Person arbeitet nicht in diesem Amt."))
    case = _bump(case, expected_version, user, assigned_to=assignee)
    name = assignee.display_name if assignee else str(_("niemand"))
    _event(
        case,
        EventKind.ASSIGNED,
        user,
        str(_("zugewiesen an {name}")).format(name=name),
        public=False,
    )
    audit(user, "case.assign", case, detail=name)
    return case


@transaction.atomic
def case_set_status(case: Case, *, user, status: str, expected_version: int) -> Case:
    _guard(case, expected_version, user)
    if status not in TRANSITIONS.get(case.status, set()):
        raise NotAllowed(_("Dieser Statuswechsel ist nicht möglich."))
    changes = {"status": status}
    if status == CaseStatus.CLOSED:
        changes["closed_at"] = timezone.now()
        changes["retain_until"] = timezone.localdate() + dt.timedelta(
            days=case.application.definition.spec.retention_days
        )
    case = _bump(case, expected_version, user, **changes)
    _event(case, EventKind.STATUS, user, str(CaseStatus(status).label))
    audit(user, "case.status", case, detail=status)
    return case


@transaction.atomic
def case_note(case: Case, *, user, text: str, expected_version: int) -> Case:
    case = _bump(case, expected_version, user)
    _event(case, EventKind.NOTE, user, text, public=False)
    audit(user, "case.note", case)
    return case


@transaction.atomic
def case_message(case: Case, *, user, body: str, expected_version: int) -> Message:
    case = _bump(case, expected_version, user)
    message = Message.objects.create(case=case, from_citizen=False, author=user, body=body)
    _event(case, EventKind.MESSAGE, user, str(_("Nachricht an Sie")))
    audit(user, "case.message", case)
    transaction.on_commit(lambda: _notify_citizen(case.pk, "message"))
    return message


@transaction.atomic
def case_request_document(
    case: Case, *, user, description: str, due_date: dt.date | None, expected_version: int
) -> DocumentRequest:
    case = _bump(case, expected_version, user, status=CaseStatus.WAITING)
    request = DocumentRequest.objects.create(
        case=case, description=description, due_date=due_date, requested_by=user
    )
    _event(case, EventKind.REQUEST, user, description)
    audit(user, "case.request_document", case)
    transaction.on_commit(lambda: _notify_citizen(case.pk, "request"))
    return request


# -- the citizen's side of the case file ------------------------------------------------


@transaction.atomic
def citizen_message(case: Case, *, user, body: str) -> Message:
    author = user if user is not None and user.is_authenticated else None
    message = Message.objects.create(case=case, from_citizen=True, author=author, body=body)
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1, updated_at=timezone.now())
    CaseEvent.objects.create(case=case, kind=EventKind.MESSAGE, text=str(_("Nachricht an das Amt")))
    live.case_changed(case, what=EventKind.MESSAGE)
    transaction.on_commit(lambda: _notify_caseworker(case.pk, "message"))
    return message


@transaction.atomic
def citizen_fulfil_request(request: DocumentRequest, *, user, uploads) -> list[Document]:
    """The citizen's answer to a document request: every file is checked (content, size,
    virus scan); if any is refused, nothing is stored and ValidationError names each."""
    from buergerbuero.core.uploads import check_upload

    from .services import document_store

    if not uploads:
        raise ValidationError(_("Bitte wählen Sie eine Datei aus."), code="required")
    checked_uploads, problems = [], []
    for upload in uploads:
        try:
            checked_uploads.append(check_upload(upload))
        except ValidationError as error:
            problems.extend(f"{upload.name}: {message}" for message in error.messages)
    if problems:
        raise ValidationError(problems)
    case = request.case
    documents = [
        document_store(
            case.application, checked, kind=DocumentKind.REQUESTED, user=user, request=request
        )
        for checked in checked_uploads
    ]
    request.fulfilled_at = timezone.now()
    request.save(update_fields=["fulfilled_at"])
    changes = {"version": F("version") + 1, "updated_at": timezone.now()}
    if (
        case.status == CaseStatus.WAITING
        and not case.document_requests.filter(fulfilled_at=None).exists()
    ):
        changes["status"] = CaseStatus.IN_PROGRESS
    Case.objects.filter(pk=case.pk).update(**changes)
    names = ", ".join(d.name for d in documents)
    CaseEvent.objects.create(case=case, kind=EventKind.DOCUMENT, text=names)
    live.case_changed(case, what=EventKind.DOCUMENT)
    transaction.on_commit(lambda: _notify_caseworker(case.pk, "document"))
    return documents


# -- decisions and notices --------------------------------------------------------------


@transaction.atomic
def case_decide(case: Case, *, user, decision: str, text: str, expected_version: int) -> Case:
    """Approve or reject. With the four-eyes principle the decision waits for a second
    caseworker (:func:`case_approve_decision`); otherwise the notice is issued now."""
    _guard(case, expected_version, user)
    if decision not in (CaseStatus.APPROVED, CaseStatus.REJECTED):
        raise NotAllowed(_("Unbekannte Entscheidung."))
    if not case.is_open or case.status == CaseStatus.AWAITING_APPROVAL:
        raise NotAllowed(_("Über diesen Vorgang ist bereits entschieden."))
    spec = case.application.definition.spec
    if spec.four_eyes:
        case = _bump(
            case, expected_version, user,
            status=CaseStatus.AWAITING_APPROVAL, proposed_decision=decision,
            proposed_text=text, proposed_by=user,
        )  # fmt: skip
        _event(
            case,
            EventKind.DECISION,
            user,
            str(_("Entscheidung zur Freigabe vorgelegt")),
            public=False,
        )
        audit(user, "case.propose_decision", case, detail=decision)
        return case
    case = _bump(case, expected_version, user, status=decision, decided_at=timezone.now())
    _event(case, EventKind.DECISION, user, str(CaseStatus(decision).label))
    audit(user, "case.decide", case, detail=decision)
    notice_issue(case, decision=decision, text=text, user=user)
    return case


@transaction.atomic
def case_approve_decision(case: Case, *, user, expected_version: int, approve: bool) -> Case:
    _guard(case, expected_version, user)
    if case.status != CaseStatus.AWAITING_APPROVAL:
        raise NotAllowed(_("Hier wartet keine Entscheidung auf Freigabe."))
    if case.proposed_by_id == user.pk:
        raise NotAllowed(
            _("Vier-Augen-Prinzip: Eine zweite Person muss die Entscheidung freigeben.")
        )
    if not approve:
        case = _bump(
            case, expected_version, user, status=CaseStatus.IN_PROGRESS, proposed_decision=""
        )
        _event(
            case,
            EventKind.DECISION,
            user,
            str(_("Freigabe abgelehnt, zurück in Bearbeitung")),
            public=False,
        )
        audit(user, "case.reject_proposal", case)
        return case
    decision, text, proposer = case.proposed_decision, case.proposed_text, case.proposed_by
    case = _bump(
        case,
        expected_version,
        user,
        status=decision,
        decided_at=timezone.now(),
        proposed_decision="",
    )
    _event(case, EventKind.DECISION, user, str(CaseStatus(decision).label))
    audit(user, "case.approve_decision", case, detail=decision)
    notice_issue(case, decision=decision, text=text, user=proposer or user, approved_by=user)
    return case


_PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")


def notice_text_default(
    case: Case, decision: str, *, language: str = "de", reason: str = ""
) -> str:
    """The service's notice template for the decision, with the answers filled in."""
    from django.utils import translation

    from .presentation import answer_text

    spec = case.application.definition.spec
    if spec.notice is None:
        return ""
    template = spec.notice.approved if decision == CaseStatus.APPROVED else spec.notice.rejected
    with translation.override(language):
        body = str(template)

        def fill(match: re.Match) -> str:
            field = spec.field(match.group(1))
            if field is None:
                return reason if match.group(1) == "begruendung" else match.group(0)
            return answer_text(field, case.application.answers.get(field.key)) or "–"

        return _PLACEHOLDER.sub(fill, body)


def notice_issue(case: Case, *, decision: str, text: str, user=None, approved_by=None) -> Notice:
    """Render the notice PDF, file it in the case and tell the citizen."""
    from .charges import charge_set
    from .documents import notice_pdf

    spec = case.application.definition.spec
    if decision == CaseStatus.APPROVED and spec.notice and spec.notice.charge:
        charge_set(case)
    code = _verification_code()
    pdf, title = notice_pdf(case, decision=decision, text=text, verification_code=code, user=user)
    document = Document(
        application=case.application,
        kind=DocumentKind.NOTICE,
        name=f"Bescheid-{case.reference}.pdf",
        content_type="application/pdf",
        size=len(pdf),
        sha256=_sha256(pdf),
        uploaded_by=user,
    )
    from django.core.files.base import ContentFile

    document.file.save(document.name, ContentFile(pdf), save=False)
    document.save()
    notice = Notice.objects.create(
        case=case,
        document=document,
        decision=decision,
        title=title,
        verification_code=code,
        issued_by=user,
        approved_by=approved_by,
    )
    CaseEvent.objects.create(case=case, kind=EventKind.NOTICE, actor=user, text=title)
    live.case_changed(case, actor=user, what=EventKind.NOTICE)
    transaction.on_commit(lambda: _notify_citizen(case.pk, "notice"))
    return notice


def _verification_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def verification_url(code: str) -> str:
    return reverse("applications:verify", args=[code])


def _notify_citizen(case_id: int, what: str) -> None:
    from .tasks import notify_citizen

    notify_citizen.enqueue(case_id, what)


def _notify_caseworker(case_id: int, what: str) -> None:
    from .tasks import notify_caseworker

    notify_caseworker.enqueue(case_id, what)
