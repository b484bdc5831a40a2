"""Sending email and SMS: the one door every app uses (SMS: :func:`send_sms` below).

Call :func:`send_email` inside the service that makes the change the email reports. It
renders the templates now, in the recipient's language, stores the email in the outbox and
hands it to the background worker once the transaction commits::

    from buergerbuero.notifications.services import Attachment, send_email

    with transaction.atomic():
        application.submit()
        send_email(
            to=application.email,
            template="applications/email/submitted",
            context={"application": application},
            language=application.language,
            attachments=[Attachment("Eingangsbestaetigung.pdf", pdf_bytes, "application/pdf")],
            topic="application.submitted",
        )

A template is three files beside each other (the HTML one is optional)::

    applications/templates/applications/email/submitted_subject.txt   one line
    applications/templates/applications/email/submitted.txt           the plain text
    applications/templates/applications/email/submitted.html          optional HTML version

The text version extends ``notifications/email/base.txt`` (greeting, signature and the
city's footer) and fills ``{% block body %}``; the HTML version extends
``notifications/email/base.html`` the same way. Both get ``municipality`` in their context.
Text templates are rendered without HTML escaping: ``{{ name }}`` stays ``Müller & Söhne``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation

from buergerbuero.core.selectors import municipality_get

from .delivery import SENDING_STALE_AFTER, outbox_requeue
from .models import EmailAttachment, OutgoingEmail, OutgoingSms
from .phone import mobile_number_clean
from .sms.tasks import deliver_sms
from .tasks import deliver_email

# Mail servers commonly refuse messages above 10–25 MB, and the bytes are stored in the
# database: attach what the citizen needs (a notice, a receipt), link to the rest.
MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024


# Three SMS at most. A text over 160 characters is sent in parts of 153 each (67 when it
# holds a character outside the GSM alphabet, e.g. „“ or an emoji), billed and arriving
# one by one: 459 characters are three parts. Keep texts under 160, link to the rest.
MAX_SMS_CHARS = 3 * 153


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str


class EmailTooLarge(ValueError):
    pass


class SmsTooLong(ValueError):
    pass


def send_email(
    *,
    to: str,
    template: str,
    context: Mapping[str, Any],
    language: str = "de",
    attachments: Iterable[Attachment] = (),
    topic: str = "",
) -> OutgoingEmail:
    """Render ``template`` in ``language``, store it in the outbox and send it after commit.

    Returns the stored email (status ``queued``). Raises ``TemplateDoesNotExist`` for a
    missing subject or text template, ``ValidationError`` for an invalid address and
    :class:`EmailTooLarge` when the attachments exceed :data:`MAX_ATTACHMENTS_BYTES` —
    all mistakes of the calling code, found by its tests.
    """
    validate_email(to)
    attachments = list(attachments)
    total = sum(len(attachment.content) for attachment in attachments)
    if total > MAX_ATTACHMENTS_BYTES:
        raise EmailTooLarge(
            f"Attachments of {total} bytes exceed {MAX_ATTACHMENTS_BYTES}: send a link to the "
            "file (e.g. the citizen's office page) instead of the file itself."
        )
    subject, body_text, body_html = _render(template, context, language)
    with transaction.atomic():
        email = OutgoingEmail.objects.create(
            to=to,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            language=language,
            topic=topic,
            message_id=make_msgid(domain=_sender_domain()),
        )
        EmailAttachment.objects.bulk_create(
            EmailAttachment(
                email=email,
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=len(attachment.content),
                content=attachment.content,
            )
            for attachment in attachments
        )
        _deliver_after_commit(email)
    return email


def email_resend(*, email: OutgoingEmail) -> bool:
    """Queue an email again with a fresh set of attempts (the admin's "resend" action).

    Returns False, changing nothing, for an email that was sent or is being sent right now
    (one stuck in "sending" for longer than ``SENDING_STALE_AFTER`` may be resent).
    """
    being_sent = Q(status=OutgoingEmail.Status.SENDING) & Q(
        last_attempt_at__gte=timezone.now() - SENDING_STALE_AFTER
    )
    with transaction.atomic():
        resent = (
            OutgoingEmail.objects.filter(pk=email.pk)
            .exclude(Q(status=OutgoingEmail.Status.SENT) | being_sent)
            .update(status=OutgoingEmail.Status.QUEUED, attempts=0, next_attempt_at=None)
        )
        if resent:
            _deliver_after_commit(email)
    return bool(resent)


def send_sms(
    *,
    to: str,
    template: str,
    context: Mapping[str, Any],
    language: str = "de",
    topic: str = "",
) -> OutgoingSms:
    """Render ``notifications/sms/<template>.txt`` in ``language``, store the SMS in the
    outbox and send it after commit; returns the stored SMS (status ``queued``)::

        send_sms(
            to=ticket.phone,
            template="ticket_called",
            context={"number": ticket.number, "counter": counter.name},
            language=ticket.language,
            topic="tickets.called",
        )

    Never raises because a gateway is down: the SMS waits in the outbox and is retried, and
    the caller's transaction commits as usual. Raises ``ValidationError`` for a number that
    is no mobile number (check it in the form with ``phone.MobileNumberField`` first),
    ``TemplateDoesNotExist`` for a missing template and :class:`SmsTooLong` for a text over
    :data:`MAX_SMS_CHARS` — mistakes of the calling code, found by its tests.
    """
    number = mobile_number_clean(to)
    context = {"municipality": municipality_get(), **context}
    with translation.override(language):
        body = _render_text(f"notifications/sms/{template}.txt", context)
    # One paragraph: line breaks from template tags would only cost characters.
    body = " ".join(body.split())
    if not body:
        raise ValueError(f"notifications/sms/{template}.txt rendered an empty text.")
    if len(body) > MAX_SMS_CHARS:
        raise SmsTooLong(
            f"notifications/sms/{template}.txt rendered {len(body)} characters, more than "
            f"{MAX_SMS_CHARS} (three SMS parts): shorten the template, link to a page for details."
        )
    with transaction.atomic():
        sms = OutgoingSms.objects.create(to=number, body=body, language=language, topic=topic)
        _deliver_sms_after_commit(sms)
    return sms


def sms_resend(*, sms: OutgoingSms) -> bool:
    """Queue an SMS again with a fresh set of attempts (the admin's "resend" action).

    Returns False, changing nothing, for an SMS that was sent or is being sent right now.
    """
    with transaction.atomic():
        resent = outbox_requeue(OutgoingSms, sms.pk)
        if resent:
            _deliver_sms_after_commit(sms)
    return resent


def _deliver_sms_after_commit(sms: OutgoingSms) -> None:
    # robust, as for emails: the ticket or booking is committed; should the queue be
    # unreachable the SMS stays "queued" in the outbox instead of an error page.
    transaction.on_commit(lambda: deliver_sms.enqueue(sms.pk), robust=True)


def _deliver_after_commit(email: OutgoingEmail) -> None:
    # robust: the change and its email are committed; should the queue be unreachable the
    # email stays "queued" in the outbox rather than turning the citizen's request into an
    # error page.
    transaction.on_commit(lambda: deliver_email.enqueue(email.pk), robust=True)


def _render(template: str, context: Mapping[str, Any], language: str) -> tuple[str, str, str]:
    context = {"municipality": municipality_get(), **context}
    with translation.override(language):
        subject = _render_text(f"{template}_subject.txt", context)
        body_text = _render_text(f"{template}.txt", context)
        try:
            html_template = get_template(f"{template}.html")
        except TemplateDoesNotExist:
            body_html = ""
        else:
            body_html = html_template.render(context)
    # One line: a line break in a Subject header would start a new header.
    subject = " ".join(subject.split())
    if len(subject) > 255:
        subject = subject[:254] + "…"
    # Template tags leave blank lines behind; keep at most one between paragraphs.
    body_text = re.sub(r"\n(?:[ \t]*\n){2,}", "\n\n", body_text).strip() + "\n"
    return subject, body_text, body_html


def _render_text(name: str, context: Mapping[str, Any]) -> str:
    # Plain text is not HTML: render without autoescaping, so that "&" stays "&".
    template = get_template(name).template
    return template.render(Context(dict(context), autoescape=False))


def _sender_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
