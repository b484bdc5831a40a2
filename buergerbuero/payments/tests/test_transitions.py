"""transition(): the state machine, its log, and the signal after the commit."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from buergerbuero.payments import services
from buergerbuero.payments.models import Payment, PaymentStatus, TransitionSource
from buergerbuero.payments.signals import payment_status_changed
from buergerbuero.payments.transitions import PaymentTransitionError

pytestmark = pytest.mark.django_db

S, Src = PaymentStatus, TransitionSource


@pytest.fixture
def payment(start):
    return start()[0]


@pytest.fixture
def heard():
    """The payment_status_changed signals received during the test."""
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    payment_status_changed.connect(receiver, weak=False, dispatch_uid="test-heard")
    yield received
    payment_status_changed.disconnect(dispatch_uid="test-heard")


def statuses_logged(payment):
    return [(t.from_status, t.to_status, t.source) for t in payment.transitions.all()][1:]


def statements(captured) -> list[str]:
    """The SQL run, without the savepoints of the test's own transaction."""
    return [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]


def test_a_provider_confirms_a_payment(payment):
    returned = services.transition(payment, S.PAID, source=Src.PROVIDER, detail="callback 1")

    assert returned.status == S.PAID and returned.paid_at is not None
    assert payment.status == S.PAID  # the caller's instance follows
    assert Payment.objects.get(pk=payment.pk).status == S.PAID
    assert statuses_logged(payment) == [("open", "paid", "provider")]
    assert payment.transitions.last().detail == "callback 1"


def test_open_pending_paid_is_logged_step_by_step(payment):
    services.transition(payment, S.PENDING, source=Src.PROVIDER)
    services.transition(payment, S.PAID, source=Src.BANK_STATEMENT)
    assert statuses_logged(payment) == [
        ("open", "pending", "provider"),
        ("pending", "paid", "bank_statement"),
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (S.PAID, S.CANCELLED),
        (S.PAID, S.PENDING),
        (S.PAID, S.OPEN),
        (S.CANCELLED, S.PENDING),
        (S.FAILED, S.OPEN),
        (S.REFUNDED, S.PAID),
    ],
)
def test_finished_payments_refuse_these_changes(payment, before, after):
    Payment.objects.filter(pk=payment.pk).update(status=before)

    with pytest.raises(PaymentTransitionError):
        services.transition(payment, after, source=Src.CLERK)

    assert Payment.objects.get(pk=payment.pk).status == before
    assert statuses_logged(payment) == []


@pytest.mark.parametrize("before", [S.CANCELLED, S.FAILED])
def test_money_that_arrives_after_a_cancellation_is_recorded_not_lost(payment, before):
    """The citizen switched to bank transfer; the provider's confirmation came late."""
    services.transition(payment, before, source=Src.SYSTEM)

    with pytest.raises(PaymentTransitionError):
        services.transition(payment, S.PAID, source=Src.CITIZEN)
    services.transition(payment, S.PAID, source=Src.PROVIDER, detail="late callback")

    assert Payment.objects.get(pk=payment.pk).status == S.PAID
    assert statuses_logged(payment)[-1] == (before.value, "paid", "provider")


def test_a_citizens_browser_can_cancel_but_never_mark_as_paid(payment):
    with pytest.raises(PaymentTransitionError, match="citizen"):
        services.transition(payment, S.PAID, source=Src.CITIZEN)
    services.transition(payment, S.CANCELLED, source=Src.CITIZEN)
    assert statuses_logged(payment) == [("open", "cancelled", "citizen")]


def test_a_clerk_may_refund_a_paid_payment_and_is_named(payment, admin_user):
    services.transition(payment, S.PAID, source=Src.PROVIDER)
    with pytest.raises(PaymentTransitionError):
        services.transition(payment, S.REFUNDED, source=Src.PROVIDER)

    services.transition(payment, S.REFUNDED, source=Src.CLERK, actor=admin_user)

    assert payment.status == S.REFUNDED
    refund = payment.transitions.last()
    assert (refund.source, refund.actor) == ("clerk", admin_user)


def test_reporting_the_same_status_again_changes_nothing(payment):
    services.transition(payment, S.PAID, source=Src.PROVIDER)
    first_paid_at = payment.paid_at

    services.transition(payment, S.PAID, source=Src.PROVIDER)
    services.transition(payment, S.PAID, source=Src.CITIZEN)  # no change, so no refusal

    assert payment.paid_at == first_paid_at
    assert statuses_logged(payment) == [("open", "paid", "provider")]


def test_two_reports_from_stale_copies_make_one_transition(payment):
    # Two requests (a callback and the citizen's return) loaded the payment while it was open.
    copy_a = Payment.objects.get(pk=payment.pk)
    copy_b = Payment.objects.get(pk=payment.pk)

    services.transition(copy_a, S.PAID, source=Src.PROVIDER)
    services.transition(copy_b, S.PAID, source=Src.PROVIDER)

    assert copy_b.status == S.PAID
    assert payment.transitions.filter(to_status=S.PAID).count() == 1


def test_a_stale_copy_cannot_cancel_what_was_paid_meanwhile(payment):
    stale = Payment.objects.get(pk=payment.pk)
    services.transition(payment, S.PAID, source=Src.PROVIDER)
    with pytest.raises(PaymentTransitionError):
        services.transition(stale, S.CANCELLED, source=Src.CITIZEN)


def test_a_stale_copy_showing_the_reported_status_does_not_hide_a_real_change(payment):
    # Paid, then the bank took the money back (a clerk recorded it through another copy);
    # now the provider confirms the payment again, reported through the old copy.
    services.transition(payment, S.PAID, source=Src.PROVIDER)
    services.transition(Payment.objects.get(pk=payment.pk), S.FAILED, source=Src.CLERK)
    assert payment.status == S.PAID  # stale

    services.transition(payment, S.PAID, source=Src.PROVIDER, detail="confirmed again")

    assert Payment.objects.get(pk=payment.pk).status == S.PAID
    assert statuses_logged(payment)[-1] == ("failed", "paid", "provider")


def test_a_stale_copy_may_make_a_change_its_own_status_would_refuse(payment):
    stale = Payment.objects.get(pk=payment.pk)
    stale.status = S.CANCELLED  # as if read before a change that was rolled back

    services.transition(stale, S.PENDING, source=Src.PROVIDER)

    assert statuses_logged(payment) == [("open", "pending", "provider")]


def test_a_change_is_one_update_of_the_status_read_and_one_log_row_without_a_lock(payment):
    with CaptureQueriesContext(connection) as captured:
        services.transition(payment, S.PAID, source=Src.PROVIDER)

    update, insert = statements(captured.captured_queries)
    assert update.startswith("UPDATE payments_payment ") and "AND status = 'open'" in update
    assert insert.startswith("INSERT INTO payments_paymenttransition ")


def test_a_repeat_is_one_read_no_write_and_no_lock(payment):
    services.transition(payment, S.PAID, source=Src.PROVIDER)

    with CaptureQueriesContext(connection) as captured:
        services.transition(payment, S.PAID, source=Src.PROVIDER)

    [read] = statements(captured.captured_queries)
    assert read.startswith("SELECT ") and "FOR UPDATE" not in read


def test_a_stale_copy_is_decided_on_the_stored_status_under_the_row_lock(payment):
    stale = Payment.objects.get(pk=payment.pk)
    services.transition(payment, S.PENDING, source=Src.PROVIDER)

    with CaptureQueriesContext(connection) as captured:
        services.transition(stale, S.PAID, source=Src.PROVIDER)

    missed, locked, update, insert = statements(captured.captured_queries)
    assert missed.startswith("UPDATE ") and "AND status = 'open'" in missed
    if connection.features.has_select_for_update:
        assert locked.endswith("FOR UPDATE")
    assert update.startswith("UPDATE ") and "AND status = 'pending'" in update
    assert insert.startswith("INSERT ")
    assert stale.status == S.PAID
    assert statuses_logged(payment) == [
        ("open", "pending", "provider"),
        ("pending", "paid", "provider"),
    ]


def test_two_changes_in_one_transaction_are_announced_each_as_it_was(
    payment, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.transition(payment, S.PENDING, source=Src.PROVIDER)
        services.transition(payment, S.PAID, source=Src.PROVIDER)

    assert [(h["old_status"], h["new_status"]) for h in heard] == [
        (S.OPEN, S.PENDING),
        (S.PENDING, S.PAID),
    ]


def test_the_signal_comes_after_the_commit_once_per_real_change(
    payment, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.transition(payment, S.PAID, source=Src.PROVIDER)
    assert heard == []  # nothing announced before the commit
    for callback in callbacks:
        callback()
    assert len(heard) == 1
    assert heard[0]["payment"].pk == payment.pk
    assert (heard[0]["old_status"], heard[0]["new_status"], heard[0]["source"]) == (
        S.OPEN,
        S.PAID,
        Src.PROVIDER,
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.transition(payment, S.PAID, source=Src.PROVIDER)
    assert len(heard) == 1


def test_a_refused_change_announces_nothing(payment, heard, django_capture_on_commit_callbacks):
    services.transition(payment, S.CANCELLED, source=Src.CITIZEN)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PaymentTransitionError):
        services.transition(payment, S.PENDING, source=Src.PROVIDER)
    assert heard == []


def test_a_failing_receiver_is_logged_and_the_others_still_hear(
    payment, heard, django_capture_on_commit_callbacks, payments_log
):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    payment_status_changed.connect(broken, weak=False, dispatch_uid="test-broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.transition(payment, S.PAID, source=Src.PROVIDER)
    finally:
        payment_status_changed.disconnect(dispatch_uid="test-broken")
    assert len(heard) == 1
    assert "receiver bug" in payments_log.text


def test_refresh_status_with_the_test_provider_changes_nothing(payment):
    assert services.refresh_status(payment).status == S.OPEN
    assert statuses_logged(payment) == []


def test_refresh_status_records_what_the_provider_reports(start, fake_provider, settings):
    settings.PAYMENT_PROVIDER = "fake"
    payment, _ = start()
    fake_provider.reports = S.PENDING

    assert services.refresh_status(payment).status == S.PENDING
    assert statuses_logged(payment) == [("open", "pending", "provider")]


def test_refresh_status_ignores_a_report_the_state_machine_refuses(
    start, fake_provider, settings, payments_log
):
    settings.PAYMENT_PROVIDER = "fake"
    payment, _ = start()
    fake_provider.reports = S.REFUNDED

    assert services.refresh_status(payment).status == S.OPEN
    assert "ignored" in payments_log.text


def _race(payment_id, reports):
    """Each (status, source) of ``reports`` from a thread of its own, all starting at once
    with a copy of the payment read before any of them; the errors they raised."""
    start, errors = threading.Barrier(len(reports)), []

    def report(to_status, source):
        try:
            copy = Payment.objects.get(pk=payment_id)
            start.wait()
            services.transition(copy, to_status, source=source)
        except PaymentTransitionError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=r) for r in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _needs_concurrent_connections():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:"):
        # An in-memory SQLite test database is one connection; threads cannot race on it.
        # The suite runs again on PostgreSQL (CI), where they do.
        pytest.skip("needs a database with real concurrent connections (PostgreSQL)")


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_of_one_change_record_and_announce_it_once(start, heard):
    _needs_concurrent_connections()
    payment = start(purpose="fee:race")[0]  # no receiver acts on it

    errors = _race(payment.pk, [(S.PAID, Src.PROVIDER)] * 8)

    assert errors == []
    assert statuses_logged(payment) == [("open", "paid", "provider")]
    assert [(h["old_status"], h["new_status"]) for h in heard] == [(S.OPEN, S.PAID)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_different_reports_leave_a_log_that_is_one_chain(start, heard):
    _needs_concurrent_connections()
    payment = start(purpose="fee:race")[0]  # no receiver acts on it

    errors = _race(
        payment.pk,
        [(S.PAID, Src.PROVIDER), (S.CANCELLED, Src.CITIZEN), (S.PENDING, Src.PROVIDER)] * 4,
    )

    logged = statuses_logged(payment)
    # Every change starts where the one before ended, the stored status is where the last
    # one ended, and each was announced once (each thread after its own commit, so in any
    # order); whatever order the reports took.
    assert [to for _, to, _ in logged[:-1]] == [fro for fro, _, _ in logged[1:]]
    assert logged[0][0] == "open"
    assert Payment.objects.get(pk=payment.pk).status == logged[-1][1] == "paid"
    assert sorted((h["old_status"], h["new_status"]) for h in heard) == sorted(
        (fro, to) for fro, to, _ in logged
    )
    assert all(isinstance(e, PaymentTransitionError) for e in errors)
