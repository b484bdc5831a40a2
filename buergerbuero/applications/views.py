"""The citizen's side: apply step by step, check, pay, submit; "Mein Bürgerbüro"."""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from buergerbuero.catalog.models import Service
from buergerbuero.payments import services as payments
from buergerbuero.payments.access import reference_unlock
from buergerbuero.payments.models import PaymentStatus
from buergerbuero.payments.providers.base import PaymentProviderUnavailable
from buergerbuero.payments.references import reference_for
from buergerbuero.payments.selectors import payment_for, references_open_for

from . import casework, selectors, services
from .charges import money_owed
from .identification import identity_gap, session_identity_fields
from .models import ApplicationStatus, Case, CaseStatus, Document, DocumentKind, Notice
from .presentation import fee_summary, summary_sections
from .tasks import citizen_email, resume_link_send

logger = logging.getLogger("buergerbuero.applications")


# -- starting ---------------------------------------------------------------------------


def start(request, slug: str):
    service = get_object_or_404(Service.objects.select_related("department"), slug=slug)
    definition = selectors.active_definition(service)
    if definition is None:
        raise Http404
    spec = definition.spec
    drafts = (
        selectors.drafts_of(request.user).filter(service=service)
        if request.user.is_authenticated
        else []
    )
    if request.method == "POST":
        # Anyone may begin; the account and trust level the service needs are asked for
        # before submitting (identification.identity_gap), and the draft waits meanwhile.
        application = services.application_start(
            definition=definition, user=request.user, language=get_language() or "de"
        )
        selectors.session_grant(request, application)
        first = spec.visible_steps(application.answers)[0]
        return redirect("applications:step", application.public_id, first.key)
    return render(
        request,
        "applications/start.html",
        {
            "service": service,
            "spec": spec,
            "drafts": drafts,
            "steps": spec.steps,
            "has_fee": spec.fee is not None,
            "identity_gap": identity_gap(
                request, service, anonymous_allowed=spec.anonymous, back_to=request.path
            ),
        },
    )


# -- the steps --------------------------------------------------------------------------


def _step_list(application, current: str) -> tuple[list[dict], int]:
    spec = application.definition.spec
    keys = [s for s in spec.visible_steps(application.answers)]
    entries = []
    for step in keys:
        done = step.key in application.completed_steps and step.key != current
        entries.append(
            {
                "title": str(step.title),
                "url": reverse("applications:step", args=[application.public_id, step.key]),
                "state": "current" if step.key == current else "done" if done else "todo",
            }
        )
    entries.append(
        {
            "title": str(_("Prüfen und absenden")),
            "url": reverse("applications:summary", args=[application.public_id]),
            "state": "current" if current == services.SUMMARY_STEP else "todo",
        }
    )
    number = next((i for i, e in enumerate(entries, 1) if e["state"] == "current"), 1)
    return entries, number


def _neighbours(application, step_key: str):
    steps = application.definition.spec.visible_steps(application.answers)
    keys = [s.key for s in steps]
    index = keys.index(step_key) if step_key in keys else 0
    previous = keys[index - 1] if index > 0 else None
    following = keys[index + 1] if index + 1 < len(keys) else None
    return previous, following


def _editable(request, public_id):
    application = selectors.application_for(request, public_id)
    if not application.is_draft:
        messages.info(request, _("Dieser Antrag ist bereits eingereicht."))
        return None, redirect("applications:submitted", application.public_id)
    return application, None


def step(request, public_id, step: str):
    application, elsewhere = _editable(request, public_id)
    if elsewhere:
        return elsewhere
    spec = application.definition.spec
    current = spec.step(step)
    if current is None or current not in spec.visible_steps(application.answers):
        raise Http404
    previous, following = _neighbours(application, step)
    status = 200
    saved_note = ""
    if request.method == "POST":
        action = request.POST.get("action", "next")
        if action == "autosave":  # form.js saves what was typed in the background
            services.step_save(
                application,
                current,
                post=request.POST,
                files=None,
                user=request.user,
            )
            return HttpResponse(status=204)
        post = request.POST.copy()
        if action.startswith(("add:", "remove:")):
            post = _group_action(current, post, action)
        result = services.step_save(
            application,
            current,
            post=post,
            files=request.FILES,
            user=request.user,
        )
        form = result.form
        # The answers just saved may show or hide later steps.
        previous, following = _neighbours(application, step)
        if action == "next":
            if result.valid:
                target = (
                    reverse("applications:step", args=[application.public_id, following])
                    if following
                    else reverse("applications:summary", args=[application.public_id])
                )
                if request.GET.get("zurueck") == "pruefen":
                    target = reverse("applications:summary", args=[application.public_id])
                return HttpResponseRedirect(target)
            status = 422  # the form again, with every message and everything typed
        elif action == "back":
            target = (
                reverse("applications:step", args=[application.public_id, previous])
                if previous
                else reverse("applications:start", args=[application.service.slug])
            )
            return HttpResponseRedirect(target)
        elif action == "later":
            return redirect("applications:save_for_later", application.public_id)
        else:
            form.errors.clear()  # adding or removing a group item is not a submission
            saved_note = _("Ihre Eingaben sind gespeichert.")
            if result.uploaded or form.file_errors:
                saved_note = ""
    else:
        form = services.step_form(application, current, user=request.user)
        form._errors = forms.utils.ErrorDict()  # shown as saved; messages come on "Weiter"
    steps, number = _step_list(application, step)
    return render(
        request,
        "applications/step.html",
        {
            "application": application,
            "service": application.service,
            "spec": spec,
            "step": current,
            "form": form,
            "items": form.items(),
            "error_links": form.error_links() if form.errors or form.file_errors else [],
            "steps": steps,
            "current_number": number,
            "previous": previous,
            "saved_note": saved_note,
            "fee": fee_summary(application),
            "anonymous": not request.user.is_authenticated,
        },
        status=status,
    )


def _group_action(step, post, action: str):
    """'add:<group>' adds an empty item; 'remove:<group>:<index>' removes one, shifting
    the following items up — all on the raw data, nothing typed is lost."""
    parts = action.split(":")
    key = parts[1]
    spec = next((f for f in step.fields if f.key == key and f.type == "group"), None)
    if spec is None:
        return post
    try:
        count = int(post.get(f"{key}__count", spec.min_items))
    except ValueError:
        count = spec.min_items
    if parts[0] == "add":
        post[f"{key}__count"] = str(min(count + 1, spec.max_items))
        return post
    try:
        removed = int(parts[2])
    except (IndexError, ValueError):
        return post
    if count <= spec.min_items or not 0 <= removed < count:
        return post
    for index in range(removed, count - 1):
        for sub in spec.fields:
            for suffix in ("", "_0", "_1", "_2"):
                source = f"{key}__{index + 1}__{sub.key}{suffix}"
                target = f"{key}__{index}__{sub.key}{suffix}"
                if source in post:
                    post.setlist(target, post.getlist(source))
                else:
                    post.pop(target, None)
    for sub in spec.fields:
        for suffix in ("", "_0", "_1", "_2"):
            post.pop(f"{key}__{count - 1}__{sub.key}{suffix}", None)
    post[f"{key}__count"] = str(count - 1)
    return post


# -- check, pay, submit -----------------------------------------------------------------


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Ich versichere, dass meine Angaben vollständig und richtig sind."),
        error_messages={"required": _("Bitte bestätigen Sie Ihre Angaben.")},
    )


def summary(request, public_id):
    application, elsewhere = _editable(request, public_id)
    if elsewhere:
        return elsewhere
    incomplete = services.incomplete_steps(application, user=application.user)
    gap = identity_gap(
        request,
        application.service,
        anonymous_allowed=application.definition.spec.anonymous,
        back_to=request.path,
    )
    fee = fee_summary(application)
    payment = payment_for(application.payment_purpose) if fee else None
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    status = 200
    provider_down = False
    if request.method == "POST":
        if incomplete or gap or not form.is_valid():
            status = 403 if gap and not incomplete else 422
        elif request.POST.get("zahlweg") == "ueberweisung" and fee:
            # Submitted before the money is in; an automatic service waits for the bank
            # statement before it issues its document (tasks.decide_when_paid).
            _identity_keep(request, application)
            return _submit_for_transfer(request, application, fee)
        else:
            _identity_keep(request, application)
            try:
                return _pay_or_submit(request, application, fee)
            except PaymentProviderUnavailable:
                # Nothing is lost: the draft stays, the citizen may retry or transfer.
                logger.warning("payment provider unavailable for %s", application.public_id)
                provider_down = True
                status = 503
    steps, number = _step_list(application, services.SUMMARY_STEP)
    return render(
        request,
        "applications/summary.html",
        {
            "application": application,
            "service": application.service,
            "sections": summary_sections(application),
            "incomplete": incomplete,
            "fee": fee,
            "payment": payment,
            "form": form,
            "steps": steps,
            "current_number": number,
            "provider_down": provider_down,
            "transfer_allowed": bool(fee),
            "identity_gap": gap,
        },
        status=status,
    )


def _identity_keep(request, application) -> None:
    services.application_identity_keep(application, **session_identity_fields(request))


def _pay_or_submit(request, application, fee):
    if fee and fee["total_cents"] > 0:
        # The amount is the server's own computation from the saved answers, never a
        # number from the browser.
        _payment, redirect_url = payments.start_payment(
            purpose=application.payment_purpose,
            amount_cents=fee["total_cents"],
            description=f"{application.service.name}",
            return_url=reverse("applications:payment_return", args=[application.public_id]),
            user=application.user,
        )
        application.status = ApplicationStatus.AWAITING_PAYMENT
        application.save(update_fields=["status", "updated_at"])
        return HttpResponseRedirect(redirect_url)
    return _submit(request, application)


def _submit_for_transfer(request, application, fee):
    """Submit now and pay the fee by bank transfer: the case shows it as open until the
    bank statement brings the money, the confirmation page shows the GiroCode."""
    if fee and fee["total_cents"] > 0 and not _fee_paid(application):
        reference = reference_for(
            purpose=application.payment_purpose,
            amount_cents=fee["total_cents"],
            description=f"{application.service.name}",
            user=application.user,
        )
        reference_unlock(request, reference)
    return _submit(request, application)


def _fee_paid(application) -> bool:
    payment = payment_for(application.payment_purpose)
    return payment is not None and payment.status == PaymentStatus.PAID


def _submit(request, application):
    try:
        case = services.application_submit(application.pk)
    except services.NotReady:  # changed in another tab since the summary was shown
        messages.error(
            request, _("Es fehlen noch Angaben. Bitte prüfen Sie die markierten Schritte.")
        )
        return redirect("applications:summary", application.public_id)
    return redirect("applications:submitted", case.application.public_id)


def payment_return(request, public_id):
    application = selectors.application_for(request, public_id)
    payment = payment_for(application.payment_purpose)
    if payment is not None:
        payment = payments.refresh_status(payment)
    if payment is not None and payment.status == PaymentStatus.PAID:
        return _submit(request, application)
    if application.status == ApplicationStatus.AWAITING_PAYMENT:
        application.status = ApplicationStatus.DRAFT
        application.save(update_fields=["status", "updated_at"])
    if payment is not None and payment.is_live:
        messages.info(
            request,
            _(
                "Die Zahlung ist noch nicht abgeschlossen. Ihr Antrag ist als Entwurf "
                "gespeichert; Sie können die Zahlung hier fortsetzen."
            ),
        )
    elif payment is not None and payment.status == PaymentStatus.FAILED:
        messages.error(
            request,
            _(
                "Die Zahlung ist fehlgeschlagen. Es wurde nichts abgebucht. Ihr Antrag ist als "
                "Entwurf gespeichert; Sie können es erneut versuchen."
            ),
        )
    else:
        messages.warning(
            request,
            _(
                "Die Zahlung wurde abgebrochen. Ihr Antrag ist als Entwurf gespeichert; Sie "
                "können jederzeit erneut bezahlen."
            ),
        )
    return redirect("applications:summary", application.public_id)


def submitted(request, public_id):
    application = selectors.application_for(request, public_id)
    case = Case.objects.filter(application=application).select_related("service").first()
    if case is None:
        return redirect("applications:summary", application.public_id)
    notices = list(Notice.objects.filter(case=case).select_related("document"))
    receipt = application.documents.filter(kind=DocumentKind.RECEIPT).first()
    automatic = application.definition.spec.automatic
    money = money_owed(application)
    fee_open = any(item.balance.open_cents for item in money)
    for item in money:  # an applicant without an account pays from here
        reference_unlock(request, item.reference)
    return render(
        request,
        "applications/submitted.html",
        {
            "application": application,
            "case": case,
            "money": money,
            "notices": notices,
            "receipt": receipt,
            "email": citizen_email(application),
            # The worker makes the receipt (and an automatic service's document) within
            # seconds: until then the page asks again (htmx), without a full reload.
            "pending": receipt is None or (automatic and not notices and not fee_open),
            "waiting_for_money": automatic and not notices and fee_open,
        },
    )


# -- drafts: later, resume, discard -----------------------------------------------------


class ResumeEmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Ihre E-Mail-Adresse"),
        help_text=_("Wir senden Ihnen einen Link, mit dem Sie den Antrag später fortsetzen."),
        error_messages={
            "invalid": _("Bitte geben Sie eine E-Mail-Adresse ein, z. B. name@beispiel.de.")
        },
    )


def save_for_later(request, public_id):
    application, elsewhere = _editable(request, public_id)
    if elsewhere:
        return elsewhere
    if request.user.is_authenticated:
        messages.success(
            request, _("Ihr Antrag ist gespeichert. Sie finden ihn in „Mein Bürgerbüro“.")
        )
        return redirect("applications:my_office")
    form = ResumeEmailForm(
        request.POST if request.method == "POST" else None,
        initial={"email": application.contact_email},
    )
    if request.method == "POST" and form.is_valid() and _too_many_links(application):
        form.add_error(
            "email",
            _("Sie haben gerade schon mehrere Links angefordert. Bitte warten Sie eine Stunde."),
        )
    elif request.method == "POST" and form.is_valid():
        with transaction.atomic():
            path = services.resume_link_create(application, email=form.cleaned_data["email"])
            transaction.on_commit(lambda: resume_link_send.enqueue(application.pk, path))
        return render(
            request,
            "applications/resume_sent.html",
            {"application": application, "email": form.cleaned_data["email"]},
        )
    return render(
        request,
        "applications/save_for_later.html",
        {"application": application, "form": form},
        status=422 if form.errors else 200,
    )


RESUME_LINKS_PER_HOUR = 3


def _too_many_links(application) -> bool:
    """Resume links are emails to an address anyone may type: a few per draft and hour."""
    from django.core.cache import cache

    key = f"resume-links:{application.public_id}"
    cache.add(key, 0, timeout=3600)
    return cache.incr(key) > RESUME_LINKS_PER_HOUR


def resume(request, public_id, secret: str):
    from .models import Application

    application = Application.objects.filter(public_id=public_id).first()
    if application is None or not services.resume_token_matches(application, secret):
        return render(request, "applications/resume_invalid.html", status=404)
    selectors.session_grant(request, application)
    if not application.is_draft:
        return redirect("applications:my_case", application.case.reference)
    steps = application.definition.spec.visible_steps(application.answers)
    open_steps = [s for s in steps if s.key not in application.completed_steps]
    if open_steps:
        return redirect("applications:step", application.public_id, open_steps[0].key)
    return redirect("applications:summary", application.public_id)


@require_POST
def discard(request, public_id):
    application, elsewhere = _editable(request, public_id)
    if elsewhere:
        return elsewhere
    payment = payment_for(application.payment_purpose)
    if payment is not None and payment.status in (PaymentStatus.PAID, PaymentStatus.PENDING):
        messages.error(
            request, _("Dieser Antrag ist bereits bezahlt und kann nicht verworfen werden.")
        )
        return redirect("applications:summary", application.public_id)
    service = application.service
    services.draft_discard(application)
    messages.success(request, _("Der Entwurf wurde gelöscht."))
    if request.user.is_authenticated:
        return redirect("applications:my_office")
    return redirect(service.get_absolute_url())


# -- Mein Bürgerbüro --------------------------------------------------------------------


@login_required
def my_office(request):
    return render(
        request,
        "applications/my_office.html",
        {
            "drafts": selectors.drafts_of(request.user),
            "cases": selectors.cases_of(request.user),
            "open_amounts": references_open_for(request.user),
        },
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Ihre Nachricht an das Amt"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Bitte schreiben Sie eine Nachricht.")},
    )


class RequestUploadForm(forms.Form):
    files = forms.FileField(
        label=_("Unterlage hochladen"),
        help_text=_(
            "PDF oder Foto (JPEG, PNG), höchstens 10 MB je Datei. "
            "Sie können mehrere Dateien wählen."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": "application/pdf,image/jpeg,image/png,image/webp",
                "capture": "environment",
            }
        ),
        required=False,
    )

    def __init__(self, *args, request_id: int, **kwargs):
        super().__init__(*args, prefix=f"anforderung-{request_id}", **kwargs)
        self.fields["files"].widget.allow_multiple_selected = True


def my_case(request, reference: str):
    case = selectors.citizen_case(request, reference)
    open_requests = list(case.document_requests.filter(fulfilled_at=None))
    message_form = MessageForm()
    upload_forms = {r.pk: RequestUploadForm(request_id=r.pk) for r in open_requests}
    status = 200
    if request.method == "POST":
        if "nachricht" in request.POST:
            message_form = MessageForm(request.POST)
            if message_form.is_valid():
                casework.citizen_message(
                    case, user=request.user, body=message_form.cleaned_data["body"]
                )
                messages.success(request, _("Ihre Nachricht wurde gesendet."))
                return redirect("applications:my_case", case.reference)
            status = 422
        elif "anforderung" in request.POST:
            target = next(
                (r for r in open_requests if str(r.pk) == request.POST["anforderung"]), None
            )
            if target is None:
                raise Http404
            form = RequestUploadForm(request.POST, request.FILES, request_id=target.pk)
            upload_forms[target.pk] = form
            files = request.FILES.getlist(f"anforderung-{target.pk}-files")
            try:
                casework.citizen_fulfil_request(target, user=request.user, uploads=files)
            except ValidationError as error:
                for problem in error.messages:
                    form.add_error("files", problem)
                status = 422
            else:
                messages.success(
                    request, _("Vielen Dank. Ihre Unterlagen sind beim Amt eingegangen.")
                )
                return redirect("applications:my_case", case.reference)
    documents = case.application.documents.exclude(kind=DocumentKind.MESSAGE).select_related(
        "request"
    )
    return render(
        request,
        "applications/my_case.html",
        {
            "case": case,
            "application": case.application,
            "events": case.events.filter(public=True),
            "messages_list": case.messages.all(),
            "open_requests": [(r, upload_forms[r.pk]) for r in open_requests],
            "documents": documents,
            "message_form": message_form,
            "sections": summary_sections(case.application),
            "money": money_owed(case.application),
            "decided": case.status in (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED),
        },
        status=status,
    )


def my_document(request, pk: int):
    document = get_object_or_404(Document.objects.select_related("application"), pk=pk)
    if not selectors.may_open(request, document.application):
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- verifying a notice -----------------------------------------------------------------


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Prüfcode"),
        help_text=_("Er steht unten auf dem Bescheid, z. B. ABCD-EFGH-JKLM."),
        max_length=20,
        error_messages={"required": _("Bitte geben Sie den Prüfcode ein.")},
    )


def verify(request, code: str | None = None):
    if code is None and request.GET.get("code"):
        code = request.GET["code"]
    form = VerifyForm({"code": code} if code else None)
    notice = None
    if code:
        normalised = code.strip().upper().replace(" ", "")
        notice = (
            Notice.objects.filter(verification_code=normalised)
            .select_related("case__service", "case__department")
            .first()
        )
    return render(
        request,
        "applications/verify.html",
        {"form": form, "code": code, "notice": notice},
        status=404 if code and notice is None else 200,
    )
