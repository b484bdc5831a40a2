"""The development outbox: what the product sent, or is about to send, readable in the
browser without a mail server (the console backend prints only to the terminal)."""

from functools import wraps

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache

from . import selectors


def _outbox_viewer_required(view):
    # 404, not 403: outside development the page does not exist for the public.
    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not selectors.outbox_visible_to(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@_outbox_viewer_required
def outbox(request):
    return render(
        request,
        "notifications/outbox.html",
        {
            "emails": selectors.outbox_email_list(),
            "page_size": selectors.OUTBOX_PAGE_SIZE,
            "show_sms": selectors.outbox_sms_visible_to(request.user),
            "sms_list": selectors.outbox_sms_list(),
        },
    )


@_outbox_viewer_required
def outbox_detail(request, email_id: int):
    email = selectors.outbox_email_get(email_id=email_id)
    if email is None:
        raise Http404
    return render(request, "notifications/outbox_detail.html", {"email": email})


@_outbox_viewer_required
def outbox_attachment(request, email_id: int, attachment_id: int):
    attachment = selectors.outbox_attachment_get(email_id=email_id, attachment_id=attachment_id)
    if attachment is None:
        raise Http404
    # Always a download, never shown inline: an attachment is not trusted page content.
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=attachment.filename
    )
    return response
