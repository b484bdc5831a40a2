"""SMS: rendered and stored with the change they report, delivered after commit through the
configured gateway — over real HTTP to the local seven.io stand-in — retried while the
gateway is down, failed for good when it refuses, and visible to operators."""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from buergerbuero.notifications.models import OutgoingSms
from buergerbuero.notifications.services import SmsTooLong, send_sms, sms_resend
from buergerbuero.notifications.tests.test_worker import database_tasks  # noqa: F401

pytestmark = pytest.mark.django_db

CALLED = {"number": "A017", "counter": "Schalter 3", "centre": "Kundenzentrum Kalk"}


def send(django_capture_on_commit_callbacks, **kwargs) -> OutgoingSms:
    arguments = {
        "to": "0171 1234567",
        "template": "ticket_called",
        "context": CALLED,
        "topic": "tickets.called",
        **kwargs,
    }
    with django_capture_on_commit_callbacks(execute=True):
        sms = send_sms(**arguments)
    sms.refresh_from_db()
    return sms


# -- the text ---------------------------------------------------------------------------


def test_the_sms_is_rendered_in_german_and_stored_with_the_number_in_e164(
    django_capture_on_commit_callbacks,
):
    sms = send(django_capture_on_commit_callbacks)

    assert sms.to == "+491711234567"
    assert sms.body == "Kundenzentrum Kalk: Wartemarke A017 bitte jetzt zu Schalter 3."
    assert (sms.language, sms.topic) == ("de", "tickets.called")


def test_the_sms_is_rendered_in_the_citizens_language(
    test_templates, django_capture_on_commit_callbacks
):
    german = send(
        django_capture_on_commit_callbacks, template="test_language", context={"number": "A1"}
    )
    english = send(
        django_capture_on_commit_callbacks,
        template="test_language",
        context={"number": "A1"},
        language="en",
    )

    assert german.body == "Gesendet: A1"
    assert (english.body, english.language) == ("Sent: A1", "en")


@pytest.mark.parametrize(
    "template, context",
    [
        ("ticket_few_ahead", {"number": "A017", "ahead": 3, "centre": "Kundenzentrum Porz"}),
        ("ticket_few_ahead", {"number": "A017", "ahead": 1, "centre": "Kundenzentrum Porz"}),
        ("ticket_called", CALLED),
        (
            "appointment_reminder",
            {
                "service": "Personalausweis beantragen",
                "centre": "Kundenzentrum Chorweiler",
                # 09:30 in Köln on the day summer time begins
                "starts_at": dt.datetime(2026, 3, 29, 7, 30, tzinfo=dt.UTC),
                "url": "https://buergerbuero.stadt-koeln.de/termine/x7k2p9/",
            },
        ),
    ],
)
def test_the_example_templates_fit_one_sms(template, context, django_capture_on_commit_callbacks):
    sms = send(django_capture_on_commit_callbacks, template=template, context=context)

    assert len(sms.body) <= 160, sms.body
    assert context["centre"] in sms.body


def test_the_reminder_shows_the_time_in_koeln_and_the_plural_fits_the_count(
    django_capture_on_commit_callbacks,
):
    reminder = send(
        django_capture_on_commit_callbacks,
        template="appointment_reminder",
        context={
            "service": "Reisepass",
            "centre": "Kundenzentrum Kalk",
            "starts_at": dt.datetime(2026, 3, 29, 7, 30, tzinfo=dt.UTC),
        },
    )
    one = send(
        django_capture_on_commit_callbacks,
        template="ticket_few_ahead",
        context={"number": "B002", "ahead": 1, "centre": "Kundenzentrum Kalk"},
    )

    assert "29.03.2026, 09:30 Uhr" in reminder.body
    assert "Absagen" not in reminder.body  # no link given
    assert "noch 1 Person vor Ihnen" in one.body


def test_a_text_longer_than_three_sms_is_a_mistake_of_the_caller(
    django_capture_on_commit_callbacks,
):
    with pytest.raises(SmsTooLong):
        send(django_capture_on_commit_callbacks, context={**CALLED, "centre": "K" * 480})
    assert not OutgoingSms.objects.exists()


def test_a_number_that_is_no_mobile_number_is_refused_before_anything_is_stored(
    django_capture_on_commit_callbacks,
):
    with pytest.raises(ValidationError):
        send(django_capture_on_commit_callbacks, to="0221 221-0")
    assert not OutgoingSms.objects.exists()


# -- console gateway (the default) --------------------------------------------------------


def test_the_console_gateway_logs_the_sms_and_marks_it_sent(
    django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.INFO, logger="buergerbuero.notifications"):
        sms = send(django_capture_on_commit_callbacks)

    assert (sms.status, sms.gateway, sms.attempts) == (OutgoingSms.Status.SENT, "console", 1)
    assert "Wartemarke A017 bitte jetzt zu Schalter 3" in caplog.text
    assert f"sms {sms.pk} (tickets.called) to +49171…567 sent via console" in caplog.text
    assert "+491711234567" not in caplog.text  # numbers are masked in the log


# -- seven.io over HTTP -------------------------------------------------------------------


def test_an_sms_goes_to_seven_io_with_key_sender_and_reference(
    sms_gateway_server, django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.INFO, logger="buergerbuero.notifications"):
        sms = send(django_capture_on_commit_callbacks)

    [message] = sms_gateway_server.messages
    assert message == {
        "to": "+491711234567",
        "text": "Kundenzentrum Kalk: Wartemarke A017 bitte jetzt zu Schalter 3.",
        "from": "StadtKoeln",
        "foreign_id": f"bb-sms-{sms.pk}",
    }
    assert sms.status == OutgoingSms.Status.SENT
    assert (sms.gateway, sms.gateway_message_id) == ("seven", "77000001")
    assert sms.sent_at is not None
    assert "to +49171…567 sent via seven (id 77000001)" in caplog.text


def test_while_seven_io_is_down_the_sms_waits_and_a_resend_delivers_it(
    sms_gateway_server, django_capture_on_commit_callbacks
):
    sms_gateway_server.fail_next(503, "Service Unavailable")
    sms = send(django_capture_on_commit_callbacks)

    assert (sms.status, sms.attempts) == (OutgoingSms.Status.QUEUED, 1)
    assert "GatewayUnavailable" in sms.last_error and "503" in sms.last_error
    assert sms.next_attempt_at > timezone.now()
    assert sms_gateway_server.messages == []

    with django_capture_on_commit_callbacks(execute=True):
        assert sms_resend(sms=sms)

    sms.refresh_from_db()
    assert (sms.status, sms.last_error) == (OutgoingSms.Status.SENT, "")
    assert len(sms_gateway_server.messages) == 1


def test_the_worker_retries_with_backoff_until_seven_io_is_back(
    database_tasks,  # noqa: F811
    sms_gateway_server,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.SMS_RETRY_DELAY = 30
    sms_gateway_server.fail_next(503, count=2)
    with django_capture_on_commit_callbacks(execute=True):
        sms = send_sms(to="+49 171 1234567", template="ticket_called", context=CALLED)

    database_tasks()
    sms.refresh_from_db()
    [retry] = DBTaskResult.objects.filter(status="READY")
    assert (sms.status, sms.attempts) == (OutgoingSms.Status.QUEUED, 1)
    assert retry.run_after == sms.next_attempt_at
    first_wait = sms.next_attempt_at - sms.last_attempt_at
    assert timedelta(seconds=29) < first_wait <= timedelta(seconds=31)

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now() - timedelta(1))
    database_tasks()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (OutgoingSms.Status.QUEUED, 2)
    second_wait = sms.next_attempt_at - sms.last_attempt_at
    assert timedelta(seconds=59) < second_wait <= timedelta(seconds=61)  # doubled

    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(1))
    database_tasks()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (OutgoingSms.Status.SENT, 3)
    assert len(sms_gateway_server.messages) == 1


def test_after_the_last_attempt_the_sms_has_failed(
    sms_gateway_server, django_capture_on_commit_callbacks, settings
):
    settings.SMS_MAX_ATTEMPTS = 1
    sms_gateway_server.fail_next(502)

    sms = send(django_capture_on_commit_callbacks)

    assert (sms.status, sms.attempts) == (OutgoingSms.Status.FAILED, 1)
    assert sms.next_attempt_at is None


@pytest.mark.parametrize(
    "fail, expected",
    [
        (lambda server: server.fail_next(401, "Invalid API key"), "Invalid API key"),
        (lambda server: server.fail_next(400, "Parameter from invalid"), "Parameter from invalid"),
        (lambda server: server.reject_next("202"), "Recipient number invalid"),
        (lambda server: server.reject_next("500"), "not enough credit"),
    ],
)
def test_a_refusal_fails_the_sms_at_once_with_the_providers_reason(
    fail, expected, sms_gateway_server, django_capture_on_commit_callbacks, caplog
):
    fail(sms_gateway_server)

    sms = send(django_capture_on_commit_callbacks)

    assert (sms.status, sms.attempts) == (OutgoingSms.Status.FAILED, 1)
    assert "MessageRejected" in sms.last_error
    assert expected in sms.last_error
    assert f"sms {sms.pk} (tickets.called) to +49171…567 NOT SENT" in caplog.text


def test_a_wrong_api_key_says_which_setting_to_fix(
    sms_gateway_server, django_capture_on_commit_callbacks, settings
):
    settings.SMS_API_KEY = "not-the-key"

    sms = send(django_capture_on_commit_callbacks)

    assert sms.status == OutgoingSms.Status.FAILED
    assert "900" in sms.last_error and "SMS_API_KEY" in sms.last_error
    assert "not-the-key" not in sms.last_error
    assert sms_gateway_server.messages == []


def test_a_gateway_that_is_down_leaves_the_callers_data_intact(
    sms_gateway_server, django_capture_on_commit_callbacks
):
    sms_gateway_server.stop()  # connection refused

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        user = get_user_model().objects.create_user("wartend")
        sms = send_sms(to="0171 1234567", template="ticket_called", context=CALLED)

    assert get_user_model().objects.filter(pk=user.pk).exists()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (OutgoingSms.Status.QUEUED, 1)
    assert "unreachable" in sms.last_error


def test_a_rolled_back_change_sends_no_sms(sms_gateway_server, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_sms(to="0171 1234567", template="ticket_called", context=CALLED)
        raise RuntimeError("the ticket could not be drawn")

    assert not OutgoingSms.objects.exists()
    assert sms_gateway_server.messages == []


# -- operators ----------------------------------------------------------------------------


def failed_sms(sms_gateway_server, django_capture_on_commit_callbacks) -> OutgoingSms:
    sms_gateway_server.reject_next("500")
    return send(django_capture_on_commit_callbacks)


def test_the_admin_lists_the_sms_with_status_and_error_and_resends_it(
    admin_client, sms_gateway_server, django_capture_on_commit_callbacks
):
    sms = failed_sms(sms_gateway_server, django_capture_on_commit_callbacks)

    listing = admin_client.get(reverse("admin:notifications_outgoingsms_changelist"))
    page = listing.content.decode()
    assert listing.status_code == 200
    assert "+491711234567" in page and "Fehlgeschlagen" in page
    assert "not enough credit" in page
    detail = admin_client.get(reverse("admin:notifications_outgoingsms_change", args=[sms.pk]))
    assert "Wartemarke A017" in detail.content.decode()
    assert "<textarea" not in detail.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:notifications_outgoingsms_changelist"),
            {"action": "resend", "_selected_action": [sms.pk]},
            follow=True,
        )

    assert "1 SMS wird erneut gesendet." in response.content.decode()
    sms.refresh_from_db()
    assert sms.status == OutgoingSms.Status.SENT
    assert len(sms_gateway_server.messages) == 1


def test_the_admin_skips_an_sms_that_was_sent(admin_client, django_capture_on_commit_callbacks):
    sms = send(django_capture_on_commit_callbacks)

    response = admin_client.post(
        reverse("admin:notifications_outgoingsms_changelist"),
        {"action": "resend", "_selected_action": [sms.pk]},
        follow=True,
    )

    assert "1 SMS wurde übersprungen" in response.content.decode()


def test_the_development_outbox_shows_the_sms(client, settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    send(django_capture_on_commit_callbacks)

    page = client.get(reverse("notifications:outbox")).content.decode()

    assert 'id="sms-titel"' in page
    assert "Kundenzentrum Kalk: Wartemarke A017 bitte jetzt zu Schalter 3." in page
    assert "+491711234567" in page
    assert "über console" in page


def test_in_production_only_staff_allowed_to_read_sms_see_them(
    client, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = False
    send(django_capture_on_commit_callbacks)
    user = get_user_model().objects.create_user("postausgang", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_outgoingemail"))
    client.force_login(user)

    without = client.get(reverse("notifications:outbox")).content.decode()
    user.user_permissions.add(Permission.objects.get(codename="view_outgoingsms"))
    with_permission = client.get(reverse("notifications:outbox")).content.decode()

    assert "Wartemarke A017" not in without
    assert "Wartemarke A017" in with_permission


# -- configuration ------------------------------------------------------------------------


def ids(settings_overrides, settings, **kwargs) -> set[str]:
    for name, value in settings_overrides.items():
        setattr(settings, name, value)
    return {message.id for message in run_checks(**kwargs)}


def test_seven_without_an_api_key_is_an_error_at_startup(settings):
    assert "notifications.E111" in ids({"SMS_BACKEND": "seven", "SMS_API_KEY": ""}, settings)
    assert "notifications.E111" not in ids({"SMS_API_KEY": "key"}, settings)


def test_an_unknown_backend_or_sender_is_an_error_at_startup(settings):
    assert "notifications.E110" in ids({"SMS_BACKEND": "carrier-pigeon"}, settings)
    found = ids({"SMS_BACKEND": "console", "SMS_SENDER": "Stadt Köln Bürgerbüro"}, settings)
    assert "notifications.E112" in found


def test_the_console_backend_is_a_warning_in_a_deployment_check(settings):
    found = ids({"SMS_BACKEND": "console"}, settings, include_deployment_checks=True)
    assert "notifications.W110" in found
