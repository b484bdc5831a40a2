"""Writes for the pages app: accessibility feedback and sign-language videos."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from buergerbuero.core.selectors import municipality_get

from .models import AccessibilityFeedback, Page, SignLanguageVideo

logger = logging.getLogger(__name__)


def accessibility_feedback_submit(
    *, message: str, page_url: str = "", name: str = "", email: str = "", language: str = "de"
) -> AccessibilityFeedback:
    """Store a barrier report in the tracked queue and tell the city's accessibility contact."""
    with transaction.atomic():
        feedback = AccessibilityFeedback.objects.create(
            message=message, page_url=page_url, name=name, email=email, language=language
        )
        transaction.on_commit(lambda: _notify_accessibility_contact(feedback))
    logger.info("accessibility feedback %s received", feedback.pk)
    return feedback


def _notify_accessibility_contact(feedback: AccessibilityFeedback) -> None:
    recipient = municipality_get().accessibility_email
    if not recipient:
        return
    send_mail(
        subject=_("Neue Rückmeldung zur Barrierefreiheit (Nr. %(id)s)") % {"id": feedback.pk},
        message=_(
            "Seite: %(page)s\n\n%(message)s\n\nAntwort an: %(email)s\n"
            "Bearbeiten Sie die Rückmeldung in der Verwaltung unter "
            "„Rückmeldungen zur Barrierefreiheit“."
        )
        % {
            "page": feedback.page_url or "–",
            "message": feedback.message,
            "email": feedback.email or "–",
        },
        from_email=None,
        recipient_list=[recipient],
        fail_silently=True,
    )


def sign_language_video_describe(*, video: SignLanguageVideo) -> None:
    """Fill in the size and, when not given, the duration of an uploaded video file."""
    video.size_bytes = video.file.size or 0
    if video.duration_seconds is None:
        video.duration_seconds = _read_duration(video)


def _read_duration(video: SignLanguageVideo) -> int | None:
    import mutagen

    try:
        video.file.seek(0)
        media = mutagen.File(video.file)
    except Exception:  # a file mutagen cannot parse: leave the duration for the admin
        logger.warning("could not read the duration of %s", video.file.name)
        return None
    finally:
        video.file.seek(0)
    if media is None or not getattr(media.info, "length", None):
        return None
    return round(media.info.length)


def page_upsert(*, slug: str, title: dict[str, str], body: dict[str, str]) -> Page:
    page, _ = Page.objects.update_or_create(
        slug=slug,
        defaults={
            **{f"title_{code}": text for code, text in title.items()},
            **{f"body_{code}": text for code, text in body.items()},
        },
    )
    return page
