"""The cash office's (Stadtkasse) screens, mounted at ``/kasse/``.

Who may enter: staff with the permission ``payments.work_cash_office`` (demo: ``kasse``).
Every page is personal data: never cached. Anonymous visitors go to the login; anyone
else gets a 403 page that says why.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

CASH_OFFICE_PERMISSION = "payments.work_cash_office"
FORBIDDEN_TEMPLATE = "payments/cash/forbidden.html"


def cash_office_required(view: Callable) -> Callable:
    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("identity:staff_login"))
        if not (request.user.is_staff and request.user.has_perm(CASH_OFFICE_PERMISSION)):
            return render(request, FORBIDDEN_TEMPLATE, status=403)
        return view(request, *args, **kwargs)

    return wrapper
