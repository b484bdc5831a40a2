"""A service's trust level is checked when the citizen submits, and the step-up login
brings them back to the same draft."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from buergerbuero.applications.models import Application, ApplicationStatus, Case
from buergerbuero.identity.testing.sessions import login_at_level
from buergerbuero.identity.trust import LoginMethod

from .test_demo_services import apply, submit

pytestmark = pytest.mark.django_db

WBS = "wohnberechtigungsschein"  # needs level substantial


def summary_url(application) -> str:
    return reverse("applications:summary", args=[application.public_id])


def test_the_start_page_says_what_identification_the_service_needs(client):
    page = client.get(reverse("applications:start", args=[WBS])).content.decode()
    assert "Vertrauensniveau substanziell" in page
    assert "Mit BundID ausweisen" in page
    assert "niveau=substantial" in page
    assert "Erst ausfüllen, vor dem Absenden anmelden" in page


def test_an_anonymous_draft_cannot_be_submitted_and_offers_the_step_up(client):
    application = apply(client, WBS)
    response = client.get(summary_url(application))
    page = response.content.decode()
    assert "Zum Absenden müssen Sie sich ausweisen" in page
    assert "Verbindlich absenden" not in page

    response = client.post(summary_url(application), {"confirm": "on"})
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert not Case.objects.filter(application=application).exists()

    links = re.findall(r'href="/anmelden/\?([^"]*niveau=[^"]*)"', response.content.decode())
    query = parse_qs(links[0].replace("&amp;", "&"))
    assert query == {"next": [summary_url(application)], "niveau": ["substantial"]}


def test_a_local_login_is_not_enough_for_a_substantial_service(client):
    citizen = get_user_model().objects.get(username="buerger")
    client.force_login(citizen)  # password only: level low
    application = apply(client, WBS)
    page = client.get(summary_url(application)).content.decode()
    assert "Sie sind angemeldet, aber Ihre Anmeldung reicht dafür nicht aus" in page
    assert client.post(summary_url(application), {"confirm": "on"}).status_code == 403


def test_after_the_step_up_the_same_draft_is_submitted_with_its_level(client):
    application = apply(client, WBS)  # anonymous, in this browser's session
    answers = dict(Application.objects.get(pk=application.pk).answers)
    citizen = get_user_model().objects.get(username="buerger")
    login_at_level(client, citizen, "substantial", LoginMethod.BUNDID)

    application.refresh_from_db()
    assert application.user == citizen  # the draft came along into the account
    assert application.answers == answers
    case = submit(client, application)
    application.refresh_from_db()
    assert (application.identity_level, application.identity_method) == ("substantial", "bundid")
    assert case.application_id == application.pk

    caseworker = get_user_model().objects.get(username=f"sb-{case.department.slug}")
    client.force_login(caseworker)
    page = client.get(reverse("backoffice:case", args=[case.reference])).content.decode()
    assert "BundID – Vertrauensniveau substanziell" in page


def test_a_high_service_refuses_level_substantial(client):
    citizen = get_user_model().objects.get(username="buerger")
    login_at_level(client, citizen, "substantial")
    application = apply(client, "meldebescheinigung")
    response = client.post(summary_url(application), {"confirm": "on"})
    assert response.status_code == 403
    assert "Vertrauensniveau hoch" in response.content.decode()


def test_drafts_of_other_browsers_are_not_claimed_at_login(client, client_factory=None):
    from django.test import Client

    stranger = Client()
    foreign = apply(stranger, WBS)
    login_at_level(client, get_user_model().objects.get(username="buerger"), "substantial")
    foreign.refresh_from_db()
    assert foreign.user is None
    assert client.get(summary_url(foreign)).status_code == 404


def test_an_anonymous_service_still_needs_no_account(client):
    application = apply(client, "maengelmelder")
    page = client.get(summary_url(application)).content.decode()
    assert "Zum Absenden" not in page
    submit(client, application)
    assert urlsplit(summary_url(application)).path  # submitted without any login
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.identity_level == ""
