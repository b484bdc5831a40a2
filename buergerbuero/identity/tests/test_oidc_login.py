"""OpenID Connect login against a stand-in provider that signs real JWTs.

The portal's requests to the provider (discovery, JWKS, token, userinfo) go over real HTTP
to the stand-in (``identity/testing/oidc_provider.py``); the browser's two redirects are
followed by hand: the authorization URL is fetched from the stand-in with httpx, the
callback URL it answers with is fetched with Django's test client.
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from buergerbuero.identity.models import ExternalIdentity
from buergerbuero.identity.testing import oidc_provider as stand_in
from buergerbuero.identity.testing.oidc_provider import OidcStandIn
from buergerbuero.identity.trust import SESSION_LEVEL, SESSION_METHOD, LoginMethod

oidc_provider = stand_in.oidc_provider  # the fixture

NEXT = "/leistungen/"
MESSAGE_TOKEN = "konnte nicht als echt und aktuell bestätigt werden"


@pytest.fixture
def identity_log(caplog):
    """caplog for the identity logger ("buergerbuero" does not propagate to the root)."""
    logger = logging.getLogger("buergerbuero.identity")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="buergerbuero.identity"):
            yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def start(client, *, next_url: str = NEXT, niveau: str | None = None, provider="stadt"):
    params = {"next": next_url, **({"niveau": niveau} if niveau else {})}
    return client.get(reverse("identity:oidc_start", args=[provider]), params)


def at_provider(authorization_url: str) -> str:
    """What the citizen's browser does at the provider: the callback URL it is sent to."""
    answer = httpx.get(authorization_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def come_back(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.netloc == "testserver"
    return client.get(f"{parts.path}?{parts.query}")


def log_in(client, **start_args):
    started = start(client, **start_args)
    assert started.status_code == 302, started.content
    return come_back(client, at_provider(started["Location"]))


def logged_in_user(client):
    from django.contrib.auth import get_user

    return get_user(client)


def test_login_creates_an_account_with_the_mapped_level_and_person_data(client, oidc_provider):
    oidc_provider.acr = "substantial"

    answer = log_in(client, niveau="substantial")

    assert answer.status_code == 302
    assert answer["Location"] == NEXT
    user = logged_in_user(client)
    assert user.is_authenticated
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.method, identity.provider, identity.subject) == (
        LoginMethod.OIDC,
        oidc_provider.issuer,
        stand_in.DEFAULT_USER["sub"],
    )
    assert identity.last_level == "substantial"
    assert client.session[SESSION_LEVEL] == "substantial"
    assert client.session[SESSION_METHOD] == LoginMethod.OIDC
    assert (user.first_name, user.last_name) == ("Erika", "Mustermann")
    assert user.birth_date == dt.date(1964, 8, 12)
    assert (user.street, user.postcode, user.city) == ("Heidestraße 17", "51147", "Köln")
    assert user.email == "erika.mustermann@example.org"
    assert user.email_verified_at is not None


def test_the_flow_uses_pkce_state_nonce_and_asks_for_the_needed_level(client, oidc_provider):
    started = start(client, niveau="substantial")
    query = parse_qs(urlsplit(started["Location"]).query)

    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0] and query["code_challenge"][0]
    assert query["acr_values"] == ["substantial"]  # the first value mapped to it
    assert query["redirect_uri"] == [stand_in.DEFAULT_REDIRECT_URI]
    assert set(query["scope"][0].split()) == {"openid", "profile", "email", "address"}

    oidc_provider.acr = "2"
    come_back(client, at_provider(started["Location"]))
    [token_request] = oidc_provider.token_requests
    assert token_request["has_code_verifier"] is True
    assert token_request["redirect_uri"] == stand_in.DEFAULT_REDIRECT_URI


def test_no_acr_values_for_level_low_or_when_the_provider_does_not_list_them(
    client, oidc_provider, settings
):
    started = start(client)
    assert "acr_values" not in parse_qs(urlsplit(started["Location"]).query)

    oidc_provider.acr_values_supported = ["0", "1"]
    # Another configuration is another client: the discovery document is read again.
    settings.OIDC_PROVIDERS = {"stadt": oidc_provider.provider_settings(label="Stadt-Konto")}
    started = start(client, niveau="high")
    assert "acr_values" not in parse_qs(urlsplit(started["Location"]).query)


def test_es256_signed_id_tokens_are_accepted(client, db, settings):
    with OidcStandIn(alg="ES256") as provider:
        settings.OIDC_PROVIDERS = {"stadt": provider.provider_settings()}
        provider.acr = "3"

        answer = log_in(client, niveau="high")

        assert answer.status_code == 302
        assert client.session[SESSION_LEVEL] == "high"


def test_a_level_below_the_needed_one_is_refused_and_logged(client, oidc_provider, identity_log):
    oidc_provider.acr = "1"  # a password at the city's Keycloak: low

    answer = log_in(client, niveau="substantial")

    assert answer.status_code == 403
    assert not logged_in_user(client).is_authenticated
    assert not ExternalIdentity.objects.exists()
    text = answer.content.decode()
    assert "Anmeldung nicht möglich" in text
    assert "Vertrauensniveau „substanziell" in text
    assert "nur „niedrig" in text
    assert "/anmelden/?next=%2Fleistungen%2F&amp;niveau=substantial" in text  # the way back
    assert "refused: level (needed substantial, delivered low (acr='1'))" in identity_log.text


def test_the_delivered_level_is_capped_at_the_providers_maximum(client, oidc_provider, settings):
    settings.OIDC_PROVIDERS = {"stadt": oidc_provider.provider_settings(max_level="substantial")}
    oidc_provider.acr = "high"

    assert log_in(client, niveau="substantial").status_code == 302

    assert client.session[SESSION_LEVEL] == "substantial"


def test_unknown_or_missing_level_values_count_as_low(client, oidc_provider):
    oidc_provider.acr = None

    assert log_in(client).status_code == 302

    assert client.session[SESSION_LEVEL] == "low"


def test_a_provider_that_cannot_deliver_the_level_is_refused_before_leaving(
    client, oidc_provider, settings, identity_log
):
    settings.OIDC_PROVIDERS = {"stadt": oidc_provider.provider_settings(max_level="low")}

    answer = start(client, niveau="high")

    assert answer.status_code == 403
    assert "Vertrauensniveau „hoch" in answer.content.decode()
    assert oidc_provider.authorize_requests == []
    assert "not started: level high needed" in identity_log.text


@pytest.mark.parametrize(
    "fault", ["wrong_key", "expired", "wrong_audience", "wrong_nonce", "wrong_issuer"]
)
def test_a_forged_or_stale_id_token_is_refused_and_logged(
    client, oidc_provider, identity_log, fault
):
    oidc_provider.fault = fault

    answer = log_in(client)

    assert answer.status_code == 400
    assert MESSAGE_TOKEN in answer.content.decode()
    assert not logged_in_user(client).is_authenticated
    assert not ExternalIdentity.objects.exists()
    assert "OIDC login via stadt refused: token (id_token:" in identity_log.text


def test_the_log_names_what_was_wrong_with_the_token(client, oidc_provider, identity_log):
    oidc_provider.fault = "wrong_key"
    log_in(client)
    oidc_provider.fault = "expired"
    log_in(client)
    oidc_provider.fault = "wrong_nonce"
    log_in(client)

    assert "BadSignatureError" in identity_log.text
    assert "ExpiredTokenError" in identity_log.text
    assert "'nonce'" in identity_log.text
    assert oidc_provider.user["sub"] not in identity_log.text  # no personal data


def test_declining_at_the_provider_is_explained(client, oidc_provider, identity_log):
    oidc_provider.fault = "access_denied"

    answer = log_in(client)

    assert answer.status_code == 400
    assert "beim Anmeldedienst abgebrochen oder nicht freigegeben" in answer.content.decode()
    assert not logged_in_user(client).is_authenticated
    assert "refused: provider_error (error=access_denied)" in identity_log.text


def test_wrong_client_credentials_show_the_provider_as_unavailable(
    client, oidc_provider, identity_log
):
    oidc_provider.fault = "invalid_client"

    answer = log_in(client)

    assert answer.status_code == 502
    assert "gerade nicht erreichbar" in answer.content.decode()
    assert "refused: unavailable (token endpoint: invalid_client)" in identity_log.text
    refusals = {r.levelname for r in identity_log.records if r.name == "buergerbuero.identity"}
    assert refusals == {"ERROR"}  # the operator must act: the portal's credentials


def test_an_unreachable_provider_is_explained(client, oidc_provider, settings, identity_log):
    settings.OIDC_PROVIDERS = {
        "stadt": oidc_provider.provider_settings(issuer="http://127.0.0.1:9/realms/weg")
    }

    answer = start(client)

    assert answer.status_code == 502
    assert "gerade nicht erreichbar" in answer.content.decode()
    assert "refused: unavailable (discovery: ConnectionError)" in identity_log.text


def test_a_foreign_or_reused_state_is_refused(client, oidc_provider, identity_log):
    started = start(client)
    callback = at_provider(started["Location"])
    state = parse_qs(urlsplit(callback).query)["state"][0]

    forged = come_back(client, callback.replace(state, "ausgedacht"))
    assert forged.status_code == 400
    assert "abgelaufen oder wurde in einem anderen Browser begonnen" in forged.content.decode()
    assert "refused: state" in identity_log.text

    assert come_back(client, callback).status_code == 302  # the real one still works
    client.post(reverse("identity:logout"))
    again = come_back(client, callback)  # replayed
    assert again.status_code == 400
    assert not logged_in_user(client).is_authenticated


def test_a_state_from_another_browser_is_refused(client, oidc_provider):
    from django.test import Client

    started = start(Client())  # someone else's session
    answer = come_back(client, at_provider(started["Location"]))

    assert answer.status_code == 400
    assert not logged_in_user(client).is_authenticated


def test_a_second_login_finds_the_same_account(client, oidc_provider):
    log_in(client)
    first = logged_in_user(client)
    client.post(reverse("identity:logout"))

    log_in(client)

    assert logged_in_user(client).pk == first.pk
    assert ExternalIdentity.objects.count() == 1
    assert get_user_model().objects.filter(external_identities__isnull=False).count() == 1


def test_logging_in_while_logged_in_links_to_the_current_account(client, oidc_provider):
    assert client.login(username="buerger", password="koeln-buerger")
    buerger = logged_in_user(client)
    oidc_provider.acr = "substantial"

    answer = log_in(client, niveau="substantial")
    assert answer["Location"].startswith("/anmelden/verknuepfen/")  # asks first
    assert not ExternalIdentity.objects.exists()
    answer = client.post(answer["Location"], {"aktion": "verknuepfen"})

    assert answer.status_code == 302
    assert logged_in_user(client).pk == buerger.pk
    assert ExternalIdentity.objects.get().user_id == buerger.pk
    assert client.session[SESSION_LEVEL] == "substantial"


def test_an_identity_of_another_account_is_not_linked(client, oidc_provider):
    from django.test import Client

    log_in(Client())  # the OIDC identity now has its own account
    assert client.login(username="buerger", password="koeln-buerger")

    answer = log_in(client)

    assert answer.status_code == 403
    assert "bereits mit einem anderen Konto verknüpft" in answer.content.decode()
    assert logged_in_user(client).username == "buerger"


def test_an_unverified_email_is_not_taken(client, oidc_provider):
    oidc_provider.user["email_verified"] = False

    log_in(client)

    assert logged_in_user(client).email == ""


def test_next_must_be_on_this_site(client, oidc_provider):
    answer = log_in(client, next_url="https://boese.example/")

    assert answer["Location"] == reverse("applications:my_office")


def test_an_unknown_provider_is_not_found(client, oidc_provider):
    assert start(client, provider="unbekannt").status_code == 404


def test_an_answer_naming_another_issuer_is_refused(client, oidc_provider, identity_log):
    started = start(client)
    callback = at_provider(started["Location"])
    iss = parse_qs(urlsplit(callback).query)["iss"][0]

    answer = come_back(client, callback.replace(quote(iss, safe=""), "https%3A%2F%2Fevil.example"))

    assert answer.status_code == 400
    assert not logged_in_user(client).is_authenticated
    assert "refused: token (iss parameter of another issuer)" in identity_log.text
    assert oidc_provider.token_requests == []  # the code never left for the token endpoint
