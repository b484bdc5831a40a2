"""``POST /api/v1/chat``: the chatbot for the widget, the chat page and other clients.

Request ``{"message": "...", "lang": "de"}``; answer ``{"answer": "...", "services":
[{"slug": "...", "score": 0.0, ...}], "confident": true, "actions": [...]}``, services best
first. The path and these fields are a contract (external checks use them); fields may be
added, none removed or renamed. Errors answer ``{"detail": "..."}`` in the requested
language (German unless ``lang`` is ``en``) with a 4xx status, never a 500.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Router, Schema

from buergerbuero.core.rate_limits import AddressLimit

from .engine import MessageRejected, reply

router = Router(tags=["Chatbot"])

MESSAGES = AddressLimit("chat:messages", window_seconds=60)
_MAX_BODY_BYTES = 64 * 1024


class ChatIn(Schema):
    message: str
    lang: str = "de"


class ServiceOut(Schema):
    slug: str
    score: float
    name: str
    url: str


class ActionOut(Schema):
    kind: str
    label: str
    url: str


class ChatOut(Schema):
    answer: str
    services: list[ServiceOut]
    confident: bool
    actions: list[ActionOut]
    lang: str
    note: str
    note_lang: str
    intent: str


class ErrorOut(Schema):
    detail: str


def _error(status: int, detail: str, **headers) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def too_many_messages(seconds: int) -> str:
    """The refusal over CHAT_MESSAGES_PER_ADDRESS_MINUTE (the API and the chat page)."""
    return _(
        "Sie haben sehr viele Nachrichten in kurzer Zeit geschickt. Bitte "
        "versuchen Sie es in %(seconds)s Sekunden noch einmal."
    ) % {"seconds": seconds}


def _page_language(raw) -> str:
    return raw if raw in ("de", "en") else "de"


@router.post(
    "/chat",
    response={200: ChatOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut},
    summary="Frage an den Chatbot",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ChatIn.json_schema()}},
        }
    },
)
def chat(request: HttpRequest):
    if _too_large(request):
        with translation.override(_page_language(request.GET.get("lang"))):
            return _error(413, _("Die Nachricht ist zu lang."))
    data = _body(request)
    lang = _page_language(data.get("lang") if isinstance(data, dict) else None)
    with translation.override(lang):
        if request.body and request.content_type != "application/json":
            # JSON only: a form or a text/plain post from another site is refused before
            # it is read (a browser must ask first before sending JSON across sites).
            return _error(415, _("Bitte senden Sie Ihre Frage als JSON (application/json)."))
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            return _error(400, _("Bitte senden Sie JSON mit Ihrer Frage im Feld „message“."))
        refusal = MESSAGES.hit(request, limit=settings.CHAT_MESSAGES_PER_ADDRESS_MINUTE)
        if refusal is not None:
            return _error(
                429, too_many_messages(refusal.retry_after), Retry_After=str(refusal.retry_after)
            )
        try:
            answer = reply(data["message"], page_language=lang, user=request.user)
        except MessageRejected as rejected:
            return _error(400, str(rejected))
    return {
        "answer": answer.answer,
        "services": [vars(hit) for hit in answer.services],
        "confident": answer.confident,
        "actions": [vars(action) for action in answer.actions],
        "lang": answer.lang,
        "note": answer.note,
        "note_lang": answer.note_lang,
        "intent": answer.intent,
    }


def _too_large(request: HttpRequest) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > _MAX_BODY_BYTES:
        return True
    try:
        return len(request.body) > _MAX_BODY_BYTES
    except RequestDataTooBig:
        return True


def _body(request: HttpRequest):
    try:
        return json.loads(request.body[:_MAX_BODY_BYTES] or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[…
        return None
