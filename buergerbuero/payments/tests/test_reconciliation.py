"""reconciliation.py: a camt.053 import matches credits to Kassenzeichen, all or nothing,
and a clerk clears what it could not match."""

import uuid

import pytest
from django.contrib.auth.models import Permission

from buergerbuero.payments import reconciliation, services
from buergerbuero.payments.models import (
    BANK_TRANSFER,
    DIRECT_DEBIT,
    BankCredit,
    BankStatement,
    CreditMatch,
    Payment,
    PaymentStatus,
    PaymentTransition,
    TransitionSource,
)
from buergerbuero.payments.reconciliation import (
    ClearingRefused,
    credit_assign,
    credit_clear,
    credit_unassign,
    reference_codes_in,
    statement_import,
)
from buergerbuero.payments.references import reference_for
from buergerbuero.payments.signals import payment_status_changed

from .camt import camt_document, entry_xml, fixture

pytestmark = pytest.mark.django_db


def kz(amount_cents=1800, *, description="Anwohnerparkausweis", purpose=None, user=None):
    return reference_for(
        purpose=purpose or f"application:{uuid.uuid4()}",
        amount_cents=amount_cents,
        description=description,
        user=user,
    )


def paying(reference, amount: str, *, ref: str | None = None, text: str | None = None, **kw):
    """An entry crediting ``amount`` with the reference's code in the remittance."""
    remittance = text if text is not None else f"Kassenzeichen {reference.code_display}"
    return entry_xml(
        amount=amount, remittance=remittance, acct_svcr_ref=ref or uuid.uuid4().hex[:16], **kw
    )


def load(*entries, name="2026-03-16.xml", **head):
    return statement_import(camt_document(entries, **head), filename=name)


def swapped(code: str) -> str:
    """The code with the last two neighbouring digits that differ swapped (a typing error)."""
    i = max(i for i in range(len(code) - 1) if code[i] != code[i + 1])
    return code[:i] + code[i + 1] + code[i] + code[i + 2 :]


def paid_cents(reference) -> int:
    return sum(p.amount_cents for p in reference.payments.filter(status=PaymentStatus.PAID))


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
def heard():
    """The payments announced through payment_status_changed: (purpose, new, source)."""
    calls = []

    def listener(sender, payment, old_status, new_status, source, **kwargs):
        calls.append((payment.purpose, old_status, new_status, source))

    payment_status_changed.connect(listener, dispatch_uid="test-reconciliation")
    yield calls
    payment_status_changed.disconnect(dispatch_uid="test-reconciliation")


# -- matching -----------------------------------------------------------------------------


def test_an_exact_transfer_pays_the_reference_and_the_purpose_hears_of_it(
    heard, django_capture_on_commit_callbacks
):
    reference = kz(1800, purpose="application:3f6c")

    with django_capture_on_commit_callbacks(execute=True):
        report = statement_import(
            fixture(
                "sparkasse_053_001_02.xml",
                parking_amount="18.00",
                kz_parking=reference.code_display,
                kz_foreign="x",
            ),
            filename="auszug-16.xml",
        )

    assert not report.refused
    credit = BankCredit.objects.get(bank_reference="2026031600012345")
    assert credit.match == CreditMatch.EXACT and credit.reference == reference
    payment = credit.payment
    assert (payment.status, payment.provider, payment.amount_cents) == ("paid", BANK_TRANSFER, 1800)
    assert payment.purpose == "application:3f6c" and payment.paid_at is not None
    paid = payment.transitions.get(to_status=PaymentStatus.PAID)
    assert paid.source == TransitionSource.BANK_STATEMENT
    assert paid.detail == "Kontoauszug auszug-16.xml, Buchung 2026031600012345"
    assert heard == [("application:3f6c", "open", "paid", "bank_statement")]
    statement = report.statement
    assert (statement.credits_total, statement.credits_matched, statement.credits_open) == (3, 1, 2)
    assert statement.debits_skipped == 1 and statement.account_iban == "DE89370400440532013000"


def test_an_open_online_payment_of_the_purpose_is_cancelled_by_the_transfer(start):
    online, _ = start(purpose="application:3f6c", amount_cents=1800)

    load(paying(online.reference, "18.00"))

    online.refresh_from_db()
    assert online.status == PaymentStatus.CANCELLED
    assert online.transitions.get(to_status="cancelled").detail.startswith("Anders bezahlt")
    assert paid_cents(online.reference) == 1800


def test_the_same_file_again_changes_nothing():
    reference = kz(1800)
    xml = camt_document([paying(reference, "18.00", ref="A1"), entry_xml(amount="5.00")])
    first = statement_import(xml, filename="a.xml")
    counts = (BankStatement.objects.count(), BankCredit.objects.count(), Payment.objects.count())

    again = statement_import(xml, filename="a-kopie.xml")

    assert again.already_imported == first.statement and again.statement is None
    assert (BankStatement.objects.count(), BankCredit.objects.count(), Payment.objects.count()) == (
        counts
    )
    assert "bereits eingelesen am" in again.lines()[0]


def test_a_credit_on_two_overlapping_statements_counts_once():
    reference, other = kz(1800), kz(2500)
    load(paying(reference, "18.00", ref="OVERLAP-1"), message_id="MONTAG")

    report = load(
        paying(reference, "18.00", ref="OVERLAP-1"),
        paying(other, "25.00", ref="NEW-2"),
        message_id="DIENSTAG",
    )

    assert report.known == 1 and report.credits == 1
    assert BankCredit.objects.filter(bank_reference="OVERLAP-1").count() == 1
    assert reference.payments.count() == 1 and paid_cents(other) == 2500
    assert "schon aus einem früheren Auszug bekannt" in " ".join(report.lines())


def test_an_unknown_reference_is_unmatched_and_waits_for_a_clerk():
    report = load(entry_xml(amount="12.50", remittance="Kassenzeichen 5300 9999 9999"))

    (credit,) = report.statement.credits.all()
    assert credit.match == CreditMatch.UNMATCHED and credit.payment is None
    assert list(reconciliation.credits_to_clear()) == [credit]
    assert report.statement.credits_open == 1


@pytest.mark.parametrize("how", ["one file", "two files", "one file, a batch per credit"])
def test_two_partial_payments_pay_the_reference_once_they_add_up(how, monkeypatch):
    reference = kz(5000, description="Hundesteuer 2026")
    first, second = paying(reference, "20.00"), paying(reference, "30.00")
    if how == "one file, a batch per credit":
        monkeypatch.setattr(reconciliation, "BATCH_SIZE", 1)
    if how == "two files":
        load(first, message_id="M1")
        partial = BankCredit.objects.get()
        assert (partial.match, partial.reference, partial.cleared_at) == (
            "partial",
            reference,
            None,
        )
        assert paid_cents(reference) == 0
        assert list(reconciliation.credits_to_clear()) == [partial]
        load(second, message_id="M2")
    else:
        load(first, second)

    (payment,) = reference.payments.all()
    assert (payment.status, payment.amount_cents) == (PaymentStatus.PAID, 5000)
    credits = BankCredit.objects.filter(reference=reference)
    assert [c.match for c in credits] == ["partial", "partial"]
    assert all(c.payment == payment and c.cleared_at for c in credits)
    assert not reconciliation.credits_to_clear().exists()
    assert set(BankStatement.objects.values_list("credits_open", flat=True)) == {0}


def test_more_than_is_open_pays_the_reference_and_lists_the_credit_for_a_refund():
    reference = kz(1800)

    load(paying(reference, "25.00"))

    credit = BankCredit.objects.get()
    assert credit.match == CreditMatch.OVERPAID and credit.cleared_at is None
    assert credit.payment.amount_cents == 2500 and paid_cents(reference) == 2500
    assert list(reconciliation.credits_to_clear()) == [credit]


def test_money_for_a_paid_reference_is_overpaid_and_records_no_payment():
    reference = kz(1800)
    load(paying(reference, "18.00"), message_id="M1")

    load(paying(reference, "18.00"), message_id="M2")

    assert reference.payments.count() == 1
    twice = BankCredit.objects.get(match=CreditMatch.OVERPAID)
    assert twice.reference == reference and twice.payment is None


def test_a_foreign_currency_is_never_matched_automatically():
    reference = kz(3000)

    load(paying(reference, "30.00", currency="CHF"))

    credit = BankCredit.objects.get()
    assert (credit.match, credit.currency, credit.payment) == ("foreign_currency", "CHF", None)
    assert paid_cents(reference) == 0


def test_a_file_broken_at_its_end_imports_nothing_and_says_where(monkeypatch):
    monkeypatch.setattr(reconciliation, "BATCH_SIZE", 1)  # earlier credits already written
    reference = kz(1800)
    xml = fixture("broken.xml", amount="18.00", kz=reference.code_display)

    report = statement_import(xml, filename="kaputt.xml")

    assert report.refused and report.error.line == 25
    assert report.lines()[0].startswith("„kaputt.xml“ wurde nicht eingelesen: Zeile 25:")
    assert not BankStatement.objects.exists() and not BankCredit.objects.exists()
    assert not reference.payments.exists()


def test_a_file_of_another_kind_is_refused_by_its_namespace():
    report = statement_import(fixture("pain_008_001_08.xml"), filename="auszug.xml")

    assert report.refused and "pain.008" in report.error.message
    assert not BankStatement.objects.exists()


def test_a_reversal_is_reported_not_matched(payments_log):
    reference = kz(4500)

    report = load(paying(reference, "45.00", reversal=True, direction="DBIT", ref="RL-1"))

    assert report.reversals_count == 1 and report.credits == 0
    assert not BankCredit.objects.exists() and not reference.payments.exists()
    line = next(line for line in report.lines() if "Rücklastschrift" in line)
    assert "RL-1" in line and "45,00" in line
    assert "Rücklastschrift" in payments_log.text


def test_a_direct_debit_collection_is_paid_by_its_end_to_end_id():
    reference = kz(4500, description="Hundesteuer 2026")
    collection = Payment.objects.create(
        purpose=reference.purpose,
        reference=reference,
        description=reference.description,
        amount_cents=4500,
        provider=DIRECT_DEBIT,
        status=PaymentStatus.PENDING,
        return_url="/",
    )

    report = load(entry_xml(amount="45.00", end_to_end_id=collection.uuid.hex, acct_svcr_ref="L1"))

    collection.refresh_from_db()
    assert collection.status == PaymentStatus.PAID
    assert collection.transitions.get(to_status="paid").source == "bank_statement"
    credit = BankCredit.objects.get()
    assert (credit.match, credit.payment, credit.reference) == ("exact", collection, reference)
    assert report.direct_debits == 1 and reference.payments.count() == 1


def test_a_kassenzeichen_with_two_digits_swapped_is_a_fuzzy_match_to_confirm():
    reference = kz(2350, description="Verwarnungsgeld")
    kz(2350, description="Verwarnungsgeld")  # another open one of the same amount
    typo = swapped(reference.code)
    assert typo != reference.code and not reference_codes_in(typo)[0]

    report = load(entry_xml(amount="23.50", remittance=f"VG {typo}", acct_svcr_ref="F1"))

    credit = BankCredit.objects.get()
    assert (credit.match, credit.reference, credit.cleared_at) == ("fuzzy", reference, None)
    assert credit.payment.status == PaymentStatus.PAID  # counts as paid, to be confirmed
    assert "unscharf" in credit.payment.transitions.get(to_status="paid").detail
    assert list(reconciliation.credits_to_clear()) == [credit]
    assert report.counts[CreditMatch.FUZZY] == 1


def test_without_a_code_the_holders_name_matches_when_it_is_unique(django_user_model):
    citizen = django_user_model.objects.create_user("jm", first_name="Jörg", last_name="Müller")
    mine = kz(4500, description="Hundesteuer 2026", user=citizen)
    kz(4500, description="Hundesteuer 2026")  # someone else's, same amount

    load(entry_xml(amount="45.00", remittance="HUNDESTEUER", debtor="JOERG MUELLER"))

    credit = BankCredit.objects.get()
    assert (credit.match, credit.reference) == ("fuzzy", mine)


def test_without_a_code_an_ambiguous_description_stays_unmatched():
    kz(1800, description="Anwohnerparkausweis")
    kz(1800, description="Anwohnerparkausweis")

    load(entry_xml(amount="18.00", remittance="Anwohnerparkausweis", debtor="Unbekannt"))

    assert BankCredit.objects.get().match == CreditMatch.UNMATCHED


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("KZ 5300 0000 0120, Parkausweis", ["530000000120"]),
        ("Kassenzeichen 5300.0000.0120", ["530000000120"]),
        ("KZ530000000120/Fundbuero", ["530000000120"]),
        ("Rechnung 2026 15.03.2026 5300-0000-0120", ["530000000120"]),
        ("KASSENZEICHEN 5300 00 / 00 0120", ["530000000120"]),  # split over two bank lines
        ("Konto 1234530000000120 bitte", []),  # inside a longer number: not taken apart
        ("IBAN DE89 3704 0044 0532 0130 00", []),
        ("IBAN DE89370400440532013000", []),
        ("5300 0000 0102", []),  # two digits swapped: check digits fail
    ],
)
def test_kassenzeichen_are_found_in_any_grouping_but_not_inside_other_numbers(text, codes):
    assert reference_codes_in(text)[0] == codes


def test_an_iban_beside_the_code_does_not_hide_it():
    reference = kz(1800)

    load(
        paying(
            reference,
            "18.00",
            text=f"Erstattung an DE02 1203 0000 0000 2020 51 KZ {reference.code}",
        )
    )

    assert BankCredit.objects.get().match == CreditMatch.EXACT


# -- clearing -----------------------------------------------------------------------------


def test_a_clerk_assigns_an_unmatched_credit_and_the_reference_is_paid(clerk):
    reference = kz(1250, description="Fundbüro")
    load(entry_xml(amount="12.50", remittance="Schluessel", acct_svcr_ref="U1"))
    credit = BankCredit.objects.get()

    result = credit_assign(
        credit_id=credit.pk, code=reference.code_display.replace(" ", "."), note="Anruf", user=clerk
    )

    credit.refresh_from_db()
    assert (credit.match, credit.reference, credit.cleared_by) == ("clerk", reference, clerk)
    assert (
        credit.cleared_at
        and "Erika Kasse" in credit.clearing_note
        and "Anruf" in credit.clearing_note
    )
    paid = credit.payment.transitions.get(to_status="paid")
    assert (paid.source, paid.actor) == ("clerk", clerk)
    assert "bezahlt" in result.message
    assert credit.statement.__class__.objects.get().credits_open == 0


def test_a_wrong_check_digit_or_unknown_code_is_refused(clerk):
    reference = kz(1250)
    load(entry_xml(amount="12.50", remittance="?", acct_svcr_ref="U1"))
    credit = BankCredit.objects.get()
    wrong = reference.code[:-1] + str((int(reference.code[-1]) + 1) % 10)

    with pytest.raises(ClearingRefused) as refused:
        credit_assign(credit_id=credit.pk, code=wrong, note="", user=clerk)
    assert refused.value.field == "code" and "Prüfziffern" in refused.value.message

    with pytest.raises(ClearingRefused, match="Es gibt kein Kassenzeichen"):
        credit_assign(credit_id=credit.pk, code="5399 9999 9974", note="", user=clerk)
    credit.refresh_from_db()
    assert credit.match == CreditMatch.UNMATCHED and not reference.payments.exists()


def test_a_partial_credit_assigned_by_a_clerk_completes_the_reference(clerk):
    reference = kz(5000)
    load(
        paying(reference, "20.00"), entry_xml(amount="30.00", remittance="Rest", acct_svcr_ref="R")
    )
    rest = BankCredit.objects.get(bank_reference="R")

    credit_assign(credit_id=rest.pk, code=reference.code, note="", user=clerk)

    (payment,) = reference.payments.all()
    assert payment.amount_cents == 5000
    assert not reconciliation.credits_to_clear().exists()


def test_clearing_needs_a_note_and_records_who(clerk):
    load(entry_xml(amount="12.50", remittance="?", acct_svcr_ref="U1"))
    credit = BankCredit.objects.get()

    with pytest.raises(ClearingRefused) as refused:
        credit_clear(credit_id=credit.pk, note=" ", user=clerk)
    assert refused.value.field == "note"

    credit_clear(credit_id=credit.pk, note="am 17.03. zurücküberwiesen", user=clerk)
    credit.refresh_from_db()
    assert credit.cleared_by == clerk and "zurücküberwiesen" in credit.clearing_note
    with pytest.raises(ClearingRefused, match="bereits am"):
        credit_clear(credit_id=credit.pk, note="nochmal", user=clerk)


def test_a_wrong_fuzzy_match_is_taken_back_and_its_payment_refunded(clerk):
    reference = kz(2350)
    load(entry_xml(amount="23.50", remittance=swapped(reference.code), acct_svcr_ref="F"))
    credit = BankCredit.objects.get()
    assert credit.match == CreditMatch.FUZZY

    credit_unassign(credit_id=credit.pk, note="andere Person", user=clerk)

    credit.refresh_from_db()
    assert (credit.match, credit.reference, credit.payment) == ("unmatched", None, None)
    assert reference.payments.get().status == PaymentStatus.REFUNDED
    assert paid_cents(reference) == 0


def test_a_fuzzy_match_reassigned_moves_the_money(clerk):
    wrong, right = kz(2350), kz(2350)
    load(entry_xml(amount="23.50", remittance=swapped(wrong.code), acct_svcr_ref="F"))
    credit = BankCredit.objects.get()

    credit_assign(credit_id=credit.pk, code=right.code, note="", user=clerk)

    assert wrong.payments.get().status == PaymentStatus.REFUNDED
    assert paid_cents(right) == 2350


def test_a_paid_payment_cannot_be_paid_again_by_the_import():
    reference = kz(1800)
    services.payment_record_received(
        reference,
        channel=BANK_TRANSFER,
        amount_cents=1800,
        source=TransitionSource.CLERK,
        detail="bar",
    )

    load(paying(reference, "18.00"))

    assert PaymentTransition.objects.filter(to_status="paid").count() == 1
