"""Idle sessions end: staff after 30 minutes without a request, citizens after 60. The
person lands on their login page with a message why and returns where they were; a
citizen's drafts stay theirs."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from buergerbuero.applications.models import Application, ApplicationStatus, FormDefinition
from buergerbuero.catalog.models import Service
from buergerbuero.identity.staff.middleware import SESSION_LAST_SEEN

pytestmark = pytest.mark.django_db

INBOX = "/sachbearbeitung/"


def idle_for(client, minutes: int) -> None:
    """As if the last request of this session was ``minutes`` ago."""
    session = client.session
    session[SESSION_LAST_SEEN] = int(time.time()) - minutes * 60
    session.save()


@pytest.fixture
def becker(client):
    user = get_user_model().objects.get(username="becker")
    client.force_login(user)
    client.get(INBOX)  # the first request notes the time
    return user


def test_a_staff_session_ends_after_30_idle_minutes(client, becker):
    idle_for(client, 31)

    response = client.get(INBOX + "?status=all")

    assert response.status_code == 302
    assert response["Location"] == "/verwaltung/anmelden/?next=/sachbearbeitung/%3Fstatus%3Dall"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "weil Sie 30 Minuten lang nichts getan haben" in page


def test_a_staff_session_used_within_30_minutes_goes_on(client, becker):
    idle_for(client, 29)

    assert client.get(INBOX).status_code == 200
    idle_for(client, 29)  # each request starts the 30 minutes anew
    assert client.get(INBOX).status_code == 200


def test_the_timeouts_come_from_the_settings(client, becker, settings):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 5
    idle_for(client, 6)

    assert client.get(INBOX)["Location"].startswith("/verwaltung/anmelden/")


def test_a_citizen_keeps_the_session_for_60_minutes_and_the_draft_after(client):
    citizen = get_user_model().objects.get(username="buerger")
    service = Service.objects.get(slug="hund-anmelden")
    draft = Application.objects.create(
        service=service,
        definition=FormDefinition.objects.get(service=service, is_active=True),
        user=citizen,
        status=ApplicationStatus.DRAFT,
        answers={"rasse": "Dackel"},
    )
    my_office = reverse("applications:my_office")
    client.force_login(citizen)
    client.get(my_office)

    idle_for(client, 59)
    assert client.get(my_office).status_code == 200

    idle_for(client, 61)
    expired = client.get(my_office)
    assert expired.status_code == 302
    assert expired["Location"] == f"/anmelden/?next={my_office}"
    assert (
        "weil Sie 60 Minuten lang nichts getan haben"
        in client.get(expired["Location"]).content.decode()
    )

    client.force_login(citizen)
    draft.refresh_from_db()
    assert draft.answers == {"rasse": "Dackel"}
    assert str(draft.public_id) in client.get(my_office).content.decode()


def test_anonymous_visitors_have_no_idle_timer(client):
    client.get("/")
    assert SESSION_LAST_SEEN not in client.session
