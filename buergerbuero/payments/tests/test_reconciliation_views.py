"""The cash office's statement and clearing pages, through HTTP."""

import uuid
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from buergerbuero.organisation.models import Department
from buergerbuero.payments.models import BankCredit, BankStatement, CreditMatch, PaymentStatus
from buergerbuero.payments.reconciliation import statement_import
from buergerbuero.payments.references import reference_for

from .camt import camt_document, entry_xml, fixture

pytestmark = pytest.mark.django_db


def kz(amount_cents=1800, description="Anwohnerparkausweis"):
    return reference_for(
        purpose=f"application:{uuid.uuid4()}", amount_cents=amount_cents, description=description
    )


def upload(xml: bytes, name: str = "auszug.xml"):
    return SimpleUploadedFile(name, xml, content_type="application/octet-stream")


@pytest.fixture
def clerk(django_user_model):
    user = django_user_model.objects.create_user(
        "kasse-test", password="x", is_staff=True, first_name="Erika", last_name="Kasse"
    )
    user.user_permissions.add(
        Permission.objects.get(codename="work_cash_office", content_type__app_label="payments")
    )
    return user


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def unmatched():
    """An imported statement with one credit nobody could match."""
    report = statement_import(
        camt_document([entry_xml(amount="12.50", remittance="Schluessel", acct_svcr_ref="U1")]),
        filename="auszug.xml",
    )
    return report.statement.credits.get()


# -- who may enter ------------------------------------------------------------------------


PAGES = [
    ("payments:cash_statements", False),
    ("payments:cash_statement", True),
    ("payments:cash_credits", False),
    ("payments:cash_credit", True),
]


def _url(name, needs_pk, credit):
    if not needs_pk:
        return reverse(name)
    pk = credit.statement_id if name == "payments:cash_statement" else credit.pk
    return reverse(name, args=[pk])


@pytest.mark.parametrize(("name", "needs_pk"), PAGES)
def test_anonymous_visitors_go_to_the_login(client, unmatched, name, needs_pk):
    url = _url(name, needs_pk, unmatched)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:staff_login"))
    assert url in unquote(response["Location"])


@pytest.mark.parametrize(("name", "needs_pk"), PAGES)
def test_a_citizen_and_a_caseworker_without_the_permission_get_403(
    client, django_user_model, unmatched, name, needs_pk
):
    citizen = django_user_model.objects.create_user("buerger-test", password="x")
    caseworker = django_user_model.objects.create_user("sb-test", password="x", is_staff=True)
    caseworker.departments.add(Department.objects.first())
    url = _url(name, needs_pk, unmatched)
    for user in (citizen, caseworker):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403
        assert "Kein Zugang zur Stadtkasse" in response.content.decode()


def test_the_forms_refuse_the_caseworker_too(client, django_user_model, unmatched):
    caseworker = django_user_model.objects.create_user("sb-test", password="x", is_staff=True)
    client.force_login(caseworker)
    response = client.post(
        reverse("payments:cash_credit_clear", args=[unmatched.pk]), {"erledigen-note": "x"}
    )
    assert response.status_code == 403
    unmatched.refresh_from_db()
    assert unmatched.cleared_at is None


# -- statements ---------------------------------------------------------------------------


def test_an_uploaded_statement_is_imported_and_its_report_shown(clerk_client, clerk):
    reference = kz(1800)
    xml = fixture(
        "sparkasse_053_001_02.xml",
        parking_amount="18.00",
        kz_parking=reference.code_display,
        kz_foreign="x",
    )

    response = clerk_client.post(
        reverse("payments:cash_statements"), {"file": upload(xml, "2026-03-16.XML")}, follow=True
    )

    statement = BankStatement.objects.get()
    assert response.redirect_chain[-1][0] == reverse("payments:cash_statement", args=[statement.pk])
    page = response.content.decode()
    assert "„2026-03-16.XML“ eingelesen: 3 neue Gutschriften." in page
    assert "Rücklastschrift" in page and "2026031600012347" in page
    assert "KASSENZEICHEN" in page  # the credits of the statement
    assert statement.imported_by == clerk
    assert reference.payments.get().status == PaymentStatus.PAID
    listing = clerk_client.get(reverse("payments:cash_statements")).content.decode()
    assert "2026-03-16.XML" in listing and "052D2026031606123456" in listing


def test_a_broken_upload_imports_nothing_and_the_page_says_why(clerk_client):
    reference = kz(1800)
    xml = fixture("broken.xml", amount="18.00", kz=reference.code_display)

    response = clerk_client.post(reverse("payments:cash_statements"), {"file": upload(xml)})

    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "Zeile 25" in page
    assert "Es wurde nichts gespeichert" in page
    assert not BankStatement.objects.exists() and not reference.payments.exists()


def test_the_upload_is_judged_by_its_content_not_its_name(clerk_client):
    pdf = clerk_client.post(
        reverse("payments:cash_statements"), {"file": upload(b"%PDF-1.7\n%%EOF\n", "auszug.xml")}
    )
    assert pdf.status_code == 400 and not BankStatement.objects.exists()

    xml = camt_document([entry_xml(amount="5.00", acct_svcr_ref="X1")])
    named_pdf = clerk_client.post(
        reverse("payments:cash_statements"), {"file": upload(xml, "auszug.pdf")}
    )
    assert named_pdf.status_code == 302 and BankStatement.objects.count() == 1


def test_an_upload_above_the_limit_is_refused(clerk_client, settings):
    settings.PAYMENT_CAMT_MAX_BYTES = 2048
    xml = camt_document(entry_xml(amount="1.00", acct_svcr_ref=f"R{n}") for n in range(30))

    response = clerk_client.post(reverse("payments:cash_statements"), {"file": upload(xml)})

    assert response.status_code == 400 and "größer als 2 KB" in response.content.decode()
    assert not BankStatement.objects.exists()


def test_the_same_file_again_says_when_it_was_imported(clerk_client):
    xml = camt_document([entry_xml(amount="5.00", acct_svcr_ref="X1")])
    clerk_client.post(reverse("payments:cash_statements"), {"file": upload(xml)})

    response = clerk_client.post(
        reverse("payments:cash_statements"), {"file": upload(xml)}, follow=True
    )

    assert "bereits eingelesen am" in response.content.decode()
    assert BankStatement.objects.count() == 1 and BankCredit.objects.count() == 1


def test_the_empty_pages_help(clerk_client):
    statements = clerk_client.get(reverse("payments:cash_statements")).content.decode()
    assert "Noch kein Kontoauszug eingelesen." in statements
    credits = clerk_client.get(reverse("payments:cash_credits")).content.decode()
    assert "Keine offenen Eingänge – alles zugeordnet." in credits


def test_the_list_pages_need_a_fixed_number_of_queries(clerk_client, django_assert_max_num_queries):
    entries = [entry_xml(amount=f"{n}.00", acct_svcr_ref=f"U{n}") for n in range(1, 31)]
    for n in range(3):
        statement_import(camt_document(entries, message_id=f"M{n}"), filename=f"{n}.xml")

    with django_assert_max_num_queries(12):
        assert clerk_client.get(reverse("payments:cash_statements")).status_code == 200
    with django_assert_max_num_queries(12):
        assert clerk_client.get(reverse("payments:cash_credits")).status_code == 200
    statement = BankStatement.objects.first()
    with django_assert_max_num_queries(12):
        url = reverse("payments:cash_statement", args=[statement.pk])
        assert clerk_client.get(url).status_code == 200


# -- clearing -----------------------------------------------------------------------------


def test_the_credits_page_lists_what_to_clear_and_fuzzy_matches_to_confirm(clerk_client, unmatched):
    page = clerk_client.get(reverse("payments:cash_credits")).content.decode()

    assert "Schluessel" in page and "12,50 €" in page
    assert reverse("payments:cash_credit", args=[unmatched.pk]) in page
    assert "<caption>" in page and 'scope="col"' in page


def test_a_clerk_assigns_a_credit_to_a_reference(clerk_client, clerk, unmatched):
    reference = kz(1250, description="Fundbüro")
    detail = clerk_client.get(reverse("payments:cash_credit", args=[unmatched.pk]))
    assert 'for="id_zuordnen-code"' in detail.content.decode()

    response = clerk_client.post(
        reverse("payments:cash_credit_assign", args=[unmatched.pk]),
        {"zuordnen-code": reference.code_display.replace(" ", "-"), "zuordnen-note": "Anruf"},
        follow=True,
    )

    assert "das Kassenzeichen ist damit bezahlt" in response.content.decode()
    unmatched.refresh_from_db()
    assert (unmatched.match, unmatched.cleared_by) == (CreditMatch.CLERK, clerk)
    transition = unmatched.payment.transitions.get(to_status="paid")
    assert (transition.source, transition.actor) == ("clerk", clerk)
    assert "Keine offenen Eingänge – alles zugeordnet." in response.content.decode()


def test_a_wrong_check_digit_is_refused_and_the_input_kept(clerk_client, unmatched):
    reference = kz(1250)
    typed = reference.code_display[:-1] + str((int(reference.code[-1]) + 1) % 10)

    response = clerk_client.post(
        reverse("payments:cash_credit_assign", args=[unmatched.pk]),
        {"zuordnen-code": typed, "zuordnen-note": "laut Telefonat"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "Prüfziffern" in page
    assert f'value="{typed}"' in page and "laut Telefonat" in page
    assert 'href="#id_zuordnen-code"' in page  # the summary links to the field
    unmatched.refresh_from_db()
    assert unmatched.match == CreditMatch.UNMATCHED and not reference.payments.exists()


def test_an_unknown_code_is_refused_at_the_field(clerk_client, unmatched):
    response = clerk_client.post(
        reverse("payments:cash_credit_assign", args=[unmatched.pk]),
        {"zuordnen-code": "5399 9999 9974"},
    )
    assert response.status_code == 400
    assert "Es gibt kein Kassenzeichen 5399 9999 9974" in response.content.decode()


def test_marking_done_needs_a_note(clerk_client, clerk, unmatched):
    page = clerk_client.get(reverse("payments:cash_credit", args=[unmatched.pk])).content.decode()
    assert 'id="aktion-erledigen"' in page and 'id="aktion-zuordnen"' in page
    url = reverse("payments:cash_credit_clear", args=[unmatched.pk])

    empty = clerk_client.post(url, {"erledigen-note": ""})
    assert empty.status_code == 400 and "error-summary" in empty.content.decode()

    done = clerk_client.post(url, {"erledigen-note": "zurücküberwiesen am 17.03."})
    assert done.status_code == 302
    unmatched.refresh_from_db()
    assert unmatched.cleared_by == clerk and "zurücküberwiesen" in unmatched.clearing_note
    page = clerk_client.get(reverse("payments:cash_credit", args=[unmatched.pk])).content.decode()
    assert "Dieser Eingang ist erledigt" in page and "zurücküberwiesen am 17.03." in page


def _fuzzy_credit() -> BankCredit:
    reference = kz(2350)
    code = reference.code
    i = max(i for i in range(len(code) - 1) if code[i] != code[i + 1])
    typo = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    statement_import(
        camt_document([entry_xml(amount="23.50", remittance=typo, acct_svcr_ref="F")]),
        filename="f.xml",
    )
    credit = BankCredit.objects.get()
    assert credit.match == CreditMatch.FUZZY
    return credit


def test_a_fuzzy_match_is_confirmed(clerk_client, clerk):
    credit = _fuzzy_credit()
    listed = clerk_client.get(reverse("payments:cash_credits")).content.decode()
    assert "Prüfen" in listed
    page = clerk_client.get(reverse("payments:cash_credit", args=[credit.pk])).content.decode()
    for action in ("bestaetigen", "zuordnen", "zuruecknehmen"):
        assert f'id="aktion-{action}"' in page
    assert 'id="aktion-erledigen"' not in page

    response = clerk_client.post(
        reverse("payments:cash_credit_clear", args=[credit.pk]), {"bestaetigen-note": ""}
    )

    assert response.status_code == 302
    credit.refresh_from_db()
    assert credit.cleared_by == clerk and credit.match == CreditMatch.FUZZY
    assert credit.payment.status == PaymentStatus.PAID


def test_a_wrong_fuzzy_match_is_taken_back(clerk_client, clerk):
    credit = _fuzzy_credit()
    url = reverse("payments:cash_credit_unassign", args=[credit.pk])

    refused = clerk_client.post(url, {"zuruecknehmen-note": ""})
    assert refused.status_code == 400 and "error-summary" in refused.content.decode()

    response = clerk_client.post(url, {"zuruecknehmen-note": "andere Person"}, follow=True)

    assert "Die Zuordnung ist zurückgenommen" in response.content.decode()
    credit.refresh_from_db()
    assert credit.match == CreditMatch.UNMATCHED and credit.payment is None
    assert "andere Person" in credit.clearing_note
