"""The citizen's data: the export (GDPR Art. 15/20) and the deletion of the account — what
goes, what the city must keep."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from buergerbuero.applications.models import (
    Application,
    ApplicationStatus,
    AuditEntry,
    Case,
    CaseEvent,
    Document,
    FormDefinition,
    Message,
)
from buergerbuero.identity.accounts import services
from buergerbuero.identity.models import ExternalIdentity, IdentityVerification
from buergerbuero.identity.trust import LoginMethod, TrustLevel
from buergerbuero.notifications.services import send_email
from buergerbuero.payments.models import DirectDebitMandate, Payment, PaymentReference

from .test_account_support import PASSWORD, citizen, emails_to, our_login_options  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("our_login_options")]

User = get_user_model()


@pytest.fixture
def anna():
    """Anna with a BundID, a video check, a draft, a submitted case with a message, a paid
    fee, a direct-debit mandate, an authenticator app and an email in the outbox."""
    user = citizen(street="Venloer Straße 1", postcode="50672", city="Köln")
    ExternalIdentity.objects.create(
        user=user,
        method=LoginMethod.BUNDID,
        provider="https://id.bund.de/idp",
        subject="bpk2-anna",
        last_level=TrustLevel.SUBSTANTIAL,
    )
    IdentityVerification.objects.create(
        user=user,
        level=TrustLevel.SUBSTANTIAL,
        document_type="id-card",
        verified_by_name="sb-buergeramt",
    )
    definition = FormDefinition.objects.filter(is_active=True).select_related("service").first()
    draft = Application.objects.create(
        service=definition.service, definition=definition, user=user, answers={"name": "Entwurf"}
    )
    Document.objects.create(
        application=draft,
        kind="upload",
        file="applications/draft/photo",
        name="hund.png",
        content_type="image/png",
        size=10,
        sha256="0" * 64,
    )
    submitted = Application.objects.create(
        service=definition.service,
        definition=definition,
        user=user,
        status=ApplicationStatus.SUBMITTED,
        answers={"name": "Anna Schmitz", "rasse": "Labrador"},
    )
    case = Case.objects.create(
        reference="K-2026-990001",
        application=submitted,
        service=definition.service,
        department=definition.service.department,
        applicant_name="Anna Schmitz",
    )
    CaseEvent.objects.create(case=case, kind="submitted", text="Antrag eingegangen")
    CaseEvent.objects.create(case=case, kind="note", public=False, text="intern: prüfen")
    Message.objects.create(case=case, from_citizen=False, body="Bitte Impfpass nachreichen.")
    reference = PaymentReference.objects.create(
        code="530000990001",
        purpose=submitted.payment_purpose,
        description="Hundesteuer",
        amount_cents=15600,
        user=user,
    )
    Payment.objects.create(
        purpose=submitted.payment_purpose,
        reference=reference,
        description="Hundesteuer",
        amount_cents=15600,
        status="paid",
        provider="test",
        return_url="/",
    )
    DirectDebitMandate.objects.create(
        mandate_reference="M-990001",
        reference=reference,
        user=user,
        debtor_name="Anna Schmitz",
        iban="DE89370400440532013000",
        signed_on="2026-01-02",
    )
    codes = _totp_on(user)
    send_email(
        to=user.email,
        template="notifications/email/test_message",
        context={},
        topic="test",
    )
    return {"user": user, "draft": draft, "case": case, "reference": reference, "codes": codes}


def _totp_on(user):
    from django_otp.oath import totp

    device = services.totp_device_pending(user)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    return services.totp_confirm(user=user, code=code)


# -- export -------------------------------------------------------------------------------


def test_the_export_holds_everything_about_the_person_and_no_secrets(client, anna):
    user = anna["user"]
    other = citizen("bert", email="bert@example.org")
    client.force_login(user)
    response = client.get(reverse("identity:account_export_download"))
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == "anna@example.org"
    assert data["account"]["street"] == "Venloer Straße 1"
    assert data["login_identities"][0]["method"] == "bundid"
    assert data["identity_verifications"][0]["document_type"] == "Personalausweis"
    assert data["second_factor"] == {
        "authenticator_app": True,
        "authenticator_app_since": data["second_factor"]["authenticator_app_since"],
        "backup_codes_left": 10,
    }
    [draft, submitted] = data["applications"]
    assert draft["status"] == "draft" and draft["documents"][0]["name"] == "hund.png"
    case = submitted["case"]
    assert submitted["answers"]["rasse"] == "Labrador"
    assert case["reference"] == "K-2026-990001"
    assert [e["text"] for e in case["events"]] == ["Antrag eingegangen"]  # public only
    assert case["messages"][0]["body"] == "Bitte Impfpass nachreichen."
    assert data["payments"]["kassenzeichen"][0]["amount_cents"] == 15600
    assert data["payments"]["payments"][0]["status"] == "paid"
    assert data["payments"]["direct_debit_mandates"][0]["iban"] == "DE89370400440532013000"
    assert any(email["topic"] == "test" for email in data["emails"])
    assert any(e["action"] == "identity.totp_on" for e in data["consents_and_account_events"])

    text = response.content.decode()
    assert user.password not in text  # no password hash
    assert not any(code in text for code in anna["codes"])  # no backup codes
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert TOTPDevice.objects.get(user=user).key not in text  # no TOTP secret
    assert "bert@example.org" not in text and str(other.pk) not in data["account"].values()
    assert "sb-buergeramt" not in text  # staff names are theirs
    assert AuditEntry.objects.filter(actor=user, action="identity.data_export").exists()


def test_one_time_links_in_account_emails_are_not_exported(client):
    user = citizen()
    client.post("/passwort-vergessen/", {"email": user.email})
    client.force_login(user)
    data = json.loads(client.get(reverse("identity:account_export_download")).content)
    [email] = [e for e in data["emails"] if e["topic"] == "account.password_reset"]
    assert email["text"] == "" and email["subject"]


def test_the_summary_page_counts_and_offers_the_download(client, anna):
    client.force_login(anna["user"])
    page = client.get(reverse("identity:account_export")).content.decode()
    assert reverse("identity:account_export_download") in page
    assert "K-2026-990001" in page
    assert "1 verknüpfter Anmeldedienst" in page
    assert "1 Kassenzeichen" in page


def test_the_export_needs_a_login(client):
    assert client.get(reverse("identity:account_export_download")).status_code == 302


# -- deletion -----------------------------------------------------------------------------

DELETE = "/mein-buergerbuero/konto/loeschen/"


def test_the_page_says_what_is_kept_before_deleting(client, anna):
    client.force_login(anna["user"])
    page = client.get(DELETE).content.decode()
    assert "Was die Stadt aufbewahren muss" in page
    assert "§ 147 Abgabenordnung" in page
    assert "Aufbewahrungsfrist" in page
    assert 'name="password"' in page


def test_a_wrong_password_deletes_nothing(client, anna):
    client.force_login(anna["user"])
    page = client.post(DELETE, {"understood": "on", "password": "falsch"}).content.decode()
    assert "Das Passwort stimmt nicht." in page
    page = client.post(DELETE, {"password": PASSWORD}).content.decode()
    assert "Bitte bestätigen Sie, dass Sie die Hinweise gelesen haben." in page
    assert User.objects.filter(pk=anna["user"].pk).exists()


def test_deleting_removes_the_account_and_drafts_and_keeps_cases_and_payments(client, anna):
    user = anna["user"]
    client.force_login(user)
    response = client.post(DELETE, {"understood": "on", "password": PASSWORD})
    assert response["Location"] == reverse("identity:account_deleted")
    assert "Ihr Konto ist gelöscht" in client.get(response["Location"]).content.decode()

    assert not User.objects.filter(pk=user.pk).exists()
    assert not ExternalIdentity.objects.filter(subject="bpk2-anna").exists()
    assert not Application.objects.filter(pk=anna["draft"].pk).exists()
    assert not Document.objects.filter(name="hund.png").exists()
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert not TOTPDevice.objects.exists() or not TOTPDevice.objects.filter(user_id=user.pk)
    assert not StaticDevice.objects.filter(user_id=user.pk).exists()

    # the department still has the case
    case = Case.objects.get(pk=anna["case"].pk)
    assert case.applicant_name == "Anna Schmitz"
    assert case.application.user is None and case.application.answers["rasse"] == "Labrador"
    # the cash office keeps its records, detached
    reference = PaymentReference.objects.get(pk=anna["reference"].pk)
    assert reference.user is None and reference.payments.count() == 1
    assert DirectDebitMandate.objects.get(mandate_reference="M-990001").user is None

    [email] = emails_to("anna@example.org", "account.deleted")
    assert "Ihren abgeschickten Antrag bearbeitet das Amt weiter" in email.body_text
    assert AuditEntry.objects.filter(action="identity.account_deleted").exists()

    # and nobody gets in with the old credentials
    response = client.post("/anmelden/", {"username": "anna", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert client.get(reverse("identity:account")).status_code == 302


def test_a_bundid_only_account_confirms_by_typing_the_word(client):
    user = citizen()
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    page = client.get(DELETE).content.decode()
    assert 'name="word"' in page and 'name="password"' not in page
    page = client.post(DELETE, {"understood": "on", "word": "ja"}).content.decode()
    assert "Bitte tippen Sie genau das Wort LÖSCHEN" in page
    assert 'value="ja"' in page
    client.post(DELETE, {"understood": "on", "word": "löschen"})
    assert not User.objects.filter(pk=user.pk).exists()


def test_staff_accounts_are_not_deleted_here(client):
    user = citizen("dienstkonto", email="becker@stadt.example", is_staff=True)
    client.force_login(user)
    assert client.get(DELETE).status_code == 404
