import logging
from uuid import UUID

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .access import reference_unlock, reference_visible
from .conf import is_test_provider_enabled
from .documents import receipt_pdf
from .forms import ReferenceLookupForm
from .girocode import bank_transfer_for, girocode_svg
from .girocode import girocode_png as girocode_png_bytes
from .models import PaymentStatus, PaymentTransition
from .providers.base import PaymentProviderUnavailable
from .providers.test import OUTCOMES, BuiltinTestProvider, payment_settle_at_test_provider
from .return_urls import RETURN_PARAMETER, return_url_is_ours

logger = logging.getLogger(__name__)


@never_cache
@require_http_methods(["GET", "POST"])
def builtin_test_provider_page(request, payment_id):
    """The built-in test provider's hosted page (see ``providers/test.py``)."""
    if not is_test_provider_enabled():
        raise Http404(_("Der Testanbieter ist abgeschaltet."))
    payment = selectors.payment_get(payment_id=payment_id)
    # Only payments started at the test provider: this page must never settle a real one.
    if payment is None or payment.provider != BuiltinTestProvider.key:
        raise Http404(_("Diese Zahlung gibt es nicht."))
    return_url = selectors.payment_return_url(payment)
    if not return_url_is_ours(return_url):  # checked at the start; ALLOWED_HOSTS may change
        return_url = "/"
    invalid_choice = False
    if request.method == "POST":
        outcome = request.POST.get("aktion", "")
        if outcome in OUTCOMES:
            payment_settle_at_test_provider(payment=payment, outcome=outcome)
            return redirect(return_url)
        invalid_choice = True
    return render(
        request,
        "payments/test_provider.html",
        {"payment": payment, "return_url": return_url, "invalid_choice": invalid_choice},
        status=400 if invalid_choice else 200,
    )


# -- paying a Kassenzeichen ----------------------------------------------------------------

#: Failed look-ups per address and quarter of an hour before the form refuses.
LOOKUP_FAILURES_ALLOWED = 10
LOOKUP_WINDOW_SECONDS = 15 * 60


def _reference_or_404(request, code: str):
    reference = selectors.reference_get(code=code)
    if reference is None or not reference_visible(request, reference):
        # One answer for "does not exist" and "not yours": nothing to learn by guessing.
        raise Http404(_("Dieses Kassenzeichen gibt es nicht oder Sie haben keinen Zugang."))
    return reference


def _lookup_key(request) -> str:
    return f"payments:lookup-failures:{request.META.get('REMOTE_ADDR', '')}"


@never_cache
@require_http_methods(["GET", "POST"])
def reference_lookup(request):
    """``/bezahlen/``: pay a warning fine or fee from a letter (service verwarngeld-bezahlen)."""
    form = ReferenceLookupForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if cache.get(_lookup_key(request), 0) >= LOOKUP_FAILURES_ALLOWED:
            form.is_valid()  # keep what was typed, with field errors if any
            form.add_error(
                None,
                _(
                    "Zu viele erfolglose Versuche. Bitte warten Sie 15 Minuten oder wenden "
                    "Sie sich an die Stelle, die Ihnen das Schreiben geschickt hat."
                ),
            )
            status = 429
        elif form.is_valid():
            reference = selectors.reference_get(code=form.cleaned_data["code"])
            if reference is not None and reference.amount_cents == form.cleaned_data["amount"]:
                reference_unlock(request, reference)
                return redirect("payments:reference", code=reference.code)
            cache.add(_lookup_key(request), 0, timeout=LOOKUP_WINDOW_SECONDS)
            cache.incr(_lookup_key(request))
            logger.info("reference look-up without match from %s", request.META.get("REMOTE_ADDR"))
            form.add_error(
                None,
                _(
                    "Zu diesem Kassenzeichen und Betrag finden wir keine Forderung. Bitte "
                    "prüfen Sie beide Angaben im Schreiben; der Betrag muss genau stimmen."
                ),
            )
            status = 404
        else:
            status = 422
    return render(request, "payments/lookup.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def reference_page(request, code: str):
    """What a Kassenzeichen is for, what is open, and every way to pay it."""
    reference = _reference_or_404(request, code)
    provider_down = False
    returned = request.GET.get(RETURN_PARAMETER)
    if returned:
        payment = selectors.payment_get(payment_id=returned) if _is_uuid(returned) else None
        if payment is not None and payment.reference_id == reference.pk:
            _tell_outcome(request, services.refresh_status(payment))
        return redirect("payments:reference", code=reference.code)
    balance = selectors.balance_of(reference)
    if request.method == "POST":
        if balance.open_cents <= 0:
            messages.info(request, _("Dieser Betrag ist bereits bezahlt."))
            return redirect("payments:reference", code=reference.code)
        try:
            # The amount is what our records say is open, never a number from the browser.
            _payment, url = services.start_payment(
                purpose=reference.purpose,
                amount_cents=balance.open_cents,
                description=reference.description,
                return_url=reverse("payments:reference", kwargs={"code": reference.code}),
                reference=reference,
            )
        except PaymentProviderUnavailable:
            logger.warning("provider unavailable for reference %s", reference.code)
            provider_down = True
        else:
            return HttpResponseRedirect(url)
    transfer = bank_transfer_for(reference, amount_cents=balance.open_cents)
    context = {
        "reference": reference,
        "balance": balance,
        "transfer": transfer,
        "girocode": girocode_svg(transfer, title=_girocode_title(reference)) if transfer else "",
        "payments": reference.payments.order_by("created_at", "pk"),
        "refunds": _refunds(reference),
        "provider_down": provider_down,
        "is_owner": request.user.is_authenticated and reference.user_id == request.user.pk,
    }
    return render(request, "payments/reference.html", context, status=503 if provider_down else 200)


def _girocode_title(reference) -> str:
    return _("GiroCode zum Überweisen von Kassenzeichen %(code)s") % {
        "code": reference.code_display
    }


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _tell_outcome(request, payment) -> None:
    if payment.status == PaymentStatus.PAID:
        messages.success(request, _("Vielen Dank, die Zahlung ist eingegangen."))
    elif payment.is_live:
        messages.info(
            request,
            _(
                "Die Zahlung ist noch nicht abgeschlossen. Sobald der Zahlungsdienst sie "
                "bestätigt, sehen Sie es hier."
            ),
        )
    elif payment.status == PaymentStatus.FAILED:
        messages.error(
            request,
            _(
                "Die Zahlung ist fehlgeschlagen. Es wurde nichts abgebucht. Bitte versuchen "
                "Sie es erneut oder überweisen Sie."
            ),
        )
    elif payment.status == PaymentStatus.CANCELLED:
        messages.warning(request, _("Die Zahlung wurde abgebrochen. Es wurde nichts abgebucht."))


def _refunds(reference) -> list[dict]:
    refunds = PaymentTransition.objects.filter(
        payment__reference=reference, to_status=PaymentStatus.REFUNDED
    ).select_related("payment")
    return [
        {"amount_cents": t.payment.amount_cents, "at": t.created_at, "reason": t.detail}
        for t in refunds
    ]


@never_cache
def girocode_png(request, code: str):
    """The GiroCode as a picture: banking apps read it from the photo gallery too."""
    reference = _reference_or_404(request, code)
    balance = selectors.balance_of(reference)
    transfer = bank_transfer_for(reference, amount_cents=balance.open_cents)
    if transfer is None:
        raise Http404(_("Für dieses Kassenzeichen ist nichts zu überweisen."))
    response = HttpResponse(girocode_png_bytes(transfer), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="GiroCode-{reference.code}.png"'
    return response


@never_cache
def receipt(request, payment_id):
    """The receipt (Quittung) of a paid or refunded payment, as PDF."""
    payment = selectors.payment_get(payment_id=payment_id)
    if payment is None or payment.reference is None:
        raise Http404(_("Diese Zahlung gibt es nicht."))
    _reference_or_404(request, payment.reference.code)
    if payment.status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        raise Http404(_("Für diese Zahlung gibt es noch keine Quittung."))
    pdf = receipt_pdf(payment)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"Quittung-{payment.reference.code}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
