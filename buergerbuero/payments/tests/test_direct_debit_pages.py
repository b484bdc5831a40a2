"""SEPA direct debits as people use them: the citizen's mandate page, the cash office's."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buergerbuero.notifications.models import OutgoingEmail
from buergerbuero.payments import direct_debit
from buergerbuero.payments.models import DirectDebitMandate, DirectDebitRun, PaymentStatus

from .test_direct_debit import IBAN, make_citizen, make_mandate, make_reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(django_user_model):
    return make_citizen(django_user_model)


@pytest.fixture
def reference(citizen):
    return make_reference(citizen)


@pytest.fixture
def clerk(django_user_model):
    user = django_user_model.objects.create_user(
        username="kassiererin", is_staff=True, first_name="Sabine", last_name="Krüger"
    )
    user.user_permissions.add(Permission.objects.get(codename="work_cash_office"))
    return user


def mandate_url(reference):
    return reverse("payments:mandate_create", args=[reference.code])


def valid_input(**overrides):
    return {"debtor_name": "Jürgen Weiß", "iban": "DE89 3704 0044 0532 0130 00", "bic": "",
            "consent": "on", **overrides}  # fmt: skip


# -- the citizen's mandate page -------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login(client, reference):
    response = client.get(mandate_url(reference))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:login"))


def test_someone_elses_kassenzeichen_is_not_found(client, django_user_model, reference):
    client.force_login(make_citizen(django_user_model, username="nachbarin"))
    assert client.get(mandate_url(reference)).status_code == 404
    assert client.post(mandate_url(reference), valid_input()).status_code == 404
    assert not DirectDebitMandate.objects.exists()


def test_an_unknown_or_mistyped_code_is_not_found(client, citizen):
    client.force_login(citizen)
    assert client.get("/bezahlen/kassenzeichen/530000000199/lastschrift/").status_code == 404
    assert client.get("/bezahlen/kassenzeichen/quatsch/lastschrift/").status_code == 404


def test_the_page_shows_the_mandate_text_and_prefills_the_account_holder(client, reference):
    client.force_login(reference.user)
    html = client.get(mandate_url(reference)).content.decode()

    assert html.count("<h1") == 1
    assert "Ich ermächtige die Stadtkasse Köln, Zahlungen von meinem Konto mittels" in html
    assert "Erstattung des belasteten Betrages verlangen" in html
    assert "DE98ZZZ09999999999" in html
    assert re.search(r'name="debtor_name"[^>]*value="Jürgen Weiß"', html)
    consent = re.search(r'<input type="checkbox" name="consent"[^>]*>', html).group(0)
    assert 'aria-describedby="id_consent_helptext"' in consent


def test_a_valid_mandate_leads_to_its_confirmation_and_an_email(client, reference):
    client.force_login(reference.user)
    response = client.post(mandate_url(reference), valid_input())

    mandate = DirectDebitMandate.objects.get()
    confirmation = reverse("payments:mandate_confirmation", args=[reference.code])
    assert response.status_code == 302 and response["Location"] == confirmation
    html = client.get(confirmation).content.decode()
    assert mandate.mandate_reference in html
    assert "DE98ZZZ09999999999" in html
    assert "DE89 **** **** **** **30 00" in html
    assert IBAN not in html
    assert reverse("payments:reference", args=[reference.code]) in html
    assert OutgoingEmail.objects.filter(
        topic="payments.mandate_created", to=reference.user.email
    ).exists()


def test_an_invalid_iban_is_named_in_german_and_the_input_is_kept(client, reference):
    client.force_login(reference.user)
    response = client.post(mandate_url(reference), valid_input(iban="DE89 3704 0044 0532 0130 01"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Fehler:" in html
    assert "Bitte prüfen Sie 1 Angabe" in html
    assert 'href="#id_iban"' in html
    assert "Diese IBAN ist nicht gültig" in html
    assert 'value="DE89 3704 0044 0532 0130 01"' in html
    assert 'value="Jürgen Weiß"' in html
    assert 'aria-invalid="true"' in html
    assert not DirectDebitMandate.objects.exists()


def test_a_bic_of_another_bank_is_refused(client, reference):
    client.force_login(reference.user)
    html = client.post(mandate_url(reference), valid_input(bic="BYLADEM1001")).content.decode()

    assert "Dieser BIC passt nicht zur IBAN" in html
    assert 'value="BYLADEM1001"' in html
    assert not DirectDebitMandate.objects.exists()


def test_without_the_tick_there_is_no_mandate(client, reference):
    client.force_login(reference.user)
    data = valid_input()
    del data["consent"]
    html = client.post(mandate_url(reference), data).content.decode()

    assert "Bitte bestätigen Sie das Mandat mit dem Häkchen" in html
    assert not DirectDebitMandate.objects.exists()


def test_the_citizen_sees_and_revokes_the_active_mandate(client, reference):
    mandate = make_mandate(reference)
    client.force_login(reference.user)

    html = client.get(mandate_url(reference)).content.decode()
    assert mandate.mandate_reference in html
    assert "Anderes Konto angeben" in html
    response = client.post(mandate_url(reference), {"aktion": "widerrufen"}, follow=True)

    mandate.refresh_from_db()
    assert not mandate.is_active
    assert "ist widerrufen" in response.content.decode()
    assert OutgoingEmail.objects.filter(topic="payments.mandate_revoked").exists()


def test_a_second_mandate_from_the_page_replaces_the_first(client, reference):
    first = make_mandate(reference)
    client.force_login(reference.user)
    client.post(mandate_url(reference), valid_input(iban="DE02120300000000202051"))

    first.refresh_from_db()
    assert not first.is_active
    assert DirectDebitMandate.objects.get(revoked_at=None).iban == "DE02120300000000202051"


# -- the cash office --------------------------------------------------------------------------


CASH = "/kasse/lastschriften/"


def test_the_cash_office_page_needs_a_login(client):
    response = client.get(CASH)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:staff_login"))


def test_staff_without_the_cash_office_right_and_citizens_are_refused(
    client, django_user_model, citizen
):
    caseworker = django_user_model.objects.create_user(username="sb", is_staff=True)
    for user in (caseworker, citizen):
        client.force_login(user)
        assert client.get(CASH).status_code == 403
        assert client.post(reverse("payments:cash_direct_debit_run_create")).status_code == 403


def test_the_empty_page_says_so(client, clerk):
    client.force_login(clerk)
    html = client.get(CASH).content.decode()

    assert "Zu diesem Tag ist nichts einzuziehen." in html
    assert "Keine Einzüge in Bearbeitung." in html
    assert "Noch keine Lastschrift-Datei erstellt." in html
    assert "Noch kein aktives Mandat." in html
    earliest = direct_debit.earliest_collection_date().isoformat()
    assert re.search(rf'name="collection_date"[^>]*value="{earliest}"', html)
    assert 'aria-current="page">Lastschriften<' in html


def test_the_page_lists_due_collections_and_active_mandates_masked(client, clerk, reference):
    mandate = make_mandate(reference)
    client.force_login(clerk)
    html = client.get(CASH).content.decode()

    assert mandate.mandate_reference in html
    assert "DE89 **** **** **** **30 00" in html
    assert IBAN not in html
    assert "Erstlastschrift (FRST)" in html
    assert "150,00 €" in html


def test_making_a_file_and_downloading_it(client, clerk, reference):
    make_mandate(reference)
    client.force_login(clerk)
    earliest = direct_debit.earliest_collection_date()

    response = client.post(
        reverse("payments:cash_direct_debit_run_create"), {"collection_date": earliest}
    )
    assert response.status_code == 302
    run = DirectDebitRun.objects.get()
    html = client.get(CASH).content.decode()
    assert "ist erstellt" in html
    assert run.message_id in html
    download = reverse("payments:cash_direct_debit_run_download", args=[run.message_id])
    assert download in html

    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == f"attachment; filename=pain008-{run.message_id}.xml"
    assert "no-cache" in response["Cache-Control"]
    assert response.content == bytes(run.xml)
    assert reference.payments.get(status=PaymentStatus.PENDING).direct_debit_run == run


def test_only_the_cash_office_may_download_a_file(client, django_user_model, clerk, reference):
    make_mandate(reference)
    run = direct_debit.run_create(
        collection_date=direct_debit.earliest_collection_date(), user=clerk
    )
    url = reverse("payments:cash_direct_debit_run_download", args=[run.message_id])
    client.force_login(reference.user)
    assert client.get(url).status_code == 403
    client.force_login(clerk)
    assert client.get(url.replace(run.message_id, "LS0")).status_code == 404


def test_a_date_too_early_is_refused_at_the_field(client, clerk, reference):
    make_mandate(reference)
    client.force_login(clerk)

    response = client.post(
        reverse("payments:cash_direct_debit_run_create"), {"collection_date": "2020-01-02"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Der früheste mögliche Fälligkeitstag ist der" in html
    assert 'href="#id_collection_date"' in html
    assert not DirectDebitRun.objects.exists()
    assert "Erstlastschrift (FRST)" in html  # the page still lists what is due


def test_a_run_with_nothing_due_says_so_and_makes_no_file(client, clerk):
    client.force_login(clerk)
    response = client.post(
        reverse("payments:cash_direct_debit_run_create"),
        {"collection_date": direct_debit.earliest_collection_date()},
        follow=True,
    )
    assert "ist nichts einzuziehen" in response.content.decode()
    assert not DirectDebitRun.objects.exists()


def test_recording_a_return_debit(client, clerk, reference):
    make_mandate(reference)
    run = direct_debit.run_create(
        collection_date=direct_debit.earliest_collection_date(), user=clerk
    )
    payment = run.collections.get()
    url = reverse("payments:cash_direct_debit_return", args=[payment.uuid])
    client.force_login(clerk)
    assert url in client.get(CASH).content.decode()

    html = client.get(url).content.decode()
    assert "AM04 – Deckung unzureichend" in html
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Bitte wählen Sie den Rückgabegrund." in response.content.decode()
    response = client.post(url, {"reason": "other"})
    assert "Bitte nennen Sie den Grund im Vermerk." in response.content.decode()
    response = client.post(url, {"reason": "AM04", "note": "Auszug 3"})

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.transitions.last().actor == clerk
    html = client.get(url).content.decode()
    assert "Nur eine Lastschrift in Bearbeitung" in html
    assert 'name="reason"' not in html


def test_the_clerk_revokes_a_mandate_after_asking(client, clerk, reference):
    mandate = make_mandate(reference)
    url = reverse("payments:cash_mandate_revoke", args=[mandate.pk])
    client.force_login(clerk)

    assert "Mandat widerrufen" in client.get(url).content.decode()
    mandate.refresh_from_db()
    assert mandate.is_active
    assert client.post(url).status_code == 302
    mandate.refresh_from_db()
    assert not mandate.is_active


def test_the_page_needs_the_same_queries_for_one_or_many_entries(client, clerk, citizen):
    client.force_login(clerk)

    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CASH).status_code == 200
        return len(captured)

    make_mandate(make_reference(citizen, purpose="dog_tax:1"))
    direct_debit.run_create(collection_date=direct_debit.earliest_collection_date(), user=clerk)
    make_mandate(make_reference(citizen, purpose="dog_tax:2"))
    one_each = queries_for_page()
    for number in range(3, 6):
        make_mandate(make_reference(citizen, purpose=f"dog_tax:{number}"))
    direct_debit.run_create(collection_date=direct_debit.earliest_collection_date(), user=clerk)
    for number in range(6, 9):
        make_mandate(make_reference(citizen, purpose=f"dog_tax:{number}"))

    assert queries_for_page() == one_each
