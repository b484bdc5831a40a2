import functools
from itertools import groupby

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import selectors
from .next_steps import next_steps_for
from .search import MAX_QUERY_LENGTH
from .text_analysis import sort_key

SUGGESTION_LIMIT = 6


def _once(function):
    """A callable for a template: computed only if a stale cached fragment asks for it,
    and then only once, however often the fragment uses it."""
    return functools.cache(function)


def home(request):
    return render(
        request,
        "catalog/home.html",
        {
            "popular": _once(selectors.service_popular_list),
            "life_situations": _once(lambda: list(selectors.life_situation_list())),
            "categories": _once(lambda: list(selectors.category_list())),
        },
    )


def service_index(request):
    @_once
    def letters():
        return [
            (letter.upper(), list(group))
            for letter, group in groupby(
                selectors.service_list(), key=lambda service: sort_key(service.name)[:1]
            )
        ]

    return render(request, "catalog/service_index.html", {"letters": letters})


def service_detail(request, slug: str):
    service = selectors.service_get(slug=slug)
    if service is None:
        raise Http404(_("Diese Leistung gibt es nicht (mehr)."))
    return render(
        request,
        "catalog/service_detail.html",
        {"service": service, "next_steps": _once(lambda: next_steps_for(service))},
    )


def _topic_page(request, topic, template: str):
    if topic is None:
        raise Http404(_("Diese Seite gibt es nicht (mehr)."))

    services = _once(lambda: selectors.service_list_for_topic(topic=topic))
    return render(request, template, {"topic": topic, "services": services})


def life_situation_index(request):
    return render(
        request,
        "catalog/topic_index.html",
        {
            "topics": selectors.life_situation_list(),
            "title": _("Lebenslagen"),
            "intro": _("Was ist bei Ihnen passiert? Hier finden Sie alles, was dazu gehört."),
        },
    )


def life_situation_detail(request, slug: str):
    return _topic_page(request, selectors.life_situation_get(slug=slug), "catalog/topic.html")


def category_index(request):
    return render(
        request,
        "catalog/topic_index.html",
        {
            "topics": selectors.category_list(),
            "title": _("Themen"),
            "intro": _("Alle Leistungen der Stadt, nach Themen geordnet."),
        },
    )


def category_detail(request, slug: str):
    return _topic_page(request, selectors.category_get(slug=slug), "catalog/topic.html")


def search(request):
    """Full results without JavaScript; with htmx, the suggestion list while typing."""
    query = request.GET.get("q", "").strip()
    too_long = len(query) > MAX_QUERY_LENGTH
    query = query[:MAX_QUERY_LENGTH]
    if request.htmx:
        results = selectors.service_search(query=query, limit=SUGGESTION_LIMIT)
        # The form's status line sits next to the list that htmx fills: "suche-vorschlaege"
        # has its count announced in "suche-status".
        target = request.htmx.target or ""
        status_id = target.removesuffix("-vorschlaege") + "-status" if target else ""
        return render(
            request,
            "catalog/_suggestions.html",
            {"results": results, "query": query, "status_id": status_id},
        )
    results = selectors.service_search(query=query)
    nothing_found = bool(query) and not results
    return render(
        request,
        "catalog/search.html",
        {
            "query": query,
            "results": results,
            "too_long": too_long,
            "popular": selectors.service_popular_list() if nothing_found else [],
            "life_situations": selectors.life_situation_list() if nothing_found else [],
        },
    )
