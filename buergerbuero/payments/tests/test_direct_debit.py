"""SEPA direct debits: business days, accounts, mandates, runs and returns (services)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError

from buergerbuero.core.models import Municipality
from buergerbuero.core.selectors import municipality_forget
from buergerbuero.notifications.models import OutgoingEmail
from buergerbuero.payments import direct_debit, services
from buergerbuero.payments.direct_debit import (
    FIRST,
    RECURRING,
    CollectionDateRefused,
    CollectionNotReturnable,
    CreditorNotConfigured,
    NothingDue,
)
from buergerbuero.payments.models import (
    BANK_TRANSFER,
    DIRECT_DEBIT,
    DirectDebitMandate,
    DirectDebitRun,
    Payment,
    PaymentStatus,
    TransitionSource,
)
from buergerbuero.payments.references import reference_for
from buergerbuero.payments.selectors import balance_of
from buergerbuero.payments.services import transition

pytestmark = pytest.mark.django_db

# A Wednesday; the earliest collection date for a file made on it is Thursday.
TODAY = dt.date(2026, 12, 2)
EARLIEST = dt.date(2026, 12, 3)
# Real test accounts: Commerzbank (the standard's example) and Bayerische Landesbank.
IBAN = "DE89370400440532013000"
OTHER_IBAN = "DE02120300000000202051"


def make_citizen(django_user_model, username="hundehalterin", **extra):
    defaults = {"first_name": "Jürgen", "last_name": "Weiß", "email": f"{username}@example.org"}
    return django_user_model.objects.create_user(username=username, **{**defaults, **extra})


def make_reference(user=None, *, purpose="dog_tax:4711", amount_cents=15000, **extra):
    return reference_for(
        purpose=purpose,
        amount_cents=amount_cents,
        description=extra.pop("description", "Hundesteuer 2027"),
        user=user,
        **extra,
    )


def make_mandate(reference, *, iban=IBAN, bic="", debtor_name="Jürgen Weiß", user=None):
    return direct_debit.mandate_create(
        reference=reference,
        debtor_name=debtor_name,
        iban=iban,
        bic=bic,
        signed_on=TODAY,
        user=user if user is not None else reference.user,
    )


def pay_in(reference, cents):
    """Money for ``reference`` found on a bank statement."""
    return services.payment_record_received(
        reference,
        channel=BANK_TRANSFER,
        amount_cents=cents,
        source=TransitionSource.BANK_STATEMENT,
        detail="Überweisung",
    )


def settle(payment):
    """The credit of a collection arrives (what the statement import reports)."""
    return services.transition(
        payment, PaymentStatus.PAID, source=TransitionSource.BANK_STATEMENT, detail="Gutschrift"
    )


@pytest.fixture
def citizen(django_user_model):
    return make_citizen(django_user_model)


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_user(username="kassiererin", is_staff=True)


@pytest.fixture
def reference(citizen):
    return make_reference(citizen)


# -- business days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "year, easter",
    [(2024, dt.date(2024, 3, 31)), (2026, dt.date(2026, 4, 5)), (2027, dt.date(2027, 3, 28))],
)
def test_easter_sunday(year, easter):
    assert direct_debit.easter_sunday(year) == easter


@pytest.mark.parametrize(
    "day, open_",
    [
        (dt.date(2026, 12, 2), True),  # a Wednesday
        (dt.date(2026, 12, 5), False),  # Saturday
        (dt.date(2027, 1, 1), False),  # New Year
        (dt.date(2027, 3, 26), False),  # Good Friday
        (dt.date(2027, 3, 29), False),  # Easter Monday
        (dt.date(2026, 5, 1), False),  # Labour Day
        (dt.date(2026, 12, 24), True),  # Christmas Eve: TARGET2 is open
        (dt.date(2026, 12, 25), False),
        (dt.date(2028, 12, 26), False),
        (dt.date(2025, 10, 3), True),  # a German holiday, but not a TARGET2 one
    ],
)
def test_target2_business_days(day, open_):
    assert direct_debit.is_target_business_day(day) is open_


@pytest.mark.parametrize(
    "today, earliest",
    [
        (dt.date(2026, 12, 2), dt.date(2026, 12, 3)),  # Wed → Thu
        (dt.date(2026, 12, 4), dt.date(2026, 12, 7)),  # Fri → Mon
        (dt.date(2026, 12, 5), dt.date(2026, 12, 8)),  # Sat: at the bank Mon → Tue
        (dt.date(2026, 12, 24), dt.date(2026, 12, 28)),  # over Christmas
        (dt.date(2026, 12, 31), dt.date(2027, 1, 4)),  # over New Year
        (dt.date(2027, 3, 25), dt.date(2027, 3, 30)),  # over Easter
    ],
)
def test_the_earliest_collection_date_is_one_business_day_after_handing_in(today, earliest):
    assert direct_debit.earliest_collection_date(today=today) == earliest


def test_a_date_before_the_earliest_is_refused_with_the_earliest_named():
    with pytest.raises(CollectionDateRefused) as refused:
        direct_debit.collection_date_check(TODAY, today=TODAY)
    assert "3. Dezember 2026" in str(refused.value)
    assert "zu früh" in str(refused.value)


def test_a_weekend_date_is_refused_with_the_next_business_day_named():
    with pytest.raises(CollectionDateRefused) as refused:
        direct_debit.collection_date_check(dt.date(2026, 12, 12), today=TODAY)
    assert "kein TARGET2-Geschäftstag" in str(refused.value)
    assert "14. Dezember 2026" in str(refused.value)


def test_the_earliest_date_and_later_business_days_are_accepted():
    direct_debit.collection_date_check(EARLIEST, today=TODAY)
    direct_debit.collection_date_check(dt.date(2027, 1, 15), today=TODAY)


# -- bank accounts ------------------------------------------------------------------------------


def test_a_german_iban_needs_no_bic_it_is_derived():
    account = direct_debit.bank_account_clean(iban="de89 3704 0044 0532 0130 00")
    assert (account.iban, account.bic) == (IBAN, "COBADEFFXXX")


def test_an_iban_with_a_wrong_check_digit_is_refused_at_the_iban():
    with pytest.raises(ValidationError) as error:
        direct_debit.bank_account_clean(iban="DE89370400440532013001")
    assert "Diese IBAN ist nicht gültig" in error.value.message_dict["iban"][0]


def test_a_bic_of_another_bank_is_refused_at_the_bic():
    with pytest.raises(ValidationError) as error:
        direct_debit.bank_account_clean(iban=IBAN, bic="BYLADEM1001")
    assert "passt nicht zur IBAN" in error.value.message_dict["bic"][0]


@pytest.mark.parametrize("bic", ["COBADEFFXXX", "cobadeff", "COBADEFF370"])
def test_a_bic_of_the_same_bank_is_accepted_in_any_branch_or_length(bic):
    account = direct_debit.bank_account_clean(iban=IBAN, bic=bic)
    assert account.bic == bic.upper()


def test_an_invalid_bic_is_refused():
    with pytest.raises(ValidationError) as error:
        direct_debit.bank_account_clean(iban=IBAN, bic="COBA")
    assert "Dieser BIC ist nicht gültig" in error.value.message_dict["bic"][0]


def test_an_account_outside_sepa_is_refused():
    with pytest.raises(ValidationError) as error:
        direct_debit.bank_account_clean(iban="BR1800360305000010009795493C1")
    assert "SEPA-Raum" in error.value.message_dict["iban"][0]


def test_outside_the_eea_the_bic_is_required_when_it_cannot_be_derived():
    with pytest.raises(ValidationError) as error:
        direct_debit.bank_account_clean(iban="CH9300762011623852957")
    assert "BIC" in error.value.message_dict["bic"][0]
    account = direct_debit.bank_account_clean(iban="CH9300762011623852957", bic="UBSWCHZH80A")
    assert account.bic == "UBSWCHZH80A"


def test_where_schwifty_does_not_know_the_bank_the_bic_must_be_of_the_ibans_country():
    austrian = "AT611904300234573201"
    assert direct_debit.bank_account_clean(iban=austrian).bic == ""
    assert direct_debit.bank_account_clean(iban=austrian, bic="BKAUATWW").bic == "BKAUATWW"
    with pytest.raises(ValidationError):
        direct_debit.bank_account_clean(iban=austrian, bic="COBADEFFXXX")


def test_the_masked_iban_shows_country_check_digits_and_the_last_four():
    assert direct_debit.iban_masked(IBAN) == "DE89 **** **** **** **30 00"


def test_sepa_text_spells_out_german_letters_and_drops_the_rest():
    assert (
        direct_debit.sepa_text("Jürgen Weiß & Söhne_GmbH €", 70) == "Juergen Weiss Soehne GmbH EUR"
    )
    assert direct_debit.sepa_text("Yılmaz", 70) == "Yilmaz"
    assert len(direct_debit.sepa_text("x" * 200, 140)) == 140


# -- mandates -----------------------------------------------------------------------------------


def test_a_mandate_gets_a_reference_of_the_kassenzeichen_and_the_derived_bic(reference, citizen):
    mandate = make_mandate(reference, iban="DE89 3704 0044 0532 0130 00")

    assert mandate.mandate_reference == f"{reference.code}-1"
    assert re.fullmatch(r"[A-Za-z0-9+?/\-:().,']{1,35}", mandate.mandate_reference)
    assert (mandate.iban, mandate.bic) == (IBAN, "COBADEFFXXX")
    assert (mandate.user, mandate.signed_on, mandate.is_active) == (citizen, TODAY, True)
    assert mandate.created_at is not None


def test_the_citizen_gets_the_mandate_reference_and_creditor_id_by_email(reference, citizen):
    mandate = make_mandate(reference)

    email = OutgoingEmail.objects.get(topic="payments.mandate_created")
    assert email.to == citizen.email
    assert mandate.mandate_reference in email.subject
    assert mandate.mandate_reference in email.body_text
    assert "DE98ZZZ09999999999" in email.body_text
    assert "DE89 **** **** **** **30 00" in email.body_text
    assert "Ich ermächtige die Stadtkasse Köln" in email.body_text
    assert IBAN not in email.body_text


def test_a_new_mandate_revokes_the_old_one_in_the_same_step(reference):
    first = make_mandate(reference)
    second = make_mandate(reference, iban=OTHER_IBAN)

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_active and second.mandate_reference == f"{reference.code}-2"
    assert second.bic == "BYLADEM1001"
    assert DirectDebitMandate.objects.filter(reference=reference, revoked_at=None).count() == 1
    email = OutgoingEmail.objects.filter(topic="payments.mandate_created").latest("pk")
    assert first.mandate_reference in email.body_text  # "ersetzt Ihr bisheriges Mandat …"


def test_an_invalid_iban_creates_no_mandate(reference):
    with pytest.raises(ValidationError):
        make_mandate(reference, iban="DE00370400440532013000")
    assert not DirectDebitMandate.objects.exists()


def test_revoking_a_mandate_records_when_and_tells_the_citizen(reference, citizen):
    mandate = make_mandate(reference)

    direct_debit.mandate_revoke(mandate, by=citizen)
    first_revoked_at = mandate.revoked_at
    direct_debit.mandate_revoke(mandate, by=citizen)  # again: nothing changes

    assert first_revoked_at is not None
    assert mandate.revoked_at == first_revoked_at
    assert OutgoingEmail.objects.filter(topic="payments.mandate_revoked").count() == 1


# -- due collections and runs -------------------------------------------------------------------


def test_a_reference_with_a_mandate_and_an_open_amount_is_due_first(reference):
    mandate = make_mandate(reference)

    [item] = direct_debit.collections_due(collection_date=EARLIEST)

    assert (item.reference, item.mandate) == (reference, mandate)
    assert (item.amount_cents, item.sequence_type) == (15000, FIRST)


def test_only_what_is_open_is_due(citizen):
    partly = make_reference(citizen, purpose="dog_tax:1", amount_cents=15000)
    paid = make_reference(citizen, purpose="dog_tax:2", amount_cents=9000)
    later = make_reference(citizen, purpose="dog_tax:3", due_date=dt.date(2027, 2, 15))
    revoked = make_reference(citizen, purpose="dog_tax:4")
    without_mandate = make_reference(citizen, purpose="dog_tax:5")  # noqa: F841
    for ref in (partly, paid, later, revoked):
        make_mandate(ref)
    pay_in(partly, 4000)
    pay_in(paid, 9000)
    direct_debit.mandate_revoke(revoked.mandates.get(), by=citizen)

    due = direct_debit.collections_due(collection_date=EARLIEST)

    assert [(i.reference, i.amount_cents) for i in due] == [(partly, 11000)]
    due_later = direct_debit.collections_due(collection_date=dt.date(2027, 2, 15))
    assert [i.reference for i in due_later] == [partly, later]


def test_a_run_collects_each_due_reference_as_a_pending_direct_debit(citizen, clerk):
    first = make_reference(citizen, purpose="dog_tax:1", amount_cents=15000)
    second = make_reference(citizen, purpose="dog_tax:2", amount_cents=7550)
    make_mandate(first)
    make_mandate(second, iban=OTHER_IBAN)
    pay_in(second, 50)

    run = direct_debit.run_create(collection_date=EARLIEST, user=clerk, today=TODAY)

    assert (run.collection_count, run.total_cents) == (2, 22500)
    assert (run.collection_date, run.created_by) == (EARLIEST, clerk)
    assert re.fullmatch(r"[A-Z0-9]{1,35}", run.message_id)
    assert bytes(run.xml).startswith(b"<?xml")
    collections = list(run.collections.order_by("reference__code"))
    assert [(p.reference, p.amount_cents) for p in collections] == [(first, 15000), (second, 7500)]
    for payment in collections:
        assert payment.provider == DIRECT_DEBIT
        assert payment.status == PaymentStatus.PENDING
        assert payment.purpose == payment.reference.purpose
        assert payment.description == "Hundesteuer 2027"
        assert payment.mandate == payment.reference.mandates.get()
        assert [(t.from_status, t.to_status, t.source) for t in payment.transitions.all()] == [
            ("", "open", "system"),
            ("open", "pending", "system"),
        ]
    # in a file now: a second run finds nothing
    assert direct_debit.collections_due(collection_date=EARLIEST) == []


def test_the_first_collection_of_a_mandate_is_frst_and_later_ones_rcur(reference, clerk):
    make_mandate(reference)
    [first] = direct_debit.run_create(
        collection_date=EARLIEST, user=clerk, today=TODAY
    ).collections.all()
    assert "FRST" in first.transitions.first().detail
    settle(first)
    # next year's dog tax is added to the Kassenzeichen
    reference = make_reference(reference.user, amount_cents=30000)

    [item] = direct_debit.collections_due(collection_date=EARLIEST)
    assert (item.amount_cents, item.sequence_type) == (15000, RECURRING)
    run = direct_debit.run_create(collection_date=EARLIEST, user=clerk, today=TODAY)
    assert b"<SeqTp>RCUR</SeqTp>" in bytes(run.xml)
    assert b"<SeqTp>FRST</SeqTp>" not in bytes(run.xml)


def test_a_new_mandate_starts_with_frst_again(reference, clerk):
    make_mandate(reference)
    [first] = direct_debit.run_create(
        collection_date=EARLIEST, user=clerk, today=TODAY
    ).collections.all()
    settle(first)
    make_mandate(reference, iban=OTHER_IBAN)
    make_reference(reference.user, amount_cents=30000)

    [item] = direct_debit.collections_due(collection_date=EARLIEST)
    assert item.sequence_type == FIRST


def test_a_live_online_payment_of_the_purpose_is_cancelled_by_the_run(reference, clerk):
    make_mandate(reference)
    online, _url = services.start_payment(
        purpose=reference.purpose,
        amount_cents=15000,
        description="Hundesteuer 2027",
        return_url="/bezahlen/",
    )
    assert online.is_live

    run = direct_debit.run_create(collection_date=EARLIEST, user=clerk, today=TODAY)

    online.refresh_from_db()
    assert online.status == PaymentStatus.CANCELLED
    cancelled = online.transitions.last()
    assert cancelled.source == TransitionSource.SYSTEM
    assert run.message_id in cancelled.detail
    assert run.collections.get().status == PaymentStatus.PENDING


def test_an_empty_run_makes_no_file(reference, clerk):
    with pytest.raises(NothingDue) as nothing:
        direct_debit.run_create(collection_date=EARLIEST, user=clerk, today=TODAY)
    assert "nichts einzuziehen" in str(nothing.value)
    assert not DirectDebitRun.objects.exists()


def test_a_run_for_a_date_too_early_is_refused_and_writes_nothing(reference, clerk):
    make_mandate(reference)
    with pytest.raises(CollectionDateRefused):
        direct_debit.run_create(collection_date=TODAY, user=clerk, today=TODAY)
    assert not DirectDebitRun.objects.exists()
    assert not Payment.objects.filter(provider=DIRECT_DEBIT).exists()


def test_without_the_citys_creditor_id_there_is_no_run(reference, clerk):
    make_mandate(reference)
    Municipality.objects.update(sepa_creditor_id="")
    municipality_forget()

    with pytest.raises(CreditorNotConfigured) as error:
        direct_debit.run_create(collection_date=EARLIEST, user=clerk, today=TODAY)
    assert "Gläubiger-Identifikationsnummer" in str(error.value)
    assert not Payment.objects.filter(provider=DIRECT_DEBIT).exists()


def test_message_ids_differ_between_runs(citizen, clerk):
    ids = set()
    for number in range(3):
        make_mandate(make_reference(citizen, purpose=f"dog_tax:{number}"))
        run = direct_debit.run_create(collection_date=EARLIEST, user=clerk, today=TODAY)
        ids.add(run.message_id)
    assert len(ids) == 3


# -- returns -----------------------------------------------------------------------------------


@pytest.fixture
def collection(reference, clerk):
    make_mandate(reference)
    run = direct_debit.run_create(collection_date=EARLIEST, user=clerk, today=TODAY)
    return run.collections.get()


def test_a_return_debit_fails_the_collection_and_it_is_due_again(collection, clerk):
    direct_debit.collection_returned(collection, reason="AM04", note="Auszug 12/2026", by=clerk)

    collection.refresh_from_db()
    assert collection.status == PaymentStatus.FAILED
    returned = collection.transitions.last()
    assert (returned.source, returned.actor) == (TransitionSource.CLERK, clerk)
    assert returned.detail == "Rücklastschrift: AM04 – Deckung unzureichend. Auszug 12/2026"
    assert collection.mandate.is_active
    [item] = direct_debit.collections_due(collection_date=EARLIEST)
    assert (item.amount_cents, item.sequence_type) == (15000, FIRST)


def test_a_return_for_a_closed_account_revokes_the_mandate(collection, clerk):
    direct_debit.collection_returned(collection, reason="AC04", by=clerk)

    collection.mandate.refresh_from_db()
    assert not collection.mandate.is_active
    assert direct_debit.collections_due(collection_date=EARLIEST) == []


def test_the_clerk_may_revoke_the_mandate_with_any_return(collection, clerk):
    direct_debit.collection_returned(
        collection, reason="Widerspruch per Brief", revoke_mandate=True, by=clerk
    )
    collection.mandate.refresh_from_db()
    assert not collection.mandate.is_active
    assert collection.transitions.last().detail == "Rücklastschrift: Widerspruch per Brief"


def test_a_paid_collection_taken_back_within_eight_weeks_owes_again(collection, clerk):
    settle(collection)
    direct_debit.collection_returned(collection, reason="MD06", by=clerk)
    collection.refresh_from_db()
    assert collection.status == PaymentStatus.FAILED
    assert collection.transitions.last().source == "clerk"
    assert balance_of(collection.reference).open_cents == collection.amount_cents


def test_a_refunded_collection_cannot_be_recorded_as_returned(collection, clerk):
    settle(collection)
    transition(collection, PaymentStatus.REFUNDED, source=TransitionSource.CLERK, actor=clerk)
    with pytest.raises(CollectionNotReturnable) as refused:
        direct_debit.collection_returned(collection, reason="MD06", by=clerk)
    assert "erstattet" in str(refused.value)
    collection.refresh_from_db()
    assert collection.status == PaymentStatus.REFUNDED
