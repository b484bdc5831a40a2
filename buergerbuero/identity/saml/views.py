"""SAML service provider endpoints (/auth/saml/…). Thin: the steps live in ``sso.py``."""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from ..staff.lockout import client_ip
from ..trust import TrustLevel
from . import sso
from .config import BUNDID, DEV, identity_providers, sp_metadata_xml
from .refusals import SamlRefused

logger = logging.getLogger("buergerbuero.identity")

IDP_NAMES = {BUNDID: "BundID", DEV: "Entwicklungs-IdP"}


class SeeOther(HttpResponseRedirect):
    status_code = 303


def level_param(value: str | None) -> TrustLevel:
    """``niveau`` as the login URL carries it; anything unknown asks for low (the service
    checks the level it needs after the login anyway)."""
    try:
        return TrustLevel((value or "").strip().lower())
    except ValueError:
        return TrustLevel.LOW


def login_url(*, next_url: str, level: str | TrustLevel, idp: str = "") -> str:
    query = {"next": next_url, "niveau": TrustLevel(level).value}
    if idp:
        query["idp"] = idp
    return reverse("saml:login") + "?" + urlencode(query)


@require_GET
def metadata(request):
    if not identity_providers():
        raise Http404("SAML is not set up")
    return HttpResponse(sp_metadata_xml(), content_type="application/samlmetadata+xml")


@require_GET
def login_start(request):
    providers = identity_providers()
    idp_key = request.GET.get("idp") or next(iter(providers), "")
    if idp_key not in providers:
        raise Http404("No such identity provider")
    next_url = sso.safe_next(request, request.GET.get("next"))
    form = sso.authn_request_start(
        request, idp_key=idp_key, next_url=next_url, level=level_param(request.GET.get("niveau"))
    )
    return post_form(request, form, title=_("Weiter zur Anmeldung"), target=IDP_NAMES[idp_key])


def post_form(request, form: sso.PostForm, *, title: str, target: str) -> HttpResponse:
    """A page that posts a SAML message on (HTTP-POST binding): a small static script
    submits it; without JavaScript the citizen presses "Weiter"."""
    response = render(
        request,
        "identity/saml/post.html",
        {"form": form, "title": title, "target": target},
    )
    origin = urlsplit(form.url)
    if origin.scheme and origin.netloc:
        response._csp_update = {"form-action": [f"{origin.scheme}://{origin.netloc}"]}
    return response


@csrf_exempt  # the IdP posts here from another site; the message carries its own signature
@require_POST
def assertion_consumer(request):
    """Keep the response and continue on a same-site GET, which has the session cookie."""
    try:
        token = sso.response_park(request.POST.get("SAMLResponse", ""), client=client_ip(request))
    except SamlRefused as refusal:
        return refused(request, refusal)
    return SeeOther(reverse("saml:finish") + "?" + urlencode({"t": token}))


@require_GET
def login_finish(request):
    try:
        next_url = sso.login_finish(request, request.GET.get("t", ""))
    except SamlRefused as refusal:
        return refused(request, refusal)
    return SeeOther(sso.safe_next(request, next_url))


def refused(request, refusal: SamlRefused) -> HttpResponse:
    log = logger.info if refusal.code == "cancelled" else logger.warning
    log("saml login refused: reason=%s detail=%s", refusal.code, refusal.detail)
    next_url = sso.safe_next(request, refusal.next_url)
    context = {
        "refusal": refusal,
        "next_url": next_url,
        "retry_url": login_url(next_url=next_url, level=refusal.level or TrustLevel.LOW)
        if identity_providers()
        else "",
    }
    status = {"cancelled": 200, "too_many": 429}.get(refusal.code, 400)
    return render(request, "identity/saml/refused.html", context, status=status)


@require_POST
def logout_start(request):
    next_url = sso.safe_next(request, request.POST.get("next") or reverse("catalog:home"))
    return SeeOther(sso.logout_start(request, next_url=next_url))


@csrf_exempt  # IdP-initiated messages come from another site, signed
@require_http_methods(["GET", "POST"])
def single_logout(request):
    data = request.POST if request.method == "POST" else request.GET
    binding = BINDING_HTTP_POST if request.method == "POST" else BINDING_HTTP_REDIRECT
    if data.get("SAMLResponse"):
        next_url = sso.logout_response_finish(request, data["SAMLResponse"], binding)
        messages.success(request, _("Sie sind abgemeldet."))
        return SeeOther(sso.safe_next(request, next_url))
    if data.get("SAMLRequest"):
        try:
            location = sso.logout_request_handle(
                request,
                binding=binding,
                saml_request=data["SAMLRequest"],
                relay_state=data.get("RelayState", ""),
                sigalg=data.get("SigAlg", ""),
                signature=data.get("Signature", ""),
            )
        except SamlRefused as refusal:
            logger.warning("saml logout refused: reason=%s detail=%s", refusal.code, refusal.detail)
            return HttpResponse(_("Die Abmeldeanfrage wurde nicht angenommen."), status=400)
        return SeeOther(location)
    return HttpResponse(_("Keine SAML-Nachricht erhalten."), status=400)
