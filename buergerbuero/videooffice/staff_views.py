"""The caseworker's side of the video office (``/sachbearbeitung/video/``): the dashboard
with the queues of their offices, admitting, declining and transferring, the call page with
its case and Videoident panels, the outcome page, and downloads of documents sent in calls.

The staff area middleware sends anonymous visitors to the staff login; every view is also
behind the back office's ``caseworker_required`` and checks the office concerned
(``services.may_staff``) or the call's caseworker — a 403 page otherwise. The rules live
in ``services``, ``casefile`` and ``identification``; views parse, call one, render.

Every form works without JavaScript (POST, redirect, message). On the call page the side
panels are sent with htmx and answered with the panel alone, so the call keeps running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from buergerbuero.applications.audit import audit
from buergerbuero.applications.backoffice_views import caseworker_required
from buergerbuero.applications.casework import can_work_on
from buergerbuero.applications.selectors import cases_for_staff
from buergerbuero.core.selectors import municipality_get

from . import appointments, casefile, hours, identification, queue, services
from .models import Availability, Call, CallDocument, CallEnd, CallRole, Knock, VideoOffice
from .staff_forms import (
    CaseCreateForm,
    CaseLinkForm,
    DeclineForm,
    OutcomeForm,
    PresenceForm,
    TransferForm,
    VideoidentForm,
)
from .views import call_page_config

logger = logging.getLogger("buergerbuero.videooffice")

FORBIDDEN_TEMPLATE = "videooffice/staff/forbidden.html"
# Rows shown per office: the dashboard is re-fetched on every change of the queue.
QUEUE_ROWS = 50
NO_LONGER_WAITING = gettext_lazy(
    "Diese Person wurde bereits eingelassen oder hat den Warteraum verlassen."
)


def staff_view(view: Callable) -> Callable:
    """The back office's door (login, department) plus a 403 page for a PermissionDenied
    raised by the office or call check."""

    @caseworker_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            return render(request, FORBIDDEN_TEMPLATE, status=403)

    return wrapper


def _staffed_knock(user, public_id) -> Knock:
    knock = get_object_or_404(Knock.objects.select_related("office"), public_id=public_id)
    if not services.may_staff(user, knock.office):
        raise PermissionDenied
    return knock


def _own_call(user, public_id) -> Call:
    """The call, for its caseworker only — not for colleagues of the same office."""
    call = get_object_or_404(
        Call.objects.select_related("knock__user", "office__department", "case"),
        public_id=public_id,
    )
    if call.caseworker_id != user.pk:
        raise PermissionDenied
    return call


def _no_longer_waiting(request):
    messages.warning(request, NO_LONGER_WAITING)
    return redirect("videostaff:dashboard")


# -- the dashboard ----------------------------------------------------------------------


@staff_view
def dashboard(request):
    return _dashboard_page(request)


@staff_view
def queue_fragment(request):
    """The queue tables alone, for dashboard.js to swap in after each message."""
    return render(request, "videooffice/staff/_queue.html", _queue_context(request.user))


def _dashboard_page(request, *, bound=None, status=200):
    context = _queue_context(request.user, bound=bound)
    presence = services.presence_of(request.user)
    context.update(
        {
            "presence": presence,
            "presence_label": _presence_label(presence),
            "presence_form": PresenceForm(initial={"status": presence}),
        }
    )
    return render(request, "videooffice/staff/dashboard.html", context, status=status)


def _presence_label(status: str) -> str:
    return str(Availability(status).label)


def _queue_context(user, *, bound=None) -> dict:
    """Per office: its status and the first :data:`QUEUE_ROWS` waiting, each with its
    decline and transfer forms (``bound``: a (knock id, form) that came back with errors)."""
    offices = list(hours.prefetch_for_status(services.staffed_offices(user)))
    targets = list(VideoOffice.objects.filter(is_active=True).order_by("name"))
    now = timezone.now()
    sections, total = [], 0
    for office in offices:
        status = hours.status_of(office)
        knocks = queue.waiting(office).select_related("user", "transferred_from", "appointment")[
            :QUEUE_ROWS
        ]
        rows = [
            _queue_row(knock, position, now=now, targets=targets, bound=bound)
            for position, knock in enumerate(knocks, start=1)
        ]
        total += status.waiting
        sections.append(
            {
                "office": office,
                "status": status,
                "rows": rows,
                "more": max(status.waiting - len(rows), 0),
                "appointments": appointments.of_day(office, now),
            }
        )
    return {"sections": sections, "waiting_total": total}


def _queue_row(knock: Knock, position: int, *, now, targets, bound) -> dict:
    decline = DeclineForm(knock=knock)
    transfer = TransferForm(knock=knock, targets=targets)
    open_form = ""
    if bound is not None and bound[0] == knock.pk:
        open_form = "decline" if isinstance(bound[1], DeclineForm) else "transfer"
        if open_form == "decline":
            decline = bound[1]
        else:
            transfer = bound[1]
    return {
        "knock": knock,
        "appointment": appointments.of_knock(knock),
        "position": position,
        "minutes": max(int((now - knock.queue_at).total_seconds() // 60), 0),
        "language": _language_name(knock.language),
        "decline": decline,
        "transfer": transfer,
        "open_form": open_form,
    }


def _language_name(code: str) -> str:
    try:
        return translation.get_language_info(code)["name_translated"]
    except KeyError:
        return code


@require_POST
@staff_view
def presence(request):
    form = PresenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte wählen Sie Ihren Status."))
        return redirect("videostaff:dashboard")
    services.presence_set(request.user, form.cleaned_data["status"])
    messages.success(
        request,
        _("Ihr Status: %(status)s.") % {"status": _presence_label(form.cleaned_data["status"])},
    )
    return redirect("videostaff:dashboard")


@require_POST
@staff_view
def admit(request, public_id):
    knock = _staffed_knock(request.user, public_id)
    try:
        call = services.knock_admit(knock, caseworker=request.user)
    except services.NoLongerWaiting:
        return _no_longer_waiting(request)
    return redirect("videostaff:call", call.public_id)


@require_POST
@staff_view
def admit_next(request, slug: str):
    office = get_object_or_404(VideoOffice, slug=slug)
    if not services.may_staff(request.user, office):
        raise PermissionDenied
    call = services.admit_next(office, caseworker=request.user)
    if call is None:
        messages.info(
            request, _("Im Amt „%(office)s“ wartet gerade niemand.") % {"office": office.name}
        )
        return redirect("videostaff:dashboard")
    return redirect("videostaff:call", call.public_id)


@require_POST
@staff_view
def decline(request, public_id):
    knock = _staffed_knock(request.user, public_id)
    form = DeclineForm(request.POST, knock=knock)
    if not form.is_valid():
        return _dashboard_page(request, bound=(knock.pk, form), status=400)
    try:
        services.knock_decline(knock, caseworker=request.user, message=form.cleaned_data["message"])
    except services.NoLongerWaiting:
        return _no_longer_waiting(request)
    messages.success(request, _("Die Person ist abgewiesen und sieht Ihre Nachricht."))
    return redirect("videostaff:dashboard")


@require_POST
@staff_view
def transfer(request, public_id):
    knock = _staffed_knock(request.user, public_id)
    targets = list(VideoOffice.objects.filter(is_active=True).order_by("name"))
    form = TransferForm(request.POST, knock=knock, targets=targets)
    if not form.is_valid():
        return _dashboard_page(request, bound=(knock.pk, form), status=400)
    office = form.cleaned_data["office"]
    try:
        services.knock_transfer(knock, caseworker=request.user, office=office)
    except services.NoLongerWaiting:
        return _no_longer_waiting(request)
    messages.success(
        request,
        _("Die Person wartet jetzt im Amt „%(office)s“ – mit ihrer bisherigen Wartezeit.")
        % {"office": office.name},
    )
    return redirect("videostaff:dashboard")


# -- the call ---------------------------------------------------------------------------


@staff_view
def call(request, public_id):
    call = _own_call(request.user, public_id)
    if not call.is_open:
        return redirect("videostaff:outcome", call.public_id)
    return render(request, "videooffice/staff/call.html", _call_context(request, call))


def _call_context(request, call: Call, *, panels=None, videoident_form=None) -> dict:
    """The call page: what ``videooffice/_call.html`` needs, and the side panels."""
    return {
        **_call_panel_context(call, **(panels or {})),
        "role": CallRole.CASEWORKER.value,
        "call_config": call_page_config(
            call, CallRole.CASEWORKER, next_url=reverse("videostaff:outcome", args=[call.public_id])
        ),
        **_videoident_panel(call, form=videoident_form),
    }


def _call_panel_context(call: Call, *, link_form=None, create_form=None, case_error="") -> dict:
    """The case panel: the citizen's cases, linking, creating, the documents of the call."""
    documents = list(call.documents.select_related("filed_as"))
    return {
        "call": call,
        "knock": call.knock,
        "citizen": call.knock.user,
        "citizen_cases": list(casefile.citizen_cases(call)),
        "link_form": link_form or CaseLinkForm(),
        "create_form": create_form or CaseCreateForm(office=call.office),
        "case_error": case_error,
        "documents": documents,
        "unfiled": any(document.filed_as_id is None for document in documents),
    }


def _videoident_panel(call: Call, *, form=None, error="") -> dict:
    enabled = municipality_get().videoident_enabled
    return {
        "videoident_enabled": enabled,
        "videoident_offered": enabled and call.knock.user_id is not None,
        "videoident_form": form or VideoidentForm(),
        "videoident_error": error,
    }


@staff_view
def call_documents(request, public_id):
    """The documents panel alone (re-fetched when the call socket reports a document)."""
    call = _own_call(request.user, public_id)
    return render(request, "videooffice/staff/_documents.html", _call_panel_context(call))


CASE_ACTIONS = ("verknuepfen", "anlegen", "ablegen")


@require_POST
@staff_view
def case(request, public_id):
    """The case panel's three buttons: link a case, create one, file the documents."""
    call = _own_call(request.user, public_id)
    action = request.POST.get("action")
    if action not in CASE_ACTIONS:
        raise Http404
    panels, done = {}, ""
    try:
        if action == "verknuepfen":
            form = CaseLinkForm(request.POST)
            case = _case_of(request.user, form)
            if case is None:
                panels["link_form"] = form
            else:
                casefile.call_case_link(call, caseworker=request.user, case=case)
                done = _("Das Gespräch ist mit Vorgang %(reference)s verknüpft.") % {
                    "reference": case.reference
                }
        elif action == "anlegen":
            form = CaseCreateForm(request.POST, office=call.office)
            if not form.is_valid():
                panels["create_form"] = form
            else:
                case = casefile.call_case_create(
                    call, caseworker=request.user, service=form.cleaned_data["service"]
                )
                done = _("Vorgang %(reference)s ist angelegt und mit dem Gespräch verknüpft.") % {
                    "reference": case.reference
                }
        else:
            filed = casefile.call_documents_file(call, caseworker=request.user)
            done = ngettext(
                "%(count)d Unterlage in den Vorgang übernommen.",
                "%(count)d Unterlagen in den Vorgang übernommen.",
                len(filed),
            ) % {"count": len(filed)}
    except casefile.CaseFileRefused as refusal:
        panels["case_error"] = str(refusal.message)
    call.refresh_from_db()
    return _case_answer(request, call, done=done, panels=panels)


def _case_of(user, form: CaseLinkForm):
    """The case named in the form, among the cases the caseworker may work on."""
    if not form.is_valid():
        return None
    case = cases_for_staff(user).filter(reference=form.cleaned_data["reference"]).first()
    if case is None:
        form.add_error(
            "reference", _("Einen Vorgang mit diesem Aktenzeichen gibt es in Ihren Ämtern nicht.")
        )
    return case


def _case_answer(request, call: Call, *, done: str, panels: dict):
    """htmx: the panel alone (the call goes on); else back to the page the form was on."""
    failed = bool(panels)
    if request.htmx:
        context = {**_call_panel_context(call, **panels), "done": done}
        # 200 even with errors: htmx swaps only those in.
        return render(request, "videooffice/staff/_case_panel.html", context)
    if failed and call.is_open:
        context = _call_context(request, call, panels=panels)
        return render(request, "videooffice/staff/call.html", context, status=400)
    if failed:
        return _outcome_page(request, call, panels=panels, status=400)
    messages.success(request, done)
    return redirect("videostaff:call" if call.is_open else "videostaff:outcome", call.public_id)


@require_POST
@staff_view
def videoident(request, public_id):
    call = _own_call(request.user, public_id)
    form = VideoidentForm(request.POST)
    error, done = "", ""
    if form.is_valid():
        try:
            identification.videoident(
                call,
                caseworker=request.user,
                document_type=form.cleaned_data["document_type"],
                checks=form.checks(),
            )
        except identification.VideoidentRefused as refusal:
            error = str(refusal.message)
        else:
            done = _("Identität festgestellt: Vertrauensniveau substanziell.")
            form = VideoidentForm()
    failed = bool(error) or form.is_bound
    if request.htmx:  # the panel alone, 200 even with errors (htmx swaps only those in)
        context = {
            "call": call,
            "citizen": call.knock.user,
            **_videoident_panel(call, form=form, error=error),
            "done": done,
        }
        return render(request, "videooffice/staff/_videoident_panel.html", context)
    if failed:
        context = _call_context(request, call, videoident_form=form)
        context["videoident_error"] = error
        return render(request, "videooffice/staff/call.html", context, status=400)
    messages.success(request, done)
    return redirect("videostaff:call", call.public_id)


# -- after the call ---------------------------------------------------------------------


@staff_view
def outcome(request, public_id):
    """The outcome note (and a case, if none is linked yet). Sending it ends a call that
    is somehow still open; the note goes into the linked case as an internal note."""
    call = _own_call(request.user, public_id)
    if request.method != "POST":
        return _outcome_page(request, call, form=OutcomeForm(initial={"note": call.outcome_note}))
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _outcome_page(request, call, form=form, status=400)
    if call.is_open:
        services.call_end(call, reason=CallEnd.HANGUP_CASEWORKER)
    services.call_outcome(call, caseworker=request.user, note=form.cleaned_data["note"])
    call.refresh_from_db()
    casefile.call_outcome_file(call, caseworker=request.user)
    if call.case is not None:
        messages.success(
            request,
            _("Das Ergebnis ist gespeichert und steht als interne Notiz in Vorgang %(reference)s.")
            % {"reference": call.case.reference},
        )
    else:
        messages.success(request, _("Das Ergebnis des Gesprächs ist gespeichert."))
    return redirect("videostaff:dashboard")


def _outcome_page(request, call: Call, *, form=None, panels=None, status=200):
    context = {
        **_call_panel_context(call, **(panels or {})),
        "form": form or OutcomeForm(initial={"note": call.outcome_note}),
        "duration_minutes": _duration_minutes(call),
    }
    return render(request, "videooffice/staff/outcome.html", context, status=status)


def _duration_minutes(call: Call) -> int:
    end = call.ended_at or timezone.now()
    return max(round((end - call.started_at).total_seconds() / 60), 0)


# -- documents --------------------------------------------------------------------------


@staff_view
def document(request, pk: int):
    """A file sent in a call: for the call's caseworker, and for anyone who works in the
    linked case's department. Always a download, never shown inline."""
    document = get_object_or_404(CallDocument.objects.select_related("call__case"), pk=pk)
    call = document.call
    user = request.user
    if call.caseworker_id != user.pk and not (call.case and can_work_on(user, call.case)):
        raise PermissionDenied
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        logger.error("video: document %s of call %s missing on disk", document.pk, call.public_id)
        raise Http404 from None
    audit(user, "video.document.download", call.case, detail=f"#{document.pk} {document.name}")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
