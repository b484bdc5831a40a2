"""Brute-force protection (django-axes): after 5 wrong passwords for one user name from one
address, that login is refused for 15 minutes — even with the right password — on the
staff login and the citizens' login alike."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

STAFF_LOGIN = "/verwaltung/anmelden/"
CITIZEN_LOGIN = "/anmelden/"
PASSWORD = "richtig-Passwort-123"


@pytest.fixture
def accounts():
    User = get_user_model()
    return {
        "staff": User.objects.create_user("klara.kasse", password=PASSWORD, is_staff=True),
        "colleague": User.objects.create_user("otto.kollege", password=PASSWORD, is_staff=True),
        "citizen": User.objects.create_user("erika.buergerin", password=PASSWORD),
    }


def attempt(client, url, username, password, **headers):
    return client.post(url, {"username": username, "password": password}, **headers)


def fail_five_times(client, url, username, **headers):
    for _ in range(5):
        response = attempt(client, url, username, "falsch", **headers)
    return response


@pytest.mark.parametrize(
    ("url", "who"), [(STAFF_LOGIN, "staff"), (CITIZEN_LOGIN, "citizen")], ids=["staff", "citizen"]
)
def test_after_five_wrong_passwords_even_the_right_one_is_refused(client, accounts, url, who):
    username = accounts[who].username
    fifth = fail_five_times(client, url, username)
    assert fifth.status_code == 429

    sixth = attempt(client, url, username, PASSWORD)

    html = sixth.content.decode()
    assert sixth.status_code == 429
    assert "Anmeldung vorübergehend gesperrt" in html and "15 Minuten" in html
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_still_let_the_right_one_in(client, accounts):
    for _ in range(4):
        assert attempt(client, STAFF_LOGIN, "klara.kasse", "falsch").status_code == 200

    assert attempt(client, STAFF_LOGIN, "klara.kasse", PASSWORD).status_code == 302


def test_a_different_user_from_the_same_address_is_unaffected(client, accounts):
    fail_five_times(client, STAFF_LOGIN, "klara.kasse")

    response = attempt(client, STAFF_LOGIN, "otto.kollege", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(accounts["colleague"].pk)


def test_the_same_user_from_another_address_is_unaffected(client, accounts):
    fail_five_times(client, STAFF_LOGIN, "klara.kasse", REMOTE_ADDR="203.0.113.7")

    response = attempt(client, STAFF_LOGIN, "klara.kasse", PASSWORD, REMOTE_ADDR="198.51.100.2")

    assert response.status_code == 302


def test_a_forged_forwarded_header_does_not_escape_the_lockout(client, accounts):
    fail_five_times(client, STAFF_LOGIN, "klara.kasse")

    response = attempt(
        client, STAFF_LOGIN, "klara.kasse", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )

    assert response.status_code == 429


def test_behind_a_configured_proxy_the_forwarded_address_counts(client, accounts, settings):
    settings.LOGIN_TRUSTED_PROXIES = 1
    fail_five_times(client, STAFF_LOGIN, "klara.kasse", HTTP_X_FORWARDED_FOR="203.0.113.7")

    locked = attempt(
        client, STAFF_LOGIN, "klara.kasse", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    other_client = attempt(
        client, STAFF_LOGIN, "klara.kasse", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2"
    )

    assert locked.status_code == 429
    assert other_client.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, accounts, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(seconds=1)
    fail_five_times(client, STAFF_LOGIN, "klara.kasse")
    assert attempt(client, STAFF_LOGIN, "klara.kasse", PASSWORD).status_code == 429

    time.sleep(1.2)

    assert attempt(client, STAFF_LOGIN, "klara.kasse", PASSWORD).status_code == 302


def test_the_operator_reads_the_lockout_in_the_log_without_name_or_password(
    client, accounts, caplog
):
    with caplog.at_level(logging.WARNING, logger="buergerbuero.identity"):
        fail_five_times(client, STAFF_LOGIN, "klara.kasse")

    lines = [r.getMessage() for r in caplog.records if r.name == "buergerbuero.identity"]
    assert any(
        f"login locked out for user {accounts['staff'].pk} after 5 failures" in line
        for line in lines
    )
    assert not any("falsch" in line or "klara.kasse" in line for line in lines)
