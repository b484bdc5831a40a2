from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import proof_of_work


def health(request):
    """For load balancers and `make run`: the app answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def proof_of_work_challenge(request):
    """A fresh ALTCHA challenge for the widget on the booking and ticket forms."""
    return JsonResponse(proof_of_work.challenge_create())


def bench_ceiling(request):
    """The framework ceiling for bench/: a bare view through the full middleware stack."""
    return HttpResponse(b"ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "core/bad_request.html", status=400)


def not_found(request, exception=None):
    return render(request, "core/not_found.html", status=404)


def server_error(request):
    # Standalone: no database, no context processors, so it renders even when they fail.
    return HttpResponse(loader.get_template("core/server_error.html").render(), status=500)


def component_gallery(request):
    """Every form piece and component, for developers (DEBUG) and staff."""
    from .component_gallery import DEMO_STEPS, ComponentDemoForm

    if not (settings.DEBUG or request.user.is_staff):
        raise Http404
    posted = request.method == "POST"
    form = ComponentDemoForm(request.POST if posted else None, request.FILES if posted else None)
    submitted = posted and form.is_valid()
    rows = (
        [
            {
                "key": form.fields[name].label,
                "value": form.cleaned_data.get(name),
                "change_url": "#",
            }
            for name in ("full_name", "email", "moved_on")
        ]
        if submitted
        else []
    )
    return render(
        request,
        "core/component_gallery.html",
        {"form": form, "steps": DEMO_STEPS, "current_number": 2, "rows": rows},
    )
