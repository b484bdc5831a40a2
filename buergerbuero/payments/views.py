from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import selectors
from .conf import is_test_provider_enabled
from .providers.test import OUTCOMES, BuiltinTestProvider, payment_settle_at_test_provider
from .return_urls import return_url_is_ours


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
