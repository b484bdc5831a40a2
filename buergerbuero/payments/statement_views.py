"""Bank statements (camt.053) and the credits a clerk has to clear, under ``/kasse/``.

- ``/kasse/kontoauszuege/``: the imported statements with their counters, and the upload.
  A file is judged by its content (it must read as camt.053), never by its name; a refused
  file imports nothing and the page says why, with the line.
- ``/kasse/kontoauszuege/<pk>/``: one statement's credits.
- ``/kasse/eingaenge/``: the credits to clear and the fuzzy matches to confirm;
  ``/kasse/eingaenge/<pk>/`` one credit with its forms (assign to a Kassenzeichen, mark
  done, confirm or take back a fuzzy match).

Views parse the input, call one service of ``reconciliation.py`` and render.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from buergerbuero.core.uploads import TooLargeUpload, upload_limit_text

from . import reconciliation
from .camt import camt_max_bytes
from .cash_office import cash_office_required
from .models import BankCredit, BankStatement, CreditMatch
from .reconciliation import CREDIT_MATCHES_OPEN, ClearingRefused
from .references import code_clean

STATEMENTS_PER_PAGE = 25
CREDITS_PER_PAGE = 50
MATCH_PARAMETER = "zuordnung"

# KERN badge per match: (variant, icon)
MATCH_BADGES = {
    CreditMatch.EXACT: ("success", "success"),
    CreditMatch.CLERK: ("success", "check"),
    CreditMatch.FUZZY: ("warning", "visibility"),
    CreditMatch.PARTIAL: ("info", "info"),
    CreditMatch.OVERPAID: ("warning", "warning"),
    CreditMatch.UNMATCHED: ("danger", "danger"),
    CreditMatch.FOREIGN_CURRENCY: ("danger", "danger"),
}


# -- forms --------------------------------------------------------------------------------


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_lazy("Kontoauszug (camt.053)"),
        help_text=_lazy(
            "Die XML-Datei des Tagesauszugs, wie sie die Bank liefert (camt.053.001.02 "
            "oder .08). Eine Datei wird nur einmal eingelesen."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )


class CreditAssignForm(forms.Form):
    code = forms.CharField(
        label=_lazy("Kassenzeichen"),
        help_text=_lazy("12 Ziffern mit Prüfziffern, z. B. 5300 0000 0120."),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_lazy("Vermerk"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if code_clean(code) is None:
            raise forms.ValidationError(
                _(
                    "Das ist kein gültiges Kassenzeichen: Die Prüfziffern stimmen nicht. "
                    "Bitte prüfen Sie die Ziffern."
                ),
                code="check_digits",
            )
        return code


class CreditClearForm(forms.Form):
    note = forms.CharField(
        label=_lazy("Was ist geschehen?"),
        help_text=_lazy(
            "z. B. „am 17.03. zurücküberwiesen“ oder „an das Jugendamt weitergeleitet“"
        ),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CreditConfirmForm(forms.Form):
    note = forms.CharField(
        label=_lazy("Vermerk"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CreditUnassignForm(forms.Form):
    note = forms.CharField(
        label=_lazy("Warum ist die Zuordnung falsch?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# -- statements ---------------------------------------------------------------------------


@cash_office_required
def statements(request):
    if request.method == "POST":
        form = StatementUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            refusal = _upload_refusal(upload)
            if refusal is None:
                report = reconciliation.statement_import(
                    upload, filename=upload.name, user=request.user
                )
                if report.already_imported is not None:
                    messages.warning(request, report.lines()[0])
                    return redirect("payments:cash_statement", pk=report.already_imported.pk)
                if not report.refused:
                    first, *details = report.lines()
                    messages.success(request, first)
                    for line in details:
                        messages.info(request, line)
                    return redirect("payments:cash_statement", pk=report.statement.pk)
                refusal = report.lines()
            for line in refusal:
                form.add_error("file", line)
        return _statements_page(request, form, status=400)
    return _statements_page(request, StatementUploadForm())


def _upload_refusal(upload) -> list[str] | None:
    limit = camt_max_bytes()
    if isinstance(upload, TooLargeUpload) or upload.size > limit:
        return [
            _("Die Datei ist größer als %(limit)s und wird nicht eingelesen.")
            % {"limit": upload_limit_text(min(limit, getattr(upload, "limit", limit)))}
        ]
    return None


def _statements_page(request, form, *, status: int = 200):
    page = Paginator(
        BankStatement.objects.select_related("imported_by").order_by("-imported_at", "-pk"),
        STATEMENTS_PER_PAGE,
    ).get_page(request.GET.get("seite"))
    return render(
        request,
        "payments/cash/statements.html",
        {
            "cash_section": "statements",
            "form": form,
            "page": page,
            "statements": page,
            "demo_mode": getattr(settings, "DEMO_MODE", False),
        },
        status=status,
    )


@cash_office_required
def statement_detail(request, pk: int):
    statement = get_object_or_404(BankStatement.objects.select_related("imported_by"), pk=pk)
    match = request.GET.get(MATCH_PARAMETER, "")
    credits = statement.credits.select_related("reference").order_by("booking_date", "pk")
    counts = dict(statement.credits.order_by().values_list("match").annotate(n=Count("pk")))
    if match in CreditMatch.values:
        credits = credits.filter(match=match)
    else:
        match = ""
    page = Paginator(credits, CREDITS_PER_PAGE).get_page(request.GET.get("seite"))
    for credit in page:
        credit.badge = MATCH_BADGES[CreditMatch(credit.match)]
    return render(
        request,
        "payments/cash/statement_detail.html",
        {
            "cash_section": "statements",
            "statement": statement,
            "page": page,
            "credits": page.object_list,
            "match_filter": _match_filter(counts, current=match, kinds=CreditMatch.choices),
            "match_parameter": MATCH_PARAMETER,
            "narrowed": bool(match),
        },
    )


def _match_filter(counts: dict, *, current: str, kinds) -> list[dict]:
    total = sum(counts.values())
    items = [{"key": "", "label": _("alle"), "count": total, "current": not current}]
    for key, label in kinds:
        if counts.get(key) or key == current:
            items.append(
                {"key": key, "label": label, "count": counts.get(key, 0), "current": key == current}
            )
    return items


# -- credits to clear ---------------------------------------------------------------------


@cash_office_required
def credits_to_clear(request):
    match = request.GET.get(MATCH_PARAMETER, "")
    if match not in CREDIT_MATCHES_OPEN:
        match = ""
    counts = reconciliation.credits_to_clear_counts()
    page = Paginator(reconciliation.credits_to_clear(match=match), CREDITS_PER_PAGE).get_page(
        request.GET.get("seite")
    )
    for credit in page:
        credit.badge = MATCH_BADGES[CreditMatch(credit.match)]
    kinds = [(key, label) for key, label in CreditMatch.choices if key in CREDIT_MATCHES_OPEN]
    return render(
        request,
        "payments/cash/credits.html",
        {
            "cash_section": "credits",
            "page": page,
            "credits": page.object_list,
            "match_filter": _match_filter(counts, current=match, kinds=kinds),
            "match_parameter": MATCH_PARAMETER,
            "narrowed": bool(match),
            "total": sum(counts.values()),
        },
    )


@cash_office_required
def credit_detail(request, pk: int):
    credit = _credit(pk)
    return _credit_page(request, credit)


@require_POST
@cash_office_required
def credit_assign(request, pk: int):
    credit = _credit(pk)
    form = CreditAssignForm(request.POST, prefix="zuordnen")
    if not form.is_valid():
        return _credit_page(request, credit, bound={"assign": form}, status=400)
    try:
        result = reconciliation.credit_assign(
            credit_id=credit.pk,
            code=form.cleaned_data["code"],
            note=form.cleaned_data["note"],
            user=request.user,
        )
    except ClearingRefused as refusal:
        form.add_error(refusal.field or None, refusal.message)
        return _credit_page(request, _credit(pk), bound={"assign": form}, status=400)
    messages.success(request, result.message)
    return redirect("payments:cash_credits")


@require_POST
@cash_office_required
def credit_clear(request, pk: int):
    credit = _credit(pk)
    confirming = credit.match == CreditMatch.FUZZY
    form_class = CreditConfirmForm if confirming else CreditClearForm
    key = "confirm" if confirming else "done"
    form = form_class(request.POST, prefix="bestaetigen" if confirming else "erledigen")
    if not form.is_valid():
        return _credit_page(request, credit, bound={key: form}, status=400)
    try:
        result = reconciliation.credit_clear(
            credit_id=credit.pk, note=form.cleaned_data["note"], user=request.user
        )
    except ClearingRefused as refusal:
        form.add_error(refusal.field or None, refusal.message)
        return _credit_page(request, _credit(pk), bound={key: form}, status=400)
    messages.success(request, result.message)
    return redirect("payments:cash_credits")


@require_POST
@cash_office_required
def credit_unassign(request, pk: int):
    credit = _credit(pk)
    form = CreditUnassignForm(request.POST, prefix="zuruecknehmen")
    if not form.is_valid():
        return _credit_page(request, credit, bound={"unassign": form}, status=400)
    try:
        result = reconciliation.credit_unassign(
            credit_id=credit.pk, note=form.cleaned_data["note"], user=request.user
        )
    except ClearingRefused as refusal:
        form.add_error(refusal.field or None, refusal.message)
        return _credit_page(request, _credit(pk), bound={"unassign": form}, status=400)
    messages.success(request, result.message)
    return redirect(reverse("payments:cash_credit", args=[credit.pk]))


def _credit(pk: int) -> BankCredit:
    credit = reconciliation.credit_get(pk)
    if credit is None:
        raise Http404
    return credit


def _credit_page(request, credit: BankCredit, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    is_open = credit.cleared_at is None and credit.match in CREDIT_MATCHES_OPEN
    fuzzy = is_open and credit.match == CreditMatch.FUZZY
    # An overpayment already booked is refunded, not moved: only "done" is offered.
    assignable = (
        is_open
        and credit.currency == "EUR"
        and not (credit.match == CreditMatch.OVERPAID and credit.payment_id)
    )
    # Keys are no dict method names: the template's ``forms.clear`` would call dict.clear().
    forms_ = {}
    if assignable:
        forms_["assign"] = bound.get("assign") or CreditAssignForm(
            prefix="zuordnen", initial={"code": reconciliation.credit_code_suggestion(credit)}
        )
    if fuzzy:
        forms_["confirm"] = bound.get("confirm") or CreditConfirmForm(prefix="bestaetigen")
        forms_["unassign"] = bound.get("unassign") or CreditUnassignForm(prefix="zuruecknehmen")
    elif is_open:
        forms_["done"] = bound.get("done") or CreditClearForm(prefix="erledigen")
    balance = None
    if credit.reference is not None:
        open_cents, partial = reconciliation.reference_open_cents(credit.reference)
        balance = {
            "owed": credit.reference.amount_cents,
            "paid": credit.reference.amount_cents - open_cents,
            "partial": partial,
            "open": open_cents - partial,
        }
    return render(
        request,
        "payments/cash/credit_detail.html",
        {
            "cash_section": "credits",
            "credit": credit,
            "badge": MATCH_BADGES[CreditMatch(credit.match)],
            "is_open": is_open,
            "forms": forms_,
            "open_form": next(iter(bound), ""),
            "balance": balance,
        },
        status=status,
    )
