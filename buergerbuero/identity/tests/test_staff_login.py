"""The staff login: password, then the second factor (TOTP or a backup code), and its
setup. Codes are real TOTP codes computed from the device's key, as an app would."""

from __future__ import annotations

import base64
import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerbuero.identity.staff.roles import is_staff_account
from buergerbuero.identity.staff.second_factor import (
    backup_codes_renew,
    totp_device_confirm,
    totp_device_start,
)
from buergerbuero.identity.staff.testing import totp_code, totp_code_wrong
from buergerbuero.identity.trust import SESSION_METHOD, SESSION_SECOND_FACTOR, session_identity
from buergerbuero.organisation.models import Department

pytestmark = pytest.mark.django_db

LOGIN = "/verwaltung/anmelden/"
CODE = "/verwaltung/anmelden/code/"
SETUP = "/verwaltung/zweiter-faktor/"
INBOX = "/sachbearbeitung/"
PASSWORD = "geheim-Passwort-123"


@pytest.fixture
def required(settings):
    settings.STAFF_REQUIRE_2FA = True


@pytest.fixture
def caseworker():
    user = get_user_model().objects.create_user(
        "petra.sachbearbeitung", password=PASSWORD, is_staff=True, first_name="Petra"
    )
    user.departments.add(Department.objects.get(slug="steueramt"))
    return user


def with_app(user) -> TOTPDevice:
    """The user has set up an authenticator app (through the same service as the page)."""
    device = totp_device_start(user)
    assert totp_device_confirm(device, totp_code(device)) is not None
    device.refresh_from_db()
    return device


def password_step(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def test_the_staff_login_page_asks_for_user_name_and_password(client):
    html = client.get(LOGIN).content.decode()

    assert "Anmeldung für die Verwaltung" in html
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html
    assert reverse("identity:login") in html  # the way to the citizens' login


def test_in_the_demo_a_caseworker_without_an_app_logs_in_with_the_password(client, caseworker):
    response = password_step(client, caseworker.username)

    assert response.status_code == 302 and response["Location"] == INBOX
    assert client.get(INBOX).status_code == 200
    assert client.session[SESSION_METHOD] == "local"
    assert client.session[SESSION_SECOND_FACTOR] is False


def test_a_wrong_password_is_refused_with_a_german_message_and_the_name_kept(client, caseworker):
    response = password_step(client, caseworker.username, password="falsch")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Benutzername oder Passwort stimmen nicht" in html
    assert f'value="{caseworker.username}"' in html
    assert "_auth_user_id" not in client.session


def test_a_citizen_account_is_sent_to_the_citizens_login(client):
    get_user_model().objects.create_user("erika", password=PASSWORD)

    html = password_step(client, "erika").content.decode()

    assert "gehört nicht zur Verwaltung" in html
    assert "_auth_user_id" not in client.session
    assert is_staff_account(get_user_model().objects.get(username="erika")) is False


def test_with_an_app_the_password_alone_does_not_log_in(client, caseworker):
    device = with_app(caseworker)

    response = password_step(client, caseworker.username, next_url=INBOX)

    assert response["Location"] == CODE
    assert "_auth_user_id" not in client.session
    assert client.get(INBOX)["Location"].startswith(LOGIN)
    page = client.get(CODE).content.decode()
    assert 'autocomplete="one-time-code"' in page

    wrong = client.post(CODE, {"code": totp_code_wrong(device)})
    assert wrong.status_code == 200 and "Dieser Code stimmt nicht" in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    # After a wrong code the device takes the next one only a second later (django-otp).
    throttled = client.post(CODE, {"code": totp_code(device, steps_ahead=1)})
    assert "Bitte warten Sie 1 Sekunde" in throttled.content.decode()
    time.sleep(1.1)
    right = client.post(CODE, {"code": totp_code(device, steps_ahead=1)})
    assert right.status_code == 302 and right["Location"] == INBOX
    identity = session_identity(right.wsgi_request)
    assert identity.second_factor is True and identity.level == "low"
    assert client.get(INBOX).status_code == 200


def test_the_code_step_without_the_password_step_goes_back_to_the_login(client, caseworker):
    with_app(caseworker)

    response = client.get(CODE)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_backup_code_works_once(client, caseworker):
    with_app(caseworker)
    code = backup_codes_renew(caseworker)[0]

    password_step(client, caseworker.username)
    assert client.post(CODE, {"code": code})["Location"] == INBOX
    assert "verbraucht" in client.get(reverse("identity:staff_account")).content.decode()

    client.logout()
    password_step(client, caseworker.username)
    again = client.post(CODE, {"code": code})
    assert again.status_code == 200 and "Dieser Code stimmt nicht" in again.content.decode()


def test_where_required_a_staff_member_without_an_app_sets_one_up_before_anything_else(
    client, caseworker, required
):
    response = password_step(client, caseworker.username, next_url=INBOX)
    assert response["Location"] == SETUP
    assert "_auth_user_id" not in client.session  # not logged in before the app works

    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=caseworker, confirmed=False)
    assert '<svg role="img"' in page and "<title>QR-Code" in page
    secret = "".join(page.split('id="totp-schluessel">')[1].split("</code>")[0].split())
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key

    wrong = client.post(SETUP, {"code": totp_code_wrong(device)})
    assert wrong.status_code == 200 and "Dieser Code stimmt nicht" in wrong.content.decode()
    bad_format = client.post(SETUP, {"code": "12ab"})
    assert "sechs Ziffern" in bad_format.content.decode()
    assert 'value="12ab"' in bad_format.content.decode()

    time.sleep(1.1)  # the wait after a wrong code
    done = client.post(SETUP, {"code": totp_code(device)})

    html = done.content.decode()
    assert done.status_code == 200 and "Ihre Backup-Codes" in html
    codes = list(
        StaticToken.objects.filter(device__user=caseworker).values_list("token", flat=True)
    )
    assert len(codes) == 10 and all(code in html for code in codes)
    assert f'href="{INBOX}"' in html
    assert client.session[SESSION_SECOND_FACTOR] is True
    assert client.get(INBOX).status_code == 200
    # Shown once: the setup page now belongs to a confirmed device, the codes are not shown.
    assert codes[0] not in client.get(reverse("identity:staff_account")).content.decode()


def test_a_password_alone_never_replaces_an_existing_app(client, caseworker, required):
    device = with_app(caseworker)

    password_step(client, caseworker.username)
    response = client.get(SETUP)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert list(TOTPDevice.objects.filter(user=caseworker)) == [device]


@pytest.mark.parametrize("area", [INBOX, "/kasse/", "/admin/"])
def test_where_required_staff_areas_refuse_a_session_without_the_second_factor(
    client, required, area
):
    admin = get_user_model().objects.get(username="admin")  # may enter all three areas
    admin.departments.add(Department.objects.get(slug="steueramt"))
    client.force_login(admin)

    response = client.get(area)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_where_required_the_login_of_a_password_only_session_asks_for_the_code(
    client, caseworker, required
):
    device = with_app(caseworker)
    client.force_login(caseworker)

    assert client.get(LOGIN)["Location"] == CODE
    assert client.post(CODE, {"code": totp_code(device, steps_ahead=1)}).status_code == 302
    assert client.get(INBOX).status_code == 200


def test_in_the_demo_staff_areas_admit_password_logins(client):
    client.force_login(get_user_model().objects.get(username="becker"))

    assert client.get(INBOX).status_code == 200


def test_the_admin_login_is_the_staff_login(client):
    response = client.get("/admin/login/?next=/admin/identity/user/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/identity/user/"
    assert client.get("/admin/")["Location"] == f"{LOGIN}?next=/admin/"


def test_the_back_office_sends_anonymous_visitors_to_the_staff_login(client):
    assert client.get(INBOX)["Location"] == f"{LOGIN}?next={INBOX}"
    assert client.get("/kasse/")["Location"] == f"{LOGIN}?next=/kasse/"


def test_the_account_page_lists_recent_logins_and_sets_up_an_app_in_the_demo(client, caseworker):
    password_step(client, caseworker.username)

    page = client.get(reverse("identity:staff_account")).content.decode()
    assert "Ihre letzten Anmeldungen" in page and "Steueramt" in page
    assert "Noch nicht eingerichtet" in page

    client.get(SETUP)
    device = TOTPDevice.objects.get(user=caseworker, confirmed=False)
    done = client.post(SETUP, {"code": totp_code(device)})
    assert "Ihre Backup-Codes" in done.content.decode()
    page = client.get(reverse("identity:staff_account")).content.decode()
    assert "Unbenutzte Backup-Codes: 10" in page

    renewed = client.post(reverse("identity:staff_backup_codes"))
    new_codes = set(
        StaticToken.objects.filter(device__user=caseworker).values_list("token", flat=True)
    )
    assert len(new_codes) == 10 and all(code in renewed.content.decode() for code in new_codes)


def test_the_account_page_is_for_staff_only(client):
    assert client.get(reverse("identity:staff_account"))["Location"].startswith(LOGIN)
    client.force_login(get_user_model().objects.get(username="buerger"))
    assert client.get(reverse("identity:staff_account")).status_code == 403
