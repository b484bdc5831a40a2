"""Turn malformed query strings into a clear 400 page instead of a crash deeper down.

Invalid UTF-8 and control characters (a NUL byte makes PostgreSQL refuse a query)
never reach a view; the citizen sees a page in their language that says what to do.
"""

import logging
import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.shortcuts import render
from django.utils import translation

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def query_string_problem(raw: str) -> str | None:
    """Why ``raw`` (a URL query string) is unusable, or None when it is fine."""
    try:
        decoded = unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        return "invalid-utf8"
    if _CONTROL.search(decoded):
        return "control-character"
    return None


class BadRequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = query_string_problem(request.META.get("QUERY_STRING", ""))
        if problem:
            logger.info("rejected query string (%s) for %s", problem, request.path)
            return render(request, "core/bad_request.html", status=400)
        return self.get_response(request)


class ApiLanguageMiddleware:
    """The API speaks the client's language: ``?lang=en`` or the Accept-Language header.

    Pages carry their language in the path (/en/...); Django's LocaleMiddleware therefore
    treats every path without a prefix, the API included, as German.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            language = request.GET.get("lang", "")
            if language not in self.languages:
                language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
