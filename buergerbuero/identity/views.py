"""Pages of the identity app that belong to no single login method."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .services import ExternalLoginRefused, pending_link, pending_link_finish
from .trust import LoginMethod


def _next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@never_cache
@login_required
def link_confirm(request):
    """A new BundID (or other identity) arrived while someone is logged in: link it to
    this account, or log out and go on with that identity alone."""
    data = pending_link(request)
    next_url = _next(request)
    if data is None:
        messages.info(request, _("Es wartet keine Anmeldung auf eine Verknüpfung."))
        return redirect(next_url)
    if request.method == "POST":
        link = request.POST.get("aktion") == "verknuepfen"
        try:
            pending_link_finish(request, link=link)
        except ExternalLoginRefused as refusal:
            messages.error(request, refusal.message)
            return redirect(next_url)
        if link:
            messages.success(request, _("Die Anmeldung ist jetzt mit Ihrem Konto verknüpft."))
        return redirect(next_url)
    return render(
        request,
        "identity/link_confirm.html",
        {
            "method_label": LoginMethod(data["method"]).label,
            "person": data["person"],
            "next": next_url,
        },
    )
