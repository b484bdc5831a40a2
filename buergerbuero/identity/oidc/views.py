"""Login through one of the city's OpenID Connect providers: start and return."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .. import services
from ..trust import LoginMethod, TrustLevel
from . import client
from .client import OidcRefused
from .providers import Provider, provider_get

logger = logging.getLogger("buergerbuero.identity")


@require_GET
@never_cache
def oidc_start(request, provider: str):
    """``?next=<path>&niveau=<low|substantial|high>``: off to the provider."""
    provider = _provider(provider)
    level = _level(request.GET.get("niveau"))
    next_url = _next(request, request.GET.get("next"))
    if not provider.max_level.satisfies(level):
        logger.info(
            "OIDC login via %s not started: level %s needed, provider delivers at most %s",
            provider.name,
            level.value,
            provider.max_level.value,
        )
        return _refused(
            request,
            provider,
            OidcRefused("level", _level_message(provider, level, provider.max_level), status=403),
            next_url=next_url,
            level=level,
        )
    with translation.override(settings.LANGUAGE_CODE):  # one fixed URL, registered at the IdP
        callback = reverse("identity:oidc_callback", args=[provider.name])
    try:
        url = client.authorization_start(
            request,
            provider,
            redirect_uri=request.build_absolute_uri(callback),
            next_url=next_url,
            level=level,
        )
    except OidcRefused as refusal:
        return _refused(request, provider, refusal, next_url=next_url, level=level)
    return HttpResponseRedirect(url)


@require_GET
@never_cache
def oidc_callback(request, provider: str):
    """The provider sends the citizen back here with ``code`` and ``state`` (or ``error``)."""
    provider = _provider(provider)
    flow = client.flow_pop(request, provider)
    next_url = _next(request, flow["next"] if flow else None)
    required = TrustLevel(flow["level"]) if flow else TrustLevel.LOW
    try:
        login = client.authorization_finish(request, provider, flow)
    except OidcRefused as refusal:
        return _refused(request, provider, refusal, next_url=next_url, level=required)
    if not login.level.satisfies(login.required_level):
        refusal = OidcRefused(
            "level",
            _level_message(provider, login.required_level, login.level),
            f"needed {login.required_level.value}, delivered {login.level.value} "
            f"({provider.level_claim}={login.level_value!r})",
            status=403,
        )
        return _refused(request, provider, refusal, next_url=next_url, level=required)
    try:
        user = services.external_login(
            request,
            method=LoginMethod.OIDC,
            provider=provider.issuer,
            subject=login.subject,
            level=login.level,
            person=person_from_claims(login.claims),
            has_inbox=False,
        )
    except services.LinkConfirmationRequired:
        # Someone is logged in here: ask before the identity joins that account for good.
        query = urlencode({"next": _next(request, login.next_url)})
        return HttpResponseRedirect(f"{reverse('identity:link_confirm')}?{query}")
    except services.ExternalLoginRefused as exc:
        refusal = OidcRefused("account", exc.message, exc.__class__.__name__, status=403)
        return _refused(request, provider, refusal, next_url=next_url, level=required)
    logger.info(
        "OIDC login via %s: user=%s level=%s (%s=%r)",
        provider.name,
        user.pk,
        login.level.value,
        provider.level_claim,
        login.level_value,
    )
    return HttpResponseRedirect(_next(request, login.next_url))


def person_from_claims(claims: dict) -> services.PersonData:
    """The standard claims of OpenID Connect Core 1.0, section 5.1, as person data. The
    email address only counts when the provider verified it."""
    address = claims.get("address") if isinstance(claims.get("address"), dict) else {}
    street = _text(address.get("street_address"))
    email = _text(claims.get("email")) if claims.get("email_verified") in (True, "true") else ""
    return services.PersonData(
        given_name=_text(claims.get("given_name")),
        family_name=_text(claims.get("family_name")),
        birth_date=_birth_date(claims.get("birthdate")),
        street=", ".join(line.strip() for line in street.splitlines() if line.strip()),
        postcode=_text(address.get("postal_code")),
        city=_text(address.get("locality")),
        email=email,
    )


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _birth_date(value) -> dt.date | None:
    # "YYYY-MM-DD"; a provider may send "0000-MM-DD" or "YYYY" when it knows only part.
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _provider(name: str) -> Provider:
    provider = provider_get(name)
    if provider is None:
        raise Http404("no such OpenID Connect provider")
    return provider


def _level(value: str | None) -> TrustLevel:
    return TrustLevel(value) if value in TrustLevel.values else TrustLevel.LOW


def _next(request, url: str | None) -> str:
    """``url`` if it is a path on this site, else the citizen's overview."""
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _level_message(provider: Provider, needed: TrustLevel, delivered: TrustLevel) -> str:
    return _(
        "Hierfür ist das Vertrauensniveau „%(needed)s“ nötig. Die Anmeldung über „%(way)s“ "
        "hat nur „%(delivered)s“ bestätigt. Bitte wählen Sie einen Anmeldeweg mit höherem "
        "Vertrauensniveau, zum Beispiel die BundID mit der Online-Ausweisfunktion."
    ) % {"needed": needed.label, "way": provider.label, "delivered": delivered.label}


def _refused(
    request, provider: Provider, refusal: OidcRefused, *, next_url: str, level: TrustLevel
):
    log = logger.error if refusal.reason == "unavailable" else logger.warning
    log(
        "OIDC login via %s refused: %s%s",
        provider.name,
        refusal.reason,
        f" ({refusal.detail})" if refusal.detail else "",
    )
    query = {"next": next_url}
    if level != TrustLevel.LOW:
        query["niveau"] = level.value
    context = {
        "provider": provider,
        "message": refusal.message,
        "reason": refusal.reason,
        "retry_url": f"{reverse('identity:login')}?{urlencode(query)}",
    }
    return render(request, "identity/oidc/refused.html", context, status=refusal.status)
