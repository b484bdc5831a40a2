"""The chat page: a question and the chatbot's reply, rendered on the server.

Without JavaScript the form posts to the page itself and the page shows the question and
its reply. With JavaScript ``chat.js`` sends the question to ``POST /api/v1/chat`` and
appends the reply to the conversation instead; the widget on the other pages does the
same. Nothing of the conversation is stored: the reply is rendered and forgotten.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache

from .api import MESSAGES, too_many_messages
from .engine import MessageRejected, reply
from .reply_display import reply_display


@never_cache
def page(request):
    context = {"question": "", "message": "", "error": "", "shown": None}
    status = 200
    if request.method == "POST":
        message = request.POST.get("message", "")
        refusal = MESSAGES.hit(request, limit=settings.CHAT_MESSAGES_PER_ADDRESS_MINUTE)
        if refusal is not None:
            context.update(message=message, error=too_many_messages(refusal.retry_after))
            response = render(request, "chat/page.html", context, status=429)
            response["Retry-After"] = str(refusal.retry_after)
            return response
        try:
            answer = reply(message, page_language=get_language(), user=request.user)
        except MessageRejected as rejected:
            # What was typed stays in the field, with the reason above it.
            context.update(message=message, error=str(rejected))
            status = 400
        else:
            context.update(question=message.strip(), shown=reply_display(answer))
    return render(request, "chat/page.html", context, status=status)
