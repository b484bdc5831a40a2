"""SEPA direct debits: the citizen's mandate page and the cash office's screens.

Interfaces only: they parse input, call one function of ``direct_debit.py`` and render.
The citizen reaches a Kassenzeichen only through ``reference_get_for_citizen`` (someone
else's code is a 404); the cash office's pages are behind ``cash_office_required``.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import direct_debit
from .cash_office import cash_office_required
from .direct_debit import (
    CollectionNotReturnable,
    ConcurrentChange,
    CreditorNotConfigured,
    DirectDebitError,
    NothingDue,
    iban_masked,
)
from .direct_debit_forms import MandateForm, ReturnForm, RunForm
from .models import PaymentStatus

logger = logging.getLogger(__name__)


# -- the citizen's mandate -------------------------------------------------------------------


def _citizen_reference(request, code):
    reference = direct_debit.reference_get_for_citizen(code=code, user=request.user)
    if reference is None:
        raise Http404
    return reference


@never_cache
@login_required
def mandate_create(request, code):
    """Give, replace or revoke the SEPA mandate of one's own Kassenzeichen."""
    reference = _citizen_reference(request, code)
    try:
        creditor = direct_debit.creditor_get()
    except CreditorNotConfigured:
        logger.warning("direct debit offered but the city's creditor data are incomplete")
        return render(
            request, "payments/mandate.html", {"reference": reference, "unavailable": True}
        )
    active = direct_debit.mandate_active(reference)
    if request.method == "POST" and request.POST.get("aktion") == "widerrufen":
        if active is not None:
            direct_debit.mandate_revoke(active, by=request.user)
            messages.success(
                request,
                _("Ihr Lastschriftmandat %(mandate)s ist widerrufen. Wir ziehen nichts mehr ein.")
                % {"mandate": active.mandate_reference},
            )
        return redirect("payments:mandate_create", reference.code)
    form = MandateForm(
        request.POST if request.method == "POST" else None,
        initial={"debtor_name": request.user.get_full_name()},
        creditor_name=creditor.name,
    )
    if form.is_bound and form.is_valid():
        try:
            direct_debit.mandate_create(
                reference=reference,
                debtor_name=form.cleaned_data["debtor_name"],
                iban=form.account.iban,
                bic=form.account.bic,
                signed_on=timezone.localdate(),
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except ConcurrentChange as error:
            form.add_error(None, str(error))
        else:
            return redirect("payments:mandate_confirmation", reference.code)
    return render(
        request,
        "payments/mandate.html",
        {
            "reference": reference,
            "creditor": creditor,
            "active": active,
            "active_iban": iban_masked(active.iban) if active else "",
            "form": form,
        },
    )


@never_cache
@login_required
def mandate_confirmation(request, code):
    """What the citizen keeps: mandate reference, creditor id, the account (masked)."""
    reference = _citizen_reference(request, code)
    mandate = direct_debit.mandate_active(reference)
    try:
        creditor = direct_debit.creditor_get()
    except CreditorNotConfigured:
        mandate = None  # the mandate page says why
    if mandate is None:
        return redirect("payments:mandate_create", reference.code)
    return render(
        request,
        "payments/mandate_done.html",
        {
            "reference": reference,
            "mandate": mandate,
            "iban": iban_masked(mandate.iban),
            "creditor": creditor,
            "mandate_text": direct_debit.mandate_text(creditor_name=creditor.name),
        },
    )


# -- the cash office ---------------------------------------------------------------------------


@cash_office_required
def direct_debits(request):
    """Due collections and the form for a new file; pending collections; files; mandates."""
    form = RunForm(initial={"collection_date": direct_debit.earliest_collection_date()})
    return _direct_debits_page(request, form)


@cash_office_required
@require_POST
def run_create(request):
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            run = direct_debit.run_create(
                collection_date=form.cleaned_data["collection_date"], user=request.user
            )
        except (NothingDue, ConcurrentChange, CreditorNotConfigured) as error:
            messages.warning(request, str(error))
            return redirect("payments:cash_direct_debits")
        except DirectDebitError as error:
            form.add_error("collection_date", str(error))
        else:
            messages.success(
                request,
                _(
                    "Die Lastschrift-Datei %(message_id)s mit %(count)s Einzügen ist erstellt. "
                    "Bitte laden Sie sie herunter und reichen Sie sie bei der Bank ein."
                )
                % {"message_id": run.message_id, "count": run.collection_count},
            )
            return redirect("payments:cash_direct_debits")
    return _direct_debits_page(request, form)


def _direct_debits_page(request, form: RunForm):
    collection_date = (
        form.cleaned_data["collection_date"]
        if form.is_bound and not form.errors
        else direct_debit.earliest_collection_date()
    )
    due = direct_debit.collections_due(collection_date=collection_date)
    mandates = list(direct_debit.mandates_active())
    for mandate in mandates:
        mandate.iban_display = iban_masked(mandate.iban)
    pending = list(direct_debit.collections_pending())
    for payment in pending:
        payment.iban_display = iban_masked(payment.mandate.iban) if payment.mandate else ""
    return render(
        request,
        "payments/cash/direct_debits.html",
        {
            "cash_section": "direct_debits",
            "run_form": form,
            "collection_date": collection_date,
            "due": due,
            "due_total": sum(item.amount_cents for item in due),
            "pending": pending,
            "runs": direct_debit.runs_recent(),
            "mandates": mandates,
        },
        status=400 if form.errors else 200,
    )


@cash_office_required
def run_download(request, message_id):
    run = direct_debit.run_get(message_id=message_id)
    if run is None:
        raise Http404
    logger.info("pain.008 %s downloaded by %s", run.message_id, request.user.get_username())
    response = HttpResponse(bytes(run.xml), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename=pain008-{run.message_id}.xml"
    return response


@cash_office_required
def collection_return(request, payment_id):
    """Record a return debit (Rücklastschrift) of one pending collection."""
    payment = direct_debit.collection_get(payment_id=payment_id)
    if payment is None:
        raise Http404
    form = ReturnForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        code, note = form.cleaned_data["reason"], form.cleaned_data["note"]
        try:
            direct_debit.collection_returned(
                payment,
                reason=note if code == "other" else code,
                note="" if code == "other" else note,
                revoke_mandate=form.cleaned_data["revoke_mandate"],
                by=request.user,
            )
        except CollectionNotReturnable as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Die Rücklastschrift zu Kassenzeichen %(code)s ist erfasst.")
                % {"code": payment.reference.code_display if payment.reference else "–"},
            )
            return redirect("payments:cash_direct_debits")
    return render(
        request,
        "payments/cash/direct_debit_return.html",
        {
            "cash_section": "direct_debits",
            "payment": payment,
            "iban": iban_masked(payment.mandate.iban) if payment.mandate else "",
            "returnable": payment.status == PaymentStatus.PENDING,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@cash_office_required
def mandate_revoke(request, mandate_id):
    """Revoke a mandate for the citizen (a letter, a call): asks before it acts."""
    mandate = direct_debit.mandate_get(mandate_id=mandate_id)
    if mandate is None:
        raise Http404
    if request.method == "POST" and mandate.is_active:
        direct_debit.mandate_revoke(mandate, by=request.user)
        messages.success(
            request,
            _("Das Mandat %(mandate)s ist widerrufen.") % {"mandate": mandate.mandate_reference},
        )
        return redirect("payments:cash_direct_debits")
    return render(
        request,
        "payments/cash/direct_debit_revoke.html",
        {"cash_section": "direct_debits", "mandate": mandate, "iban": iban_masked(mandate.iban)},
    )
