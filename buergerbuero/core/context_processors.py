from django.conf import settings
from django.urls import translate_url

from .selectors import municipality_get


def municipality(request):
    """The city's branding and the same page in every other language, on every page."""
    language_links = [
        {"code": code, "name": name, "url": translate_url(request.get_full_path(), code)}
        for code, name in settings.LANGUAGES
    ]
    return {"municipality": municipality_get(), "language_links": language_links}
