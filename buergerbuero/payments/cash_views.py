"""The cash office's overview, payment search and refunds (``/kasse/``)."""

from __future__ import annotations

import contextlib
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from . import selectors
from .cash_office import cash_office_required
from .demo import demo_statement_xml
from .forms import RefundForm
from .models import (
    CREDIT_MATCHES_TO_CLEAR,
    BankCredit,
    CreditMatch,
    Payment,
    PaymentReference,
    PaymentStatus,
)
from .references import code_clean
from .services import payment_refund

PAYMENTS_PER_PAGE = 50


@cash_office_required
def overview(request):
    credits_to_clear = BankCredit.objects.filter(cleared_at__isnull=True).filter(
        Q(match__in=CREDIT_MATCHES_TO_CLEAR) | Q(match=CreditMatch.FUZZY)
    )
    context = {
        "cash_section": "overview",
        "credits_to_clear": credits_to_clear.count(),
        "overpaid": selectors.references_overpaid(),
        "pending": Payment.objects.filter(status=PaymentStatus.PENDING).count(),
        "open_references": PaymentReference.objects.exclude(
            payments__status=PaymentStatus.PAID
        ).count(),
    }
    return render(request, "payments/cash/overview.html", context)


@cash_office_required
def payments_list(request):
    """Payments, newest first; search by Kassenzeichen (any grouping, or its beginning),
    payment number or description; filter by status."""
    query = (request.GET.get("q") or "").strip()[:100]
    status = request.GET.get("status", "")
    payments = Payment.objects.select_related("reference").order_by("-created_at", "-pk")
    if query:
        code = code_clean(query)
        lookup = Q(description__icontains=query) | Q(
            reference__code__startswith=query.replace(" ", "")
        )
        if code:
            lookup |= Q(reference__code=code)
        with contextlib.suppress(ValueError):  # a payment number copied from a receipt
            lookup |= Q(uuid=UUID(query))
        payments = payments.filter(lookup)
    if status in PaymentStatus.values:
        payments = payments.filter(status=status)
    page = Paginator(payments, PAYMENTS_PER_PAGE).get_page(request.GET.get("seite"))
    context = {
        "cash_section": "payments",
        "page": page,
        "query": query,
        "status": status,
        "statuses": PaymentStatus.choices,
    }
    return render(request, "payments/cash/payments.html", context)


@cash_office_required
def payment_detail(request, payment_id):
    """One payment with its log; a paid one can be refunded with a reason the citizen sees."""
    payment = get_object_or_404(Payment.objects.select_related("reference"), uuid=payment_id)
    form = RefundForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if payment.status != PaymentStatus.PAID:
            form.add_error(None, _("Nur bezahlte Zahlungen können erstattet werden."))
            status = 409
        elif form.is_valid():
            payment_refund(payment, reason=form.cleaned_data["reason"], by=request.user)
            messages.success(
                request,
                _("Die Erstattung ist vermerkt. Die Bürgerin oder der Bürger wird benachrichtigt."),
            )
            return redirect("payments:cash_payment", payment_id=payment.uuid)
        else:
            status = 422
    context = {
        "cash_section": "payments",
        "payment": payment,
        "transitions": payment.transitions.select_related("actor"),
        "balance": selectors.balance_of(payment.reference) if payment.reference else None,
        "form": form,
    }
    return render(request, "payments/cash/payment.html", context, status=status)


@cash_office_required
def demo_statement(request):
    """A camt.053 file that pays what is open now (demo only: ``DEMO_MODE``)."""
    if not getattr(settings, "DEMO_MODE", False):
        raise Http404(_("Beispiel-Kontoauszüge gibt es nur in der Demo."))
    response = HttpResponse(demo_statement_xml(), content_type="application/xml")
    response["Content-Disposition"] = 'attachment; filename="demo-kontoauszug-camt053.xml"'
    return response
