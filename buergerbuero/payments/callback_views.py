"""Server-to-server notifications of payment providers: ``POST
/bezahlen/rueckmeldung/<provider_key>/``.

The provider verifies and records (``handle_callback``); this view only bounds the body
and turns the ``CallbackResult`` into the answer. Providers retry on 5xx and on no
answer, so everything that retrying cannot fix is answered 2xx or 4xx.
"""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .providers.base import CallbackOutcome, CallbackResult
from .providers.registry import UnknownPaymentProvider, registry

#: A notification is a few hundred bytes; anything far larger is not one.
MAX_BODY_BYTES = 64 * 1024


@csrf_exempt  # a server, not a browser, calls; the provider's signature authenticates it
@require_POST
def provider_callback(request, provider_key):
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return _answer(413, "too_large")
    try:
        provider = registry.get(provider_key)
    except UnknownPaymentProvider:
        return _answer(404, "unknown_provider")
    if len(request.body) > MAX_BODY_BYTES:  # a body without Content-Length
        return _answer(413, "too_large")
    try:
        result = provider.handle_callback(request)
    except NotImplementedError:
        return _answer(404, "no_callbacks")
    if not isinstance(result, CallbackResult):  # providers written before CallbackResult
        result = CallbackResult(CallbackOutcome.HANDLED, result)
    if result.outcome is CallbackOutcome.HANDLED:
        return HttpResponse(status=204)
    return _answer(result.outcome.http_status, result.reason)


def _answer(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"reason": reason}, status=status)
