"""Shared pieces of the account and login tests (no tests here): citizens in known states,
login options of our own in place of BundID/OIDC/dev IdP, and reading links from the
outbox the product writes every email to."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from buergerbuero.identity import login_options
from buergerbuero.identity.login_options import LoginOption
from buergerbuero.identity.trust import TrustLevel
from buergerbuero.notifications.models import OutgoingEmail

PASSWORD = "Rheinufer-Dom-2026!"


def citizen(username="anna", *, email="anna@example.org", password=PASSWORD, **fields):
    """An active citizen with a confirmed address and a password."""
    return get_user_model().objects.create_user(
        username=username,
        email=email,
        password=password,
        first_name=fields.pop("first_name", "Anna"),
        last_name=fields.pop("last_name", "Schmitz"),
        email_verified_at=timezone.now(),
        **fields,
    )


def emails_to(address: str, topic: str | None = None) -> list[OutgoingEmail]:
    emails = OutgoingEmail.objects.filter(to__iexact=address).order_by("pk")
    if topic:
        emails = emails.filter(topic=topic)
    return list(emails)


def link_in(email: OutgoingEmail) -> str:
    """The path of the first link to this site (SITE_URL) in an email."""
    site = settings.SITE_URL.rstrip("/")
    urls = [url for url in re.findall(r"https?://\S+", email.body_text) if url.startswith(site)]
    assert urls, email.body_text
    return urls[0][len(site) :]


def bundid_options(next_url: str, level: TrustLevel) -> list[LoginOption]:
    return [
        LoginOption(
            key="bundid",
            label="Mit BundID anmelden",
            description="Mit Online-Ausweis oder ELSTER-Zertifikat.",
            url=f"/test-bundid/?next={next_url}&level={level.value}",
            max_level=TrustLevel.HIGH,
        )
    ]


def city_idp_options(next_url: str, level: TrustLevel) -> list[LoginOption]:
    return [
        LoginOption(
            key="oidc:stadt",
            label="Mit dem Stadtkonto anmelden",
            description="Das Konto der Stadtverwaltung.",
            url=f"/test-oidc/?next={next_url}",
            max_level=TrustLevel.LOW,
        )
    ]


def demo_options(next_url: str, level: TrustLevel) -> list[LoginOption]:
    return [
        LoginOption(
            key="dev-idp",
            label="Mit dem Entwicklungs-Anmeldedienst anmelden",
            description="Nur in der Demo.",
            url=f"/test-devidp/?next={next_url}",
            max_level=TrustLevel.HIGH,
            demo=True,
        )
    ]


HERE = "buergerbuero.identity.tests.test_account_support"


@pytest.fixture
def our_login_options(monkeypatch):
    """The login page offers our own three ways in instead of the real modules."""
    monkeypatch.setattr(
        login_options,
        "PROVIDERS",
        [f"{HERE}.bundid_options", f"{HERE}.city_idp_options", f"{HERE}.demo_options"],
    )
