"""Mein Konto: contact data, password, linked logins, the second factor."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerbuero.identity.models import ExternalIdentity
from buergerbuero.identity.trust import LoginMethod, TrustLevel

from .test_account_support import (  # noqa: F401
    PASSWORD,
    citizen,
    emails_to,
    link_in,
    our_login_options,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("our_login_options")]

ACCOUNT = "/mein-buergerbuero/konto/"


def bundid_of(user, *, level=TrustLevel.SUBSTANTIAL, subject="bpk2-anna"):
    return ExternalIdentity.objects.create(
        user=user,
        method=LoginMethod.BUNDID,
        provider="https://id.bund.de/idp",
        subject=subject,
        last_level=level,
    )


def test_the_account_page_needs_a_login(client):
    response = client.get(ACCOUNT)
    assert response.status_code == 302
    assert response["Location"].startswith("/anmelden/?next=")


def test_my_office_links_to_the_account_page(client):
    client.force_login(citizen())
    assert ACCOUNT in client.get(reverse("applications:my_office")).content.decode()


def test_the_account_page_shows_data_logins_and_the_ways_to_link(client):
    user = citizen(street="Venloer Straße 1", postcode="50672", city="Köln")
    bundid_of(user)
    client.force_login(user)
    page = client.get(ACCOUNT).content.decode()
    assert "Anna Schmitz" in page and "Venloer Straße 1" in page
    assert "Name, Geburtsdatum und Anschrift aus der BundID" in page
    assert "BundID" in page and "substanziell" in page
    assert "Trennen" in page
    # linking = logging in with that way while logged in, coming back here
    assert f"/test-bundid/?next={ACCOUNT}" in page
    assert "Verknüpfen: Mit dem Stadtkonto anmelden" in page
    assert "Zwei-Faktor-Anmeldung einschalten" in page
    assert reverse("identity:account_export") in page
    assert reverse("identity:account_delete") in page


def test_the_only_way_in_cannot_be_unlinked(client):
    user = citizen()
    user.set_unusable_password()
    user.save()
    identity = bundid_of(user)
    client.force_login(user)
    assert "Ihr einziger Anmeldeweg" in client.get(ACCOUNT).content.decode()
    response = client.post(reverse("identity:account_identity_unlink", args=[identity.pk]))
    assert response["Location"] == ACCOUNT
    assert ExternalIdentity.objects.filter(pk=identity.pk).exists()
    assert "Dies ist Ihr einziger Anmeldeweg" in client.get(ACCOUNT).content.decode()


def test_with_a_password_an_identity_can_be_unlinked_but_not_someone_elses(client):
    user = citizen()
    identity = bundid_of(user)
    other = bundid_of(citizen("bert", email="bert@example.org"), subject="bpk2-bert")
    client.force_login(user)
    response = client.post(reverse("identity:account_identity_unlink", args=[other.pk]))
    assert response.status_code == 404
    client.post(reverse("identity:account_identity_unlink", args=[identity.pk]))
    assert not ExternalIdentity.objects.filter(pk=identity.pk).exists()
    assert "Die Anmeldung ist von Ihrem Konto getrennt." in client.get(ACCOUNT).content.decode()


def profile_data(**overrides):
    data = {
        "first_name": "Anna",
        "last_name": "Schmitz",
        "birth_date_0": "4",
        "birth_date_1": "3",
        "birth_date_2": "1992",
        "street": "Aachener Straße 5",
        "postcode": "50674",
        "city": "Köln",
        "phone": "0221 123",
        "email": "anna@example.org",
    }
    data.update(overrides)
    return data


def test_contact_data_are_edited_and_bad_input_is_explained_and_kept(client):
    user = citizen()
    client.force_login(user)
    page = client.post(
        reverse("identity:account_profile"), profile_data(postcode="5067", birth_date_1="13")
    ).content.decode()
    assert "Bitte geben Sie eine Postleitzahl aus fünf Ziffern ein." in page
    assert "Dieses Datum gibt es nicht." in page
    assert 'value="Aachener Straße 5"' in page
    response = client.post(reverse("identity:account_profile"), profile_data())
    assert response["Location"] == ACCOUNT
    user.refresh_from_db()
    assert (user.street, user.postcode, str(user.birth_date)) == (
        "Aachener Straße 5",
        "50674",
        "1992-03-04",
    )
    assert user.email_verified_at is not None  # same address: still confirmed


def test_a_new_email_address_must_be_confirmed(client):
    user = citizen()
    client.force_login(user)
    client.post(reverse("identity:account_profile"), profile_data(email="neu@example.org"))
    user.refresh_from_db()
    assert user.email == "neu@example.org" and user.email_verified_at is None
    [email] = emails_to("neu@example.org", "account.verify")
    assert "Ihre E-Mail-Adresse ist noch nicht bestätigt" in client.get(ACCOUNT).content.decode()
    client.get(link_in(email))
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_name_and_birth_date_from_bundid_are_not_edited_here(client):
    user = citizen()
    bundid_of(user)
    client.force_login(user)
    page = client.get(reverse("identity:account_profile")).content.decode()
    assert 'name="first_name"' not in page and 'name="birth_date_0"' not in page
    assert "stammen aus Ihrem Ausweis über die BundID" in page
    client.post(reverse("identity:account_profile"), profile_data(first_name="Mallory"))
    user.refresh_from_db()
    assert user.first_name == "Anna"


def test_password_change_checks_the_old_one(client):
    user = citizen()
    client.force_login(user)
    url = reverse("identity:account_password")
    page = client.post(
        url,
        {
            "old_password": "falsch",
            "new_password1": "Neu-am-Rhein-2026",
            "new_password2": "Neu-am-Rhein-2026",
        },
    ).content.decode()
    assert "Das bisherige Passwort stimmt nicht." in page
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "Neu-am-Rhein-2026",
            "new_password2": "Neu-am-Rhein-2026",
        },
    )
    assert response["Location"] == ACCOUNT
    assert client.get(ACCOUNT).status_code == 200  # still logged in
    user.refresh_from_db()
    assert user.check_password("Neu-am-Rhein-2026")


def test_a_bundid_only_account_can_set_a_password(client):
    user = citizen()
    user.set_unusable_password()
    user.save()
    bundid_of(user)
    client.force_login(user)
    page = client.get(reverse("identity:account_password")).content.decode()
    assert "Passwort festlegen" in page and 'name="old_password"' not in page
    client.post(
        reverse("identity:account_password"),
        {"new_password1": "Neu-am-Rhein-2026", "new_password2": "Neu-am-Rhein-2026"},
    )
    user.refresh_from_db()
    assert user.has_usable_password()


# -- second factor ------------------------------------------------------------------------


def code_of(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def test_totp_setup_with_qr_code_confirm_backup_codes_once_and_switch_off(client):
    user = citizen()
    client.force_login(user)
    url = reverse("identity:account_totp_setup")
    page = client.get(url).content.decode()
    assert '<svg role="img"' in page and "QR-Code" in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = page.split("<code")[1].split(">", 1)[1].split("<")[0]
    assert len(secret.replace(" ", "")) == 32  # the key in base32, to type in

    page = client.post(url, {"code": "123"}).content.decode()
    assert "Der Code stimmt nicht." in page
    assert 'value="123"' in page
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()

    response = client.post(url, {"code": code_of(device)})
    assert response["Location"] == reverse("identity:account_backup_codes")
    page = client.get(response["Location"]).content.decode()
    codes = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert len(codes) == 10 and all(code in page for code in codes)
    # shown once
    assert client.get(reverse("identity:account_backup_codes"))["Location"] == ACCOUNT
    assert "Sie haben noch 10 Ersatzcodes." in client.get(ACCOUNT).content.decode()

    off = reverse("identity:account_totp_disable")
    page = client.post(off, {"password": "falsch"}).content.decode()
    assert "Das Passwort stimmt nicht." in page
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    client.post(off, {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()


def test_new_backup_codes_replace_the_old(client):
    user = citizen()
    client.force_login(user)
    client.get(reverse("identity:account_totp_setup"))
    device = TOTPDevice.objects.get(user=user)
    client.post(reverse("identity:account_totp_setup"), {"code": code_of(device)})
    first = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    client.get(reverse("identity:account_backup_codes"))
    client.post(reverse("identity:account_backup_codes"))
    second = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(second) == 10 and not first & second
