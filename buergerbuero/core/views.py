from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader


def health(request):
    """For load balancers and `make run`: the app answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


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
