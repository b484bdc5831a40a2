"""Notices and case news reach a BundID citizen's inbox (ZBP) — tested over real HTTP
against the local stand-in (notifications/zbp/testing.py), with its auth, validation and
failures."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from buergerbuero.applications import services as application_services
from buergerbuero.applications.casework import notice_issue
from buergerbuero.applications.models import Application, Case, CaseStatus
from buergerbuero.applications.services import definition_import
from buergerbuero.applications.tasks import notify_citizen
from buergerbuero.applications.tests.conftest import (
    TEST_SERVICE,
    free_sample_definition,
    licence_data,
    person_data,
)
from buergerbuero.identity.models import ExternalIdentity, User
from buergerbuero.notifications.models import InboxDelivery, OutgoingEmail
from buergerbuero.notifications.services import Attachment
from buergerbuero.notifications.zbp.base import InboxMessage, InboxRejected
from buergerbuero.notifications.zbp.conf import inbox_backend
from buergerbuero.notifications.zbp.services import inbox_send, mailbox_handle_remember
from buergerbuero.notifications.zbp.testing import ZbpStandIn, zbp_stand_in

pytestmark = pytest.mark.django_db

BUNDID = "https://id.bund.de/idp"


@pytest.fixture
def zbp_server() -> Iterator[ZbpStandIn]:
    with zbp_stand_in() as server:
        yield server


def citizen(*, method="bundid", has_inbox=True, level="substantial", username="erika") -> User:
    user = User.objects.create_user(username, email=f"{username}@example.org")
    if method:
        ExternalIdentity.objects.create(
            user=user,
            method=method,
            provider=BUNDID if method == "bundid" else "https://login.stadt-koeln.example",
            subject=f"bPK2-{uuid.uuid4().hex}",
            has_inbox=has_inbox,
            last_level=level,
        )
    return user


def case_of(client, user) -> Case:
    """A submitted application of ``user`` (the test service, without a fee)."""
    definition_import(free_sample_definition())
    client.force_login(user)
    client.post(reverse("applications:start", args=[TEST_SERVICE]))
    application = Application.objects.latest("created_at")
    client.post(reverse("applications:step", args=[application.public_id, "person"]), person_data())
    client.post(
        reverse("applications:step", args=[application.public_id, "schein"]), licence_data()
    )
    assert application.__class__.objects.get(pk=application.pk).user_id == user.pk
    return application_services.application_submit(application.pk)


def issue_notice(case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return notice_issue(case, decision=CaseStatus.APPROVED, text="Genehmigt.")


def send_plain(user, django_capture_on_commit_callbacks, **kwargs) -> InboxDelivery | None:
    with django_capture_on_commit_callbacks(execute=True):
        return inbox_send(
            user=user,
            template="notifications/email/test_message",
            context={},
            language="de",
            service="Fischereischein",
            topic="notifications.test",
            **kwargs,
        )


def test_a_notice_reaches_the_bundid_inbox_with_its_pdf_and_the_email_goes_too(
    client, zbp_server, django_capture_on_commit_callbacks
):
    user = citizen()
    identity = user.external_identities.get()
    case = case_of(client, user)

    notice = issue_notice(case, django_capture_on_commit_callbacks)

    [message] = zbp_server.messages
    delivery = InboxDelivery.objects.get(topic="case.notice")
    email = OutgoingEmail.objects.get(topic="case.notice")
    assert message.payload["bpk2"] == identity.subject
    assert message.payload["title"] == email.subject == delivery.subject
    assert case.reference in message.payload["title"]
    assert message.payload["reference"] == case.reference
    assert message.payload["stork_qaa_level"] == 3  # the BundID login's level: substantial
    assert message.payload["onlineServiceId"] == "bb-koeln-test"
    [(filename, mime_type, pdf)] = message.attachments
    assert (filename, mime_type) == (notice.document.name, "application/pdf")
    assert pdf.startswith(b"%PDF")
    with notice.document.file.open("rb") as handle:
        assert pdf == handle.read()
    assert (delivery.status, delivery.attempts) == (InboxDelivery.Status.SENT, 1)
    assert delivery.provider_message_id == message.id
    assert delivery.email == email
    assert [sent.subject for sent in mail.outbox] == [email.subject]


def test_a_notice_is_never_easier_to_read_than_the_application_was_to_file(
    client, zbp_server, django_capture_on_commit_callbacks
):
    # Filed with the ID card (level high); the last BundID login was only a password.
    user = citizen(level="low")
    case = case_of(client, user)
    Application.objects.filter(pk=case.application_id).update(identity_level="high")
    case.refresh_from_db()

    issue_notice(case, django_capture_on_commit_callbacks)

    [message] = zbp_server.messages
    assert message.payload["stork_qaa_level"] == 4


def test_the_same_notice_goes_to_the_inbox_once(
    client, zbp_server, django_capture_on_commit_callbacks
):
    case = case_of(client, citizen())
    issue_notice(case, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        notify_citizen.enqueue(case.pk, "notice")  # a task run twice

    assert len(zbp_server.messages) == 1
    assert InboxDelivery.objects.count() == 1


def test_a_guest_without_inbox_gets_the_email_only(
    client, zbp_server, django_capture_on_commit_callbacks
):
    case = case_of(client, citizen(has_inbox=False))

    issue_notice(case, django_capture_on_commit_callbacks)

    assert OutgoingEmail.objects.filter(topic="case.notice").count() == 1
    assert not InboxDelivery.objects.exists()
    assert zbp_server.messages == []


def test_a_local_account_gets_the_email_only(
    client, zbp_server, django_capture_on_commit_callbacks
):
    case = case_of(client, citizen(method=None))

    issue_notice(case, django_capture_on_commit_callbacks)

    assert OutgoingEmail.objects.filter(topic="case.notice").count() == 1
    assert not InboxDelivery.objects.exists()
    assert zbp_server.requests == []


def test_an_oidc_identity_is_no_inbox(zbp_server, django_capture_on_commit_callbacks):
    user = citizen(method="oidc", has_inbox=True)

    assert send_plain(user, django_capture_on_commit_callbacks) is None
    assert zbp_server.requests == []


def test_without_zbp_configuration_there_is_no_inbox_delivery(
    settings, django_capture_on_commit_callbacks
):
    settings.ZBP_URL = ""

    assert send_plain(citizen(), django_capture_on_commit_callbacks) is None
    assert not InboxDelivery.objects.exists()


def test_the_postkorb_handle_addresses_the_message_when_bundid_sent_one(
    zbp_server, django_capture_on_commit_callbacks
):
    user = citizen()
    handle = str(uuid.uuid4())
    mailbox_handle_remember(identity=user.external_identities.get(), handle=handle)

    send_plain(user, django_capture_on_commit_callbacks)

    [message] = zbp_server.messages
    assert message.payload["mailboxUuid"] == handle
    assert message.payload["bpk2"] == user.external_identities.get().subject


def test_wrong_credentials_fail_at_once_with_a_clear_log(
    settings, zbp_server, caplog, django_capture_on_commit_callbacks
):
    settings.ZBP_CLIENT_SECRET = "not-the-secret"

    with caplog.at_level(logging.WARNING, logger="buergerbuero.notifications"):
        delivery = send_plain(citizen(), django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (InboxDelivery.Status.FAILED, 1)
    assert "InboxAuthError" in delivery.last_error and "ZBP_CLIENT_SECRET" in delivery.last_error
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "NOT DELIVERED" in record.getMessage() and "Erneut senden" in record.getMessage()
    assert "not-the-secret" not in caplog.text and zbp_server.client_secret not in caplog.text
    assert zbp_server.messages == []


def test_a_message_without_a_valid_token_is_refused(zbp_server, settings):
    """The stand-in enforces the bearer token: no OAuth2 configured, no message."""
    settings.ZBP_TOKEN_URL = ""
    message = InboxMessage(
        idempotency_key=str(uuid.uuid4()),
        recipient_subject="bPK2-x",
        mailbox_handle="",
        sender="Stadt Köln",
        title="Test",
        content="Test",
        service="Test",
    )
    from buergerbuero.notifications.zbp.base import InboxAuthError

    with pytest.raises(InboxAuthError):
        inbox_backend().send(message)
    assert zbp_server.messages == []


def test_an_invalid_message_is_refused_for_good(zbp_server):
    message = InboxMessage(
        idempotency_key=str(uuid.uuid4()),
        recipient_subject="bPK2-x",
        mailbox_handle="",
        sender="Stadt Köln",
        title="Test",
        content="Test",
        service="Test",
        stork_qaa_level=7,
    )
    with pytest.raises(InboxRejected, match="stork_qaa_level"):
        inbox_backend().send(message)
    assert zbp_server.messages == []


def test_an_expired_token_is_renewed_without_losing_the_message(
    zbp_server, django_capture_on_commit_callbacks
):
    user = citizen()
    send_plain(user, django_capture_on_commit_callbacks)
    zbp_server.expire_tokens()

    send_plain(user, django_capture_on_commit_callbacks)

    assert len(zbp_server.messages) == 2
    assert zbp_server.tokens_issued == 2
    assert set(InboxDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_lost_answer_is_resent_from_the_admin_without_a_duplicate(
    admin_client, settings, zbp_server, django_capture_on_commit_callbacks
):
    settings.ZBP_TIMEOUT = 0.5
    zbp_server.stall_next(2.0)  # stores the message, answers too late

    delivery = send_plain(
        citizen(),
        django_capture_on_commit_callbacks,
        attachments=[Attachment("Bescheid.pdf", b"%PDF-1.7 test", "application/pdf")],
    )

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (InboxDelivery.Status.QUEUED, 1)
    assert "did not answer" in delivery.last_error
    assert len(zbp_server.messages) == 1  # it did arrive

    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(
            reverse("admin:notifications_inboxdelivery_changelist"),
            {"action": "resend", "_selected_action": [delivery.pk]},
            follow=True,
        )

    assert "1 Nachricht wird erneut an das BundID-Postfach gesendet." in page.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (InboxDelivery.Status.SENT, 1)
    [message] = zbp_server.messages  # the same idempotency key: stored once
    assert delivery.provider_message_id == message.id


def test_the_admin_asks_the_inbox_whether_the_message_was_read(
    admin_client, zbp_server, django_capture_on_commit_callbacks
):
    delivery = send_plain(citizen(), django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    zbp_server.mark_read(delivery.provider_message_id)

    admin_client.post(
        reverse("admin:notifications_inboxdelivery_changelist"),
        {"action": "status_refresh", "_selected_action": [delivery.pk]},
    )

    delivery.refresh_from_db()
    assert delivery.provider_status == "READ"
    page = admin_client.get(reverse("admin:notifications_inboxdelivery_changelist"))
    assert page.status_code == 200 and "READ" in page.content.decode()


# -- the real worker: retries with backoff -------------------------------------------------


@pytest.fixture
def database_tasks(settings, monkeypatch):
    """The database task backend and one `db_worker --batch` run (see test_worker.py)."""
    import signal

    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    levels = {name: logging.getLogger(name).level for name in ("django_tasks", "django_tasks_db")}

    def run_worker() -> None:
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)

    yield run_worker
    for number, handler in handlers.items():
        signal.signal(number, handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_a_503_is_retried_later_and_delivered_exactly_once(
    database_tasks, zbp_server, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    zbp_server.fail_next(503)
    delivery = send_plain(citizen(), django_capture_on_commit_callbacks)

    database_tasks()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (InboxDelivery.Status.QUEUED, 1)
    assert "HTTP 503" in delivery.last_error
    [retry] = DBTaskResult.objects.filter(status="READY")
    assert retry.run_after == delivery.next_attempt_at > timezone.now()
    assert zbp_server.messages == []

    database_tasks()  # too early: the retry waits for its time
    assert InboxDelivery.objects.get().attempts == 1

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now() - timedelta(1))
    database_tasks()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (InboxDelivery.Status.SENT, 2)
    [message] = zbp_server.messages
    assert delivery.provider_message_id == message.id


def test_the_delivery_record_outlives_a_deleted_account(
    zbp_server, django_capture_on_commit_callbacks
):
    user = citizen()
    delivery = send_plain(user, django_capture_on_commit_callbacks)
    user.delete()
    delivery.refresh_from_db()  # the proof that the message was delivered stays
    assert delivery.user is None and delivery.status == InboxDelivery.Status.SENT
