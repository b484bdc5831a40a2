"""How an operator configures OpenID Connect providers, and what the login page offers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from buergerbuero.identity.oidc.options import login_options
from buergerbuero.identity.oidc.providers import provider_get
from buergerbuero.identity.trust import TrustLevel
from buergerbuero.settings.env import REGISTRY
from buergerbuero.settings.oidc import oidc_provider_settings

KEYCLOAK = {
    "OIDC_KEYCLOAK_ISSUER": "https://login.stadt-koeln.example/realms/buerger",
    "OIDC_KEYCLOAK_CLIENT_ID": "buergerbuero",
    "OIDC_KEYCLOAK_CLIENT_SECRET": "s3cr3t",
    "OIDC_KEYCLOAK_LABEL": "Mit Köln-Konto anmelden",
    "OIDC_KEYCLOAK_LEVEL_MAP": "0=low,1=low,2=substantial,3=high",
    "OIDC_KEYCLOAK_MAX_LEVEL": "substantial",
}


@pytest.fixture
def keycloak_env(monkeypatch):
    for name, value in KEYCLOAK.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_a_provider_is_read_from_its_variables(keycloak_env):
    config = oidc_provider_settings("keycloak")

    assert config["issuer"] == "https://login.stadt-koeln.example/realms/buerger"
    assert config["client_id"] == "buergerbuero"
    assert config["client_secret"] == "s3cr3t"
    assert config["label"] == "Mit Köln-Konto anmelden"
    assert config["scopes"] == ["openid", "profile", "email", "address"]
    assert config["level_claim"] == "acr"
    assert config["level_map"] == {"0": "low", "1": "low", "2": "substantial", "3": "high"}
    assert config["max_level"] == "substantial"
    assert config["userinfo"] is True


def test_the_default_level_map_knows_the_eidas_uris(keycloak_env):
    keycloak_env.delenv("OIDC_KEYCLOAK_LEVEL_MAP")

    level_map = oidc_provider_settings("keycloak")["level_map"]

    assert level_map["http://eidas.europa.eu/LoA/substantial"] == "substantial"
    assert level_map["http://eidas.europa.eu/LoA/high"] == "high"
    assert level_map["low"] == "low"


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("OIDC_KEYCLOAK_MAX_LEVEL", "mittel", "OIDC_KEYCLOAK_MAX_LEVEL: 'mittel' is not a trust"),
        ("OIDC_KEYCLOAK_LEVEL_MAP", "1=low,zwei", "'zwei' is not a value=level pair"),
        ("OIDC_KEYCLOAK_LEVEL_MAP", "1=mittel", "'mittel' is not a trust level"),
        ("OIDC_KEYCLOAK_ISSUER", "http://login.example/realms/x", "must be an https URL"),
        ("OIDC_KEYCLOAK_ISSUER", "", "OIDC_KEYCLOAK_ISSUER is required"),
        ("OIDC_KEYCLOAK_CLIENT_ID", "", "OIDC_KEYCLOAK_CLIENT_ID is required"),
        ("OIDC_KEYCLOAK_SCOPES", "profile email", "must contain openid"),
    ],
)
def test_wrong_values_stop_the_start_naming_the_variable(keycloak_env, variable, value, complaint):
    keycloak_env.setenv(variable, value)

    with pytest.raises(ImproperlyConfigured, match=complaint):
        oidc_provider_settings("keycloak")


def test_provider_names_are_url_safe(keycloak_env):
    with pytest.raises(ImproperlyConfigured, match="not a provider name"):
        oidc_provider_settings("Key Cloak")


def test_the_environment_reference_documents_the_per_provider_variables():
    for suffix in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "LEVEL_CLAIM", "LEVEL_MAP", "MAX_LEVEL"):
        assert REGISTRY[f"OIDC_<NAME>_{suffix}"].help
    assert "OIDC_PROVIDERS" in REGISTRY


def provider(settings, **config):
    settings.OIDC_PROVIDERS = {
        "keycloak": {
            "issuer": "https://login.example/realms/x",
            "client_id": "bb",
            "level_map": {"0": "low", "1": "low", "2": "substantial", "3": "high"},
            "max_level": "high",
            **config,
        }
    }
    return provider_get("keycloak")


def test_the_level_claim_is_mapped_and_capped(settings):
    keycloak = provider(settings, max_level="substantial")

    assert keycloak.level_from_claims({"acr": "1"}) == TrustLevel.LOW
    assert keycloak.level_from_claims({"acr": "2"}) == TrustLevel.SUBSTANTIAL
    assert keycloak.level_from_claims({"acr": "3"}) == TrustLevel.SUBSTANTIAL  # capped
    assert keycloak.level_from_claims({"acr": "gold"}) == TrustLevel.LOW  # unknown
    assert keycloak.level_from_claims({}) == TrustLevel.LOW


def test_a_custom_level_claim_may_come_from_userinfo_and_be_a_list(settings):
    keycloak = provider(
        settings,
        level_claim="vertrauensniveau",
        level_map={"basis": "low", "ausweis": "high"},
    )

    assert keycloak.level_from_claims({}, {"vertrauensniveau": ["basis", "ausweis"]}) == (
        TrustLevel.HIGH
    )
    assert keycloak.acr_value_for(TrustLevel.HIGH) is None  # not acr: nothing to ask for


def test_the_acr_value_asked_for_is_the_first_mapped_to_the_level_or_above(settings):
    keycloak = provider(settings, level_map={"1": "low", "3": "high"})

    assert keycloak.acr_value_for(TrustLevel.SUBSTANTIAL) == "3"
    assert keycloak.acr_value_for(TrustLevel.HIGH) == "3"


def test_the_login_page_offers_one_button_per_provider(settings):
    provider(settings, label="Mit Köln-Konto anmelden", max_level="substantial")

    [option] = login_options("/antrag/", TrustLevel.HIGH)

    assert option.key == "oidc:keycloak"
    assert option.label == "Mit Köln-Konto anmelden"
    assert option.max_level == TrustLevel.SUBSTANTIAL
    assert not option.enough_for("high")
    parts = urlsplit(option.url)
    assert parts.path == "/anmelden/oidc/keycloak/"
    assert parse_qs(parts.query) == {"next": ["/antrag/"], "niveau": ["high"]}


def test_no_provider_configured_no_button(settings):
    settings.OIDC_PROVIDERS = {}

    assert login_options("/", TrustLevel.LOW) == []
