"""The development outbox page: who sees it, what it shows, attachment downloads."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from buergerbuero.notifications.models import OutgoingEmail
from buergerbuero.notifications.services import Attachment, send_email

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def email(django_capture_on_commit_callbacks) -> OutgoingEmail:
    with django_capture_on_commit_callbacks(execute=True):  # sent through locmem
        return send_email(
            to="buerger@example.org",
            template="notifications/email/test_message",
            context={},
            attachments=[Attachment("Bescheid Müller.pdf", PDF, "application/pdf")],
            topic="notifications.test",
        )


@pytest.fixture
def outbox_reader(client):
    """Staff allowed to read the outbox in the admin."""
    user = get_user_model().objects.create_user("postausgang", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_outgoingemail"))
    client.force_login(user)
    return client


def urls(email: OutgoingEmail) -> list[str]:
    return [
        reverse("notifications:outbox"),
        reverse("notifications:outbox_detail", args=[email.pk]),
        reverse("notifications:outbox_attachment", args=[email.pk, email.attachments.get().pk]),
    ]


def test_the_outbox_does_not_exist_for_the_public_in_production(client, email):
    for url in urls(email):
        assert client.get(url).status_code == 404, url


def test_staff_without_the_permission_to_read_the_outbox_do_not_see_it(client, email):
    client.force_login(get_user_model().objects.create_user("sachbearbeitung", is_staff=True))
    for url in urls(email):
        assert client.get(url).status_code == 404, url


def test_in_development_everybody_sees_the_outbox(client, email, settings):
    settings.DEBUG = True
    assert client.get(reverse("notifications:outbox")).status_code == 200


def test_the_outbox_lists_the_latest_emails(
    outbox_reader, email, django_capture_on_commit_callbacks
):
    url = reverse("notifications:outbox")
    assert url == "/entwicklung/postausgang/"
    with django_capture_on_commit_callbacks():  # stays queued
        send_email(to="b@example.org", template="notifications/email/test_message", context={})

    with CaptureQueriesContext(connection) as queries:
        response = outbox_reader.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    page = response.content.decode()
    assert page.count("Virtuelles Bürgerbüro: Testnachricht</a>") == 2
    assert "buerger@example.org" in page
    assert "Gesendet" in page and "Wartet auf Versand" in page
    assert '<th scope="col"' in page and "<caption" in page
    assert reverse("notifications:outbox_detail", args=[email.pk]) in page
    # One query for the whole list: no query per email, no bodies or attachments loaded.
    outbox_queries = [q["sql"] for q in queries if "notifications_" in q["sql"]]
    assert len(outbox_queries) == 1
    assert "body_text" not in outbox_queries[0]
    assert "notifications_emailattachment" not in outbox_queries[0]


def test_the_outbox_is_limited_to_fifty_emails(outbox_reader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        for _ in range(51):
            send_email(to="b@example.org", template="notifications/email/test_message", context={})

    page = outbox_reader.get(reverse("notifications:outbox")).content.decode()

    assert page.count('<th scope="row"') == 50


def test_the_outbox_in_english(outbox_reader, email):
    with translation.override("de"):  # the request activates English: keep it from leaking
        response = outbox_reader.get("/en/entwicklung/postausgang/")
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
    # the subject keeps the language it was written in
    assert f'lang="de">{email.subject}</a>' in response.content.decode()


def test_the_detail_page_shows_the_text_and_links_the_attachment(outbox_reader, email):
    response = outbox_reader.get(reverse("notifications:outbox_detail", args=[email.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="kern-heading-large" lang="de">Virtuelles Bürgerbüro: Testnachricht' in page
    assert "diese Nachricht prüft, ob das Bürgerbüro E-Mails verschicken kann." in page
    attachment = email.attachments.get()
    assert reverse("notifications:outbox_attachment", args=[email.pk, attachment.pk]) in page
    assert "Bescheid Müller.pdf" in page


def test_an_attachment_downloads_with_its_name_and_type(outbox_reader, email):
    attachment = email.attachments.get()

    response = outbox_reader.get(
        reverse("notifications:outbox_attachment", args=[email.pk, attachment.pk])
    )

    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Bescheid%20M%C3%BCller.pdf"
    )


def test_an_attachment_of_another_email_is_not_found(outbox_reader, email):
    attachment = email.attachments.get()
    url = reverse("notifications:outbox_attachment", args=[email.pk + 1, attachment.pk])
    assert outbox_reader.get(url).status_code == 404
    url = reverse("notifications:outbox_detail", args=[email.pk + 1])
    assert outbox_reader.get(url).status_code == 404
