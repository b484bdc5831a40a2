"""The login page: a chooser of the ways in, explained by the level the service needs; the
local login by username or email, refused for staff and unconfirmed accounts; ``next``
kept through every way; the second factor; brute-force protection."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp

from buergerbuero.identity.accounts import services
from buergerbuero.identity.accounts.login import SESSION_PENDING
from buergerbuero.identity.trust import LoginMethod, TrustLevel, session_identity

from .test_account_support import PASSWORD, citizen, our_login_options  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("our_login_options")]

LOGIN = "/anmelden/"


def log_in(client, login_name, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": login_name, "password": password, **extra})


def test_the_page_offers_every_way_in_and_the_local_form(client):
    page = client.get(LOGIN).content.decode()
    assert "Mit BundID anmelden" in page
    assert "Mit dem Stadtkonto anmelden" in page
    assert "Mit dem Entwicklungs-Anmeldedienst anmelden" in page
    assert "Nur Demo – keine echte Prüfung Ihrer Identität" in page  # the dev IdP, marked
    assert 'name="username"' in page and "Benutzername oder E-Mail-Adresse" in page
    assert ">Passwort<" in page
    assert reverse("identity:account_register") in page
    assert reverse("identity:account_password_reset") in page
    assert "Reicht für diese Leistung nicht aus" not in page  # nothing asked for


def test_a_service_needing_substantial_explains_why_and_marks_what_is_not_enough(client):
    page = client.get(LOGIN, {"next": "/antrag/hund/", "niveau": "substantial"}).content.decode()
    assert "Für diese Leistung muss die Stadt sicher wissen, wer Sie sind" in page
    assert "Vertrauensniveau substanziell" in page
    assert "ELSTER-Zertifikat" in page
    # the city IdP (low) and the local account are marked; BundID is not
    assert page.count("Reicht für diese Leistung nicht aus") == 2
    bundid = page.index("Mit BundID anmelden")
    city = page.index("Mit dem Stadtkonto anmelden")
    assert "nicht aus" not in page[bundid:city]
    assert 'name="niveau" value="substantial"' in page
    # each way carries next and the level
    assert "/test-bundid/?next=/antrag/hund/&amp;level=substantial" in page


def test_local_login_by_username_or_email_returns_to_next(client):
    citizen()
    response = log_in(client, "anna", next="/leistungen/hund-anmelden/")
    assert response.status_code == 302
    assert response["Location"] == "/leistungen/hund-anmelden/"
    identity = session_identity(client.get("/").wsgi_request)
    assert identity.method == LoginMethod.LOCAL and identity.level == TrustLevel.LOW
    client.logout()
    response = log_in(client, "Anna@Example.org")
    assert response["Location"] == reverse("applications:my_office")


def test_a_foreign_next_is_ignored(client):
    citizen()
    response = log_in(client, "anna", next="https://evil.example/steal")
    assert response["Location"] == reverse("applications:my_office")
    page = client.get(LOGIN, {"next": "//evil.example/"}).content.decode()
    assert "evil.example" not in page


def test_a_wrong_password_says_so_and_keeps_the_name(client):
    citizen()
    response = log_in(client, "anna", "falsch")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Benutzername oder Passwort stimmen nicht" in page
    assert 'value="anna"' in page
    assert "falsch" not in page
    assert "_auth_user_id" not in client.session


def test_empty_fields_are_named(client):
    page = client.post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert "Bitte geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein." in page
    assert "Bitte geben Sie Ihr Passwort ein." in page


def test_staff_are_sent_to_the_staff_login(client):
    citizen("dienstkonto", email="becker@stadt.example", is_staff=True)
    page = log_in(client, "dienstkonto").content.decode()
    assert "Dienstkonten der Verwaltung melden sich über die Anmeldung für Mitarbeitende an" in page
    assert reverse("identity:staff_login") in page
    assert "_auth_user_id" not in client.session


def test_an_unconfirmed_registration_cannot_log_in_yet(client):
    user = services.account_register(
        first_name="Jan", last_name="Berg", email="jan@example.org", password=PASSWORD
    )
    page = log_in(client, "jan@example.org").content.decode()
    assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in page
    assert reverse("identity:account_verify_resend") in page
    # a wrong password learns nothing about the account
    page = log_in(client, "jan@example.org", "falsch").content.decode()
    assert "Benutzername oder Passwort stimmen nicht" in page
    assert "bestätigen Sie zuerst" not in page
    assert not user.is_active


def test_logged_in_at_a_too_low_level_sees_the_step_up_choice(client):
    user = citizen()
    client.force_login(user)
    response = client.get(LOGIN, {"next": "/antrag/x/", "niveau": "high"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sie sind angemeldet, aber für diese Leistung reicht Ihre Anmeldung nicht aus." in page
    assert "Vertrauensniveau hoch" in page
    assert "Mit BundID anmelden" in page
    assert 'name="password"' not in page  # the local form would not help
    # already enough: straight on
    response = client.get(LOGIN, {"next": "/antrag/x/", "niveau": "low"})
    assert response["Location"] == "/antrag/x/"
    response = client.get(LOGIN, {"next": "/antrag/x/"})
    assert response["Location"] == "/antrag/x/"


def test_local_login_for_a_substantial_service_lands_on_the_step_up_choice(client):
    citizen()
    response = log_in(client, "anna", next="/antrag/x/", niveau="substantial")
    assert response["Location"] == f"{LOGIN}?next=%2Fantrag%2Fx%2F&niveau=substantial"
    page = client.get(response["Location"]).content.decode()
    assert "Sie sind angemeldet, aber" in page


# -- second factor ------------------------------------------------------------------------


def with_totp(user):
    device = services.totp_device_pending(user)
    codes = services.totp_confirm(user=user, code=current_code(device))
    device.refresh_from_db()
    device.last_t = -1  # the confirming code may be used again in this same 30 s window
    device.save()
    return device, codes


def current_code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def test_an_account_with_totp_asks_for_the_code_before_logging_in(client):
    user = citizen()
    device, _codes = with_totp(user)
    response = log_in(client, "anna", next="/leistungen/")
    assert response["Location"] == reverse("identity:account_login_code")
    assert "_auth_user_id" not in client.session  # not logged in yet
    page = client.post(response["Location"], {"code": "000000"}).content.decode()
    assert "Der Code stimmt nicht" in page
    assert "_auth_user_id" not in client.session
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code made the next wait a second
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(reverse("identity:account_login_code"), {"code": current_code(device)})
    assert response["Location"] == "/leistungen/"
    identity = session_identity(response.wsgi_request)
    assert identity.second_factor and identity.level == TrustLevel.LOW


def test_a_videoident_verified_account_with_totp_reaches_substantial(client):
    user = citizen(verified_level=TrustLevel.SUBSTANTIAL)
    device, _codes = with_totp(user)
    log_in(client, "anna", next="/antrag/x/", niveau="substantial")
    response = client.post(reverse("identity:account_login_code"), {"code": current_code(device)})
    assert response["Location"] == "/antrag/x/"  # enough now: no step-up page
    assert session_identity(response.wsgi_request).level == TrustLevel.SUBSTANTIAL


def test_a_backup_code_works_once(client):
    user = citizen()
    _device, codes = with_totp(user)
    log_in(client, "anna")
    response = client.post(reverse("identity:account_login_code"), {"code": codes[0]})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    client.logout()
    log_in(client, "anna")
    page = client.post(reverse("identity:account_login_code"), {"code": codes[0]})
    assert "Der Code stimmt nicht" in page.content.decode()


def test_the_code_step_expires(client):
    user = citizen()
    device, _codes = with_totp(user)
    log_in(client, "anna")
    session = client.session
    session[SESSION_PENDING]["at"] = time.time() - settings.ACCOUNT_LOGIN_CODE_MINUTES * 60 - 1
    session.save()
    response = client.post(reverse("identity:account_login_code"), {"code": current_code(device)})
    assert response["Location"] == reverse("identity:login")
    assert "_auth_user_id" not in client.session


def test_the_code_step_without_a_password_first_goes_back_to_the_login(client):
    response = client.get(reverse("identity:account_login_code"))
    assert response["Location"] == reverse("identity:login")


# -- brute force --------------------------------------------------------------------------


def test_repeated_failures_lock_the_login_even_for_the_right_password(client):
    citizen()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "anna", "falsch")
    response = log_in(client, "anna")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
