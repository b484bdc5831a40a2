"""The embedded default for real: the task row in the database, `manage.py db_worker` runs it."""

import logging
import signal
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from buergerbuero.notifications.models import OutgoingEmail
from buergerbuero.notifications.services import send_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings, monkeypatch):
    """The database task backend, and `db_worker --batch` as a function that runs it once.

    The worker runs in this process, inside the test's transaction (a transactional test
    would flush the demo data other tests rely on). Two things of a long-running worker
    process are neutralised for that: closing "old" database connections between tasks,
    which would end the test's transaction, and its SIGINT/SIGTERM handlers and log levels,
    which would outlive the test.
    """
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


def send(django_capture_on_commit_callbacks) -> OutgoingEmail:
    with django_capture_on_commit_callbacks(execute=True):
        return send_email(
            to="buerger@example.org",
            template="notifications/email/test_message",
            context={},
            topic="notifications.test",
        )


def test_the_worker_delivers_a_queued_email(
    database_tasks, smtp_server, django_capture_on_commit_callbacks
):
    email = send(django_capture_on_commit_callbacks)

    [task] = DBTaskResult.objects.all()
    assert task.task_path == "buergerbuero.notifications.tasks.deliver_email"
    assert smtp_server.messages == []  # nothing leaves before a worker runs

    database_tasks()

    [message] = smtp_server.messages
    assert message["Subject"] == "Virtuelles Bürgerbüro: Testnachricht"
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"


def test_the_worker_retries_later_while_the_mail_server_is_down(
    database_tasks, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.stop()
    email = send(django_capture_on_commit_callbacks)

    database_tasks()

    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.QUEUED, 1)
    [retry] = DBTaskResult.objects.filter(status="READY")
    assert retry.run_after == email.next_attempt_at

    database_tasks()  # too early: the retry waits for its time
    assert OutgoingEmail.objects.get().attempts == 1

    smtp_server.start()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now() - timedelta(1))
    database_tasks()

    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 2)
    assert len(smtp_server.messages) == 1
