"""An email address belongs to an account only once confirmed: typing someone else's
address into one's profile (or into a draft's "send me the link") gets none of their mail,
no password reset and no login by that address."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from buergerbuero.notifications.services import send_email

from .test_account_support import PASSWORD, citizen, emails_to, our_login_options  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("our_login_options")]

User = get_user_model()


def victim_mail():
    send_email(
        to="victim@example.org",
        template="notifications/email/test_message",
        context={},
        topic="application.resume_link",
    )


@pytest.fixture
def mallory():
    user = citizen("mallory", email="mallory@example.org")
    # The address is changed without confirmation (as the profile form does it).
    User.objects.filter(pk=user.pk).update(email="victim@example.org", email_verified_at=None)
    return User.objects.get(pk=user.pk)


def test_the_export_holds_no_mail_of_an_unconfirmed_address(client, mallory):
    victim_mail()
    client.force_login(mallory)
    data = json.loads(client.get(reverse("identity:account_export_download")).content)
    assert data["emails"] == []


def test_no_password_reset_for_an_unconfirmed_address(client, mallory):
    client.post(reverse("identity:account_password_reset"), {"email": "victim@example.org"})
    assert not emails_to("victim@example.org", "account.password_reset")


def test_no_login_by_an_unconfirmed_address(client, mallory):
    response = client.post(
        reverse("identity:login"),
        {"username": "victim@example.org", "password": PASSWORD},
    )
    assert response.status_code == 200  # the form again, nobody logged in
    assert "_auth_user_id" not in client.session


def test_registration_with_an_address_only_typed_into_a_profile_works(client, mallory):
    client.post(
        reverse("identity:account_register"),
        {
            "first_name": "Vera",
            "last_name": "Opfer",
            "email": "victim@example.org",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
            "privacy": "on",
        },
    )
    assert User.objects.filter(email__iexact="victim@example.org", is_active=False).exists()
    assert emails_to("victim@example.org", "account.verify")


def test_a_profile_cannot_take_an_address_another_account_confirmed(client):
    citizen("vera", email="vera@example.org")
    mallory = citizen("mallory", email="mallory@example.org")
    client.force_login(mallory)
    response = client.post(
        reverse("identity:account_profile"),
        {"first_name": "Mallory", "last_name": "M", "email": "Vera@example.org"},
    )
    assert "gehört zu einem anderen Konto" in response.content.decode()
    mallory.refresh_from_db()
    assert mallory.email == "mallory@example.org"
