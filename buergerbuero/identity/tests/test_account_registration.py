"""Registration with a confirmed email address, and the password reset — neither tells a
visitor whether an address has an account."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.urls import reverse

from buergerbuero.applications.models import AuditEntry

from .test_account_support import PASSWORD, citizen, emails_to, link_in, our_login_options  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("our_login_options")]

REGISTER = "/registrieren/"
User = get_user_model()


def registration(**overrides) -> dict:
    data = {
        "first_name": "Jan",
        "last_name": "Berg",
        "email": "jan@example.org",
        "new_password1": PASSWORD,
        "new_password2": PASSWORD,
        "privacy": "on",
    }
    data.update(overrides)
    return data


def log_in(client, login_name, password=PASSWORD):
    return client.post("/anmelden/", {"username": login_name, "password": password})


def test_register_confirm_and_log_in(client):
    response = client.post(REGISTER, registration())
    assert response["Location"] == reverse("identity:account_register_done")
    page = client.get(response["Location"]).content.decode()
    assert "Wir haben eine E-Mail an jan@example.org geschickt." in page
    user = User.objects.get(email="jan@example.org")
    assert not user.is_active and user.email_verified_at is None
    assert user.get_full_name() == "Jan Berg"
    assert AuditEntry.objects.filter(actor=user, action="identity.privacy_consent").exists()

    # before the link: no login, but a clear message
    assert "Bitte bestätigen Sie zuerst" in log_in(client, "jan@example.org").content.decode()

    [email] = emails_to("jan@example.org", "account.verify")
    assert email.subject == "Bitte bestätigen Sie Ihre E-Mail-Adresse"
    assert "Guten Tag Jan Berg," in email.body_text
    page = client.get(link_in(email)).content.decode()
    assert "Ihre Adresse ist bestätigt" in page
    user.refresh_from_db()
    assert user.is_active and user.email_verified_at is not None

    response = log_in(client, "jan@example.org")
    assert response.status_code == 302
    assert client.get(reverse("identity:account")).status_code == 200
    # the link again: nothing breaks
    assert "schon bestätigt" in client.get(link_in(email)).content.decode()


def test_a_weak_password_is_explained_in_german_and_the_input_kept(client):
    page = client.post(
        REGISTER, registration(new_password1="12345678", new_password2="12345678")
    ).content.decode()
    assert "Dieses Passwort ist zu üblich." in page
    assert "Dieses Passwort ist komplett numerisch." in page
    assert 'value="jan@example.org"' in page and 'value="Berg"' in page
    assert "12345678" not in page  # passwords are never echoed
    assert not User.objects.filter(email="jan@example.org").exists()


def test_a_password_like_the_name_too_short_or_mistyped_is_refused(client):
    page = client.post(
        REGISTER, registration(new_password1="jan@example.org", new_password2="jan@example.org")
    ).content.decode()
    assert "ähnlich" in page  # "Das Passwort ist zu ähnlich zu …"
    page = client.post(REGISTER, registration(new_password1="kurz", new_password2="kurz"))
    assert "zu kurz" in page.content.decode()
    page = client.post(REGISTER, registration(new_password2="Anders-2026!")).content.decode()
    assert "Die beiden Passwörter stimmen nicht überein." in page


def test_consent_and_a_valid_address_are_required(client):
    data = registration(email="jan(at)example", privacy="")
    del data["privacy"]
    page = client.post(REGISTER, data).content.decode()
    assert "Bitte geben Sie eine E-Mail-Adresse ein, z. B. name@example.org." in page
    assert "Bitte bestätigen Sie, dass Sie die Datenschutzhinweise gelesen haben." in page
    assert 'value="jan(at)example"' in page


def test_registering_an_existing_address_reveals_nothing_and_warns_its_owner(client):
    citizen(email="anna@example.org")
    response = client.post(REGISTER, registration(email="ANNA@example.org"))
    assert response["Location"] == reverse("identity:account_register_done")
    assert User.objects.filter(email__iexact="anna@example.org").count() == 1
    [email] = emails_to("anna@example.org")
    assert email.topic == "account.already_registered"
    assert "bereits ein Konto" in email.body_text
    assert reverse("identity:account_password_reset") in email.body_text


def test_registering_again_while_waiting_sends_the_link_again(client):
    client.post(REGISTER, registration())
    client.post(
        REGISTER, registration(new_password1="Anderes-Pw-2026", new_password2="Anderes-Pw-2026")
    )
    assert User.objects.filter(email="jan@example.org").count() == 1
    assert len(emails_to("jan@example.org", "account.verify")) == 2


def test_an_expired_or_tampered_link_is_refused_with_a_way_on(client, monkeypatch):
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - 73 * 3600)
    client.post(REGISTER, registration())
    monkeypatch.setattr(signing.time, "time", real_time)
    link = link_in(emails_to("jan@example.org", "account.verify")[0])

    response = client.get(link)
    assert response.status_code == 410
    assert "Der Link ist abgelaufen." in response.content.decode()
    assert not User.objects.get(email="jan@example.org").is_active

    response = client.get(link[:-3] + "xyz/")
    assert response.status_code == 400
    assert "unvollständig" in response.content.decode()


def test_resend_answers_the_same_for_any_address(client):
    client.post(REGISTER, registration())
    for address in ("jan@example.org", "niemand@example.org"):
        response = client.post(reverse("identity:account_verify_resend"), {"email": address})
        assert response["Location"] == reverse("identity:account_register_done")
    assert len(emails_to("jan@example.org", "account.verify")) == 2
    assert emails_to("niemand@example.org") == []
    page = client.post(reverse("identity:account_verify_resend"), {"email": ""})
    assert "Bitte geben Sie Ihre E-Mail-Adresse ein." in page.content.decode()


# -- password reset -------------------------------------------------------------------------

RESET = "/passwort-vergessen/"


def test_reset_by_email_link_sets_a_new_password(client):
    citizen()
    response = client.post(RESET, {"email": "anna@example.org"})
    assert response["Location"] == reverse("identity:account_password_reset_done")
    [email] = emails_to("anna@example.org", "account.password_reset")
    link = link_in(email)
    response = client.get(link)  # Django moves the token into the session
    form_url = response["Location"]
    page = client.post(
        form_url, {"new_password1": "12345678", "new_password2": "12345678"}
    ).content.decode()
    assert "Dieses Passwort ist komplett numerisch." in page
    response = client.post(
        form_url, {"new_password1": "Neu-am-Rhein-2026", "new_password2": "Neu-am-Rhein-2026"}
    )
    assert response["Location"] == reverse("identity:account_password_reset_complete")
    assert log_in(client, "anna", "Neu-am-Rhein-2026").status_code == 302
    client.logout()
    # used once: the link is dead
    assert "funktioniert nicht mehr" in client.get(link, follow=True).content.decode()


def test_reset_reveals_nothing_about_unknown_addresses(client):
    response = client.post(RESET, {"email": "niemand@example.org"})
    assert response["Location"] == reverse("identity:account_password_reset_done")
    assert emails_to("niemand@example.org") == []


def test_an_expired_reset_link_is_refused(client, monkeypatch):
    citizen()
    monkeypatch.setattr(
        PasswordResetTokenGenerator,
        "_now",
        lambda self: dt.datetime.now() - dt.timedelta(days=2),
    )
    client.post(RESET, {"email": "anna@example.org"})
    monkeypatch.undo()
    link = link_in(emails_to("anna@example.org", "account.password_reset")[0])
    page = client.get(link, follow=True).content.decode()
    assert "Der Link ist abgelaufen oder wurde schon benutzt." in page


def test_reset_confirms_a_registration_still_waiting(client):
    client.post(REGISTER, registration())
    client.post(RESET, {"email": "jan@example.org"})
    link = link_in(emails_to("jan@example.org", "account.password_reset")[0])
    form_url = client.get(link)["Location"]
    client.post(
        form_url, {"new_password1": "Neu-am-Rhein-2026", "new_password2": "Neu-am-Rhein-2026"}
    )
    user = User.objects.get(email="jan@example.org")
    assert user.is_active and user.email_verified_at
    assert log_in(client, "jan@example.org", "Neu-am-Rhein-2026").status_code == 302


def test_staff_get_no_reset_link_here(client):
    citizen("dienstkonto", email="becker@stadt.example", is_staff=True)
    client.post(RESET, {"email": "becker@stadt.example"})
    assert emails_to("becker@stadt.example") == []
