"""The development IdP's pages (/entwicklung/idp/…): 404 unless demo mode."""

from __future__ import annotations

import functools
import logging
import secrets
from urllib.parse import urlsplit

from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from saml2 import BINDING_HTTP_REDIRECT

from ..saml.config import dev_idp_enabled
from ..saml.sso import PostForm
from ..saml.views import post_form
from . import idp
from .forms import DevLoginForm
from .persons import TEST_PERSONS

logger = logging.getLogger("buergerbuero.identity")
PENDING_SECONDS = 15 * 60


class SeeOther(HttpResponseRedirect):
    status_code = 303


def demo_only(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not dev_idp_enabled():
            raise Http404("The development IdP runs in demo mode only")
        return view(request, *args, **kwargs)

    return wrapped


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@demo_only
@require_GET
def metadata(request):
    return HttpResponse(idp.devidp_metadata_xml(), content_type="application/samlmetadata+xml")


@demo_only
@csrf_exempt  # the SP posts its signed AuthnRequest here (HTTP-POST binding)
@require_POST
def single_sign_on(request):
    try:
        seen = idp.authn_request_read(
            request.POST.get("SAMLRequest", ""), relay_state=request.POST.get("RelayState", "")
        )
    except idp.DevIdpRefused as refusal:
        logger.warning("dev-idp refused an AuthnRequest: %s", refusal)
        return render(request, "identity/devidp/refused.html", status=400)
    token = secrets.token_urlsafe(16)
    cache.set(f"devidp.request.{token}", seen, PENDING_SECONDS)
    return SeeOther(reverse("identity:devidp_login", kwargs={"token": token}))


@demo_only
@require_http_methods(["GET", "POST"])
def login_page(request, token):
    seen = cache.get(f"devidp.request.{token}")
    if seen is None:
        return render(request, "identity/devidp/refused.html", {"expired": True}, status=404)
    if request.method == "POST" and request.POST.get("aktion") == "abbrechen":
        cache.delete(f"devidp.request.{token}")
        return _post_back(request, idp.cancel_response(seen))
    form = DevLoginForm(
        request.POST or None, initial={"person": "mehmet", "level": seen.requested_level.value}
    )
    if request.method == "POST" and form.is_valid():
        cache.delete(f"devidp.request.{token}")
        person = TEST_PERSONS[form.cleaned_data["person"]]
        answer = idp.authn_response(seen, person, form.cleaned_data["level"])
        return _post_back(request, answer)
    return render(
        request,
        "identity/devidp/login.html",
        {"form": form, "seen": seen, "requested_count": len(seen.requested_attributes)},
        status=400 if form.errors else 200,
    )


def _post_back(request, answer: idp.Answer):
    form = PostForm(url=answer.path, fields=answer.form())
    return post_form(request, form, title=_("Zurück zum Bürgerbüro"), target=_("das Bürgerbüro"))


@demo_only
@csrf_exempt
@require_GET
def single_logout(request):
    """A LogoutRequest from the SP (HTTP-Redirect binding, signed query), or the SP's
    answer to a logout this IdP started."""
    if request.GET.get("SAMLResponse"):
        logger.info("dev-idp: the service provider confirmed a logout")
        return SeeOther(reverse("catalog:home"))
    try:
        location = idp.logout_request_answer(
            request.GET.get("SAMLRequest", ""),
            binding=BINDING_HTTP_REDIRECT,
            relay_state=request.GET.get("RelayState"),  # None if absent: part of the signed query
            sigalg=request.GET.get("SigAlg"),
            signature=request.GET.get("Signature"),
        )
    except idp.DevIdpRefused as refusal:
        logger.warning("dev-idp refused a LogoutRequest: %s", refusal)
        return render(request, "identity/devidp/refused.html", status=400)
    return SeeOther(_path(location))
