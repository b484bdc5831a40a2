from django.db.models import QuerySet

from .models import Page, SignLanguageVideo


def page_get(*, slug: str) -> Page | None:
    return Page.objects.filter(slug=slug).first()


def sign_language_video_list() -> QuerySet[SignLanguageVideo]:
    return SignLanguageVideo.objects.all()
