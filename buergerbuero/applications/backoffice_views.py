"""The caseworkers' work screen (Sachbearbeitung): the department inbox, the case file
with its actions, and document downloads.

Views parse input, call one selector or casework service and render; the rules (who may
do what, which status follows which, the four-eyes principle) live in ``casework.py``.
Personal data is reached only through :func:`selectors.staff_case` and
:func:`selectors.cases_for_staff` (the caseworker's departments, never more; a case of
another department is a 404, its existence is not disclosed), and every page that shows
it writes an audit entry.

A change names the case version it was made on. If a colleague changed the case in
between, the page comes back with status 409, a message who changed what, and the
caseworker's input kept in its form on the current version: sending it again applies it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from buergerbuero.identity.staff.roles import works_in_any
from buergerbuero.payments.selectors import payment_for

from . import casework, selectors
from .audit import audit
from .backoffice_forms import (
    ACTION_FORMS,
    STATUS_ALL,
    STATUS_OPEN,
    ApproveForm,
    AssignForm,
    CaseActionForm,
    InboxFilterForm,
    RejectForm,
    services_for_filter,
    status_choices,
    status_filter_choices,
)
from .charges import money_owed
from .models import AuditEntry, Case, CaseStatus, EventKind
from .presentation import fee_summary, summary_sections

logger = logging.getLogger("buergerbuero.applications")

PAGE_SIZE = 25
AUDIT_ROWS = 50
FORBIDDEN_TEMPLATE = "applications/backoffice/forbidden.html"

# KERN badge per status: (variant, icon)
STATUS_BADGES = {
    CaseStatus.SUBMITTED: ("info", "info"),
    CaseStatus.IN_PROGRESS: ("info", "edit"),
    CaseStatus.WAITING: ("warning", "warning"),
    CaseStatus.AWAITING_APPROVAL: ("warning", "visibility"),
    CaseStatus.APPROVED: ("success", "success"),
    CaseStatus.REJECTED: ("danger", "danger"),
    CaseStatus.CLOSED: ("success", "check"),
}


def caseworker_required(view: Callable) -> Callable:
    """Staff with at least one department (caseworker or team lead). Anonymous visitors
    go to the staff login; anyone else logged in gets a 403 page that says why. Never
    cached: every page is personal data."""

    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(
                request.get_full_path(), login_url=reverse("identity:staff_login")
            )
        if not works_in_any(request.user):
            return render(request, FORBIDDEN_TEMPLATE, status=403)
        return view(request, *args, **kwargs)

    return wrapper


# -- the inbox --------------------------------------------------------------------------


@caseworker_required
def inbox(request):
    user = request.user
    form = InboxFilterForm(request.GET or None, services=services_for_filter(user))
    filters = form.filters()
    cases = selectors.inbox(user, **filters).annotate(
        open_requests=Count("document_requests", filter=Q(document_requests__fulfilled_at=None))
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("seite"))
    today = timezone.localdate()
    for case in page:
        case.received_ago = received_ago(case.created_at, today=today)
        case.badge = STATUS_BADGES[CaseStatus(case.status)]
    audit(user, "inbox.view", detail=_inbox_audit_detail(filters, page.number))
    return render(
        request,
        "applications/backoffice/inbox.html",
        {
            "form": form,
            "page": page,
            "cases": page.object_list,
            "status_counts": _status_counts(user, filters, current=form.status_key),
            "narrowed": form.narrowed or form.status_key != STATUS_OPEN,
            "departments": user.departments.all(),
        },
    )


def _status_counts(user, filters: dict, *, current: str) -> list[dict]:
    """How many cases each status filter would show, under the other filters chosen."""
    rows = (
        selectors.inbox(user, **{**filters, "status": ""})
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    by_status = dict(rows)
    total = sum(by_status.values())
    counts = []
    for key, label in status_filter_choices():
        if key == STATUS_OPEN:
            count = total - by_status.get(CaseStatus.CLOSED, 0)
        elif key == STATUS_ALL:
            count = total
        else:
            count = by_status.get(key, 0)
        counts.append({"key": key, "label": label, "count": count, "current": key == current})
    return counts


def _inbox_audit_detail(filters: dict, page_number: int) -> str:
    # What was looked for is part of the record: a search for a name is a read of it.
    parts = [f"{key}={value}" for key, value in filters.items() if value]
    return " ".join([*parts, f"page={page_number}"])


def received_ago(moment: dt.datetime, *, today: dt.date | None = None) -> str:
    """ "heute", "gestern", "vor 3 Tagen": how long a case has waited, in days."""
    today = today or timezone.localdate()
    days = (today - timezone.localdate(moment)).days
    if days <= 0:
        return _("heute")
    if days == 1:
        return _("gestern")
    return ngettext("vor %(days)d Tag", "vor %(days)d Tagen", days) % {"days": days}


# -- the case file ----------------------------------------------------------------------


@caseworker_required
def case_detail(request, reference: str):
    case = selectors.staff_case(request.user, reference)
    return _case_page(request, case)


@require_POST
@caseworker_required
def case_action(request, reference: str, action: str):
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    user = request.user
    case = selectors.staff_case(user, reference)
    form = _action_form(form_class, case, data=request.POST)
    # Checked before the form and the rules: on an outdated page "not possible any more"
    # would be the wrong message — the right one is who changed the case.
    if form.posted_version is not None and form.posted_version != case.version:
        return _conflict_page(request, case, form_class)
    if not form.is_valid():
        return _case_page(request, case, bound=form)
    try:
        done = ACTION_HANDLERS[action](case, user, form)
    except casework.Conflict:
        return _conflict_page(request, selectors.staff_case(user, reference), form_class)
    except casework.NotAllowed as refusal:
        case = selectors.staff_case(user, reference)
        return _case_page(
            request,
            case,
            bound=form_class.kept(request.POST, case=case, **_form_extras(form_class, case)),
            alert={
                "title": _("Das ist so nicht möglich"),
                "text": str(refusal.message),
                "input_kept": True,
            },
            status=400,
        )
    messages.success(request, done)
    return redirect("backoffice:case", reference=case.reference)


def _conflict_page(request, case: Case, form_class: type[CaseActionForm]):
    kept = form_class.kept(request.POST, case=case, **_form_extras(form_class, case))
    who, what, when = _last_change(case, request.user)
    input_kept = bool(kept.visible_fields())
    if input_kept:
        text = _(
            "Dieser Vorgang wurde inzwischen von %(name)s geändert (%(what)s, %(time)s Uhr). "
            "Ihre Eingabe ist unten erhalten; bitte prüfen Sie den aktuellen Stand und senden "
            "Sie erneut."
        )
    else:  # a button without input (claim, close, approve): nothing to keep
        text = _(
            "Dieser Vorgang wurde inzwischen von %(name)s geändert (%(what)s, %(time)s Uhr). "
            "Bitte prüfen Sie den aktuellen Stand und versuchen Sie es dann erneut."
        )
    alert = {
        "title": _("Der Vorgang wurde inzwischen geändert"),
        "text": text % {"name": who, "what": what, "time": when},
        "input_kept": input_kept,
    }
    return _case_page(request, case, bound=kept, alert=alert, status=409)


def _last_change(case: Case, user) -> tuple[str, str, str]:
    """Who changed the case last, what and at what time — from its timeline."""
    event = case.events.select_related("actor").order_by("-created_at", "-id").first()
    if event is None:
        at = formats.time_format(timezone.localtime(case.updated_at))
        return _("einer anderen Person"), _("unbekannt"), at
    if event.actor_id == user.pk:
        who = _("Ihnen in einem anderen Fenster")
    elif event.actor is not None:
        who = event.actor.display_name
    elif event.kind in (EventKind.MESSAGE, EventKind.DOCUMENT):
        who = _("der antragstellenden Person")
    else:
        who = _("dem System")
    at = formats.time_format(timezone.localtime(event.created_at))
    return who, str(event.get_kind_display()), at


# Each action: call one casework service, return the success message.


def _claim(case, user, form):
    casework.case_claim(case, user=user, expected_version=form.cleaned_data["version"])
    return _("Sie bearbeiten jetzt diesen Vorgang.")


def _assign(case, user, form):
    assignee = form.cleaned_data["assignee"]
    casework.case_assign(
        case, user=user, assignee=assignee, expected_version=form.cleaned_data["version"]
    )
    if assignee is None:
        return _("Der Vorgang ist niemandem mehr zugewiesen.")
    return _("Zuständig ist jetzt %(name)s.") % {"name": assignee.display_name}


def _set_status(case, user, form):
    status = CaseStatus(form.cleaned_data["status"])
    casework.case_set_status(
        case, user=user, status=status, expected_version=form.cleaned_data["version"]
    )
    return _("Neuer Status: %(status)s.") % {"status": status.label}


def _note(case, user, form):
    casework.case_note(
        case,
        user=user,
        text=form.cleaned_data["text"],
        expected_version=form.cleaned_data["version"],
    )
    return _("Die interne Notiz ist gespeichert.")


def _message(case, user, form):
    casework.case_message(
        case,
        user=user,
        body=form.cleaned_data["body"],
        expected_version=form.cleaned_data["version"],
    )
    return _("Die Nachricht ist gesendet.")


def _request_document(case, user, form):
    casework.case_request_document(
        case,
        user=user,
        description=form.cleaned_data["description"],
        due_date=form.cleaned_data["due_date"],
        expected_version=form.cleaned_data["version"],
    )
    return _("Die Unterlage ist angefordert. Der Vorgang wartet jetzt auf Unterlagen.")


def _decide(decision: CaseStatus):
    def handler(case, user, form):
        text = form.notice_text() if isinstance(form, RejectForm) else form.cleaned_data["text"]
        case = casework.case_decide(
            case,
            user=user,
            decision=decision,
            text=text,
            expected_version=form.cleaned_data["version"],
        )
        if case.status == CaseStatus.AWAITING_APPROVAL:
            return _(
                "Ihre Entscheidung ist zur Freigabe vorgelegt. Eine zweite Person aus Ihrem Amt "
                "muss sie freigeben."
            )
        done = _("Entschieden: %(decision)s. Der Bescheid ist erstellt.")
        return done % {"decision": decision.label}

    return handler


def _approve_proposal(approve: bool):
    def handler(case, user, form):
        casework.case_approve_decision(
            case, user=user, approve=approve, expected_version=form.cleaned_data["version"]
        )
        if approve:
            return _("Die Entscheidung ist freigegeben. Der Bescheid ist erstellt.")
        return _("Die Entscheidung ist zurückgewiesen; der Vorgang ist wieder in Bearbeitung.")

    return handler


def _close(case, user, form):
    casework.case_set_status(
        case, user=user, status=CaseStatus.CLOSED, expected_version=form.cleaned_data["version"]
    )
    return _("Der Vorgang ist abgeschlossen.")


ACTION_HANDLERS: dict[str, Callable] = {
    "uebernehmen": _claim,
    "zuweisen": _assign,
    "status": _set_status,
    "notiz": _note,
    "nachricht": _message,
    "unterlagen": _request_document,
    "bewilligen": _decide(CaseStatus.APPROVED),
    "ablehnen": _decide(CaseStatus.REJECTED),
    "freigeben": _approve_proposal(True),
    "zurueckweisen": _approve_proposal(False),
    "abschliessen": _close,
}
assert set(ACTION_HANDLERS) == set(ACTION_FORMS), "every action form needs a handler"


def available_actions(case: Case, user) -> list[str]:
    """The actions the case page offers this caseworker now (the services check again)."""
    status = CaseStatus(case.status)
    deciding = case.is_open and status != CaseStatus.AWAITING_APPROVAL
    actions = []
    if case.is_open and case.assigned_to_id != user.pk:
        actions.append("uebernehmen")
    if status != CaseStatus.CLOSED:
        actions.append("zuweisen")
    if status_choices(case):
        actions.append("status")
    if deciding:
        actions += ["unterlagen", "bewilligen", "ablehnen"]
    if status == CaseStatus.AWAITING_APPROVAL and case.proposed_by_id != user.pk:
        actions += ["freigeben", "zurueckweisen"]
    if status in (CaseStatus.APPROVED, CaseStatus.REJECTED):
        actions.append("abschliessen")
    actions += ["nachricht", "notiz"]
    return actions


def _form_extras(form_class: type[CaseActionForm], case: Case) -> dict:
    if form_class is AssignForm:
        return {"colleagues": selectors.colleagues_of(case)}
    return {}


def _action_form(form_class, case: Case, *, data=None) -> CaseActionForm:
    extras = _form_extras(form_class, case)
    if data is None and form_class in (ApproveForm, RejectForm):
        decision = CaseStatus.APPROVED if form_class is ApproveForm else CaseStatus.REJECTED
        language = case.application.language or "de"
        text = casework.notice_text_default(case, decision, language=language)
        return form_class(case=case, initial={"text": text})
    return form_class(data, case=case, **extras)


def _case_page(request, case: Case, *, bound: CaseActionForm | None = None, alert=None, status=200):
    user = request.user
    audit(user, "case.view", case)
    application = case.application
    forms = {
        action: _action_form(ACTION_FORMS[action], case) for action in available_actions(case, user)
    }
    if bound is not None:  # whatever the state now, the caseworker's input stays on screen
        forms[bound.action] = bound
    language = application.language or "de"
    context = {
        "case": case,
        "application": application,
        "badge": STATUS_BADGES[CaseStatus(case.status)],
        "received_ago": received_ago(case.created_at),
        "language_name": translation.get_language_info(language)["name_translated"],
        "four_eyes": application.definition.spec.four_eyes,
        "actions": forms,
        "open_action": bound.action if bound is not None else "",
        "alert": alert,
        "proposal_is_mine": case.proposed_by_id == user.pk,
        "proposed_decision_label": CaseStatus(case.proposed_decision).label
        if case.proposed_decision in CaseStatus.values
        else "",
        "sections": _answer_sections(application),
        "documents": application.documents.all(),
        "document_requests": case.document_requests.all(),
        "fee": fee_summary(application),
        "payment": payment_for(application.payment_purpose),
        "money": money_owed(application),
        "case_messages": case.messages.select_related("author"),
        "events": case.events.select_related("actor").order_by("-created_at", "-id"),
        "decision_hint": _decision_hint(application.definition.spec.four_eyes),
        "audit_entries": _audit_entries(case),
        "audit_rows": AUDIT_ROWS,
    }
    return render(request, "applications/backoffice/case.html", context, status=status)


def _answer_sections(application) -> list[dict]:
    sections = summary_sections(application)
    for section in sections:
        for row in section["rows"]:
            row["group"] = row.pop("group_items", None)
    return sections


def _decision_hint(four_eyes: bool) -> str:
    if four_eyes:
        return _(
            "Vier-Augen-Prinzip: Eine zweite Person aus Ihrem Amt gibt Ihre Entscheidung frei; "
            "erst dann wird der Bescheid erstellt."
        )
    return _(
        "Der Bescheid wird sofort als PDF erstellt und der antragstellenden Person zugestellt."
    )


def _audit_entries(case: Case) -> list[AuditEntry]:
    entries = list(AuditEntry.objects.filter(case_reference=case.reference)[:AUDIT_ROWS])
    for entry in entries:
        label = AUDIT_ACTION_LABELS.get(entry.action)
        entry.label = str(label) if label else ""
    return entries


# What the audit trail's action codes mean, for people.
AUDIT_ACTION_LABELS = {
    "case.view": _lazy("Vorgang angesehen"),
    "document.download": _lazy("Dokument heruntergeladen"),
    "case.claim": _lazy("übernommen"),
    "case.assign": _lazy("zugewiesen"),
    "case.status": _lazy("Status geändert"),
    "case.note": _lazy("interne Notiz"),
    "case.message": _lazy("Nachricht gesendet"),
    "case.request_document": _lazy("Unterlagen angefordert"),
    "case.propose_decision": _lazy("Entscheidung vorgelegt"),
    "case.decide": _lazy("entschieden"),
    "case.approve_decision": _lazy("Entscheidung freigegeben"),
    "case.reject_proposal": _lazy("Entscheidung zurückgewiesen"),
}


# -- documents --------------------------------------------------------------------------


@caseworker_required
def document_download(request, pk: int):
    document = selectors.document_for_staff(request.user, pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        logger.error("document %s of %s is missing on disk", document.pk, document.application.case)
        raise Http404 from None
    detail = f"#{document.pk} {document.name}"
    audit(request.user, "document.download", document.application.case, detail=detail)
    # Always a download, never shown inline: an upload is not trusted page content.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
