"""The header's link to the video office dashboard: shown to the caseworkers of a video
office, to no one else, and asked of the database only for staff accounts."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .conftest import make_office, make_staff

pytestmark = pytest.mark.django_db

HOME = "/"
ASSIGNMENTS = "videooffice_videooffice_caseworkers"  # the table staffed_offices() joins


def account_nav(html: str) -> str:
    match = re.search(r'<nav class="account-nav".*?</nav>', html, re.S)
    assert match, "the header has no account navigation"
    return match.group(0)


def video_link() -> str:
    return f'<a class="kern-link" href="{reverse("videostaff:dashboard")}">Video-Sprechstunde</a>'


def get_home(client):
    """The home page and how many of its queries asked for office assignments."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    asked = sum(ASSIGNMENTS in query["sql"] for query in queries.captured_queries)
    return response.content.decode(), asked


def test_a_caseworker_of_a_video_office_sees_the_link(client, office, caseworker):
    client.force_login(caseworker)

    html, asked = get_home(client)

    assert video_link() in account_nav(html)
    assert asked == 1


def test_a_caseworker_of_no_video_office_does_not(client, office):
    closed = make_office("test-aufgeloest", name="Aufgelöst", is_active=False)
    colleague = make_staff("jan.schulz", closed)
    client.force_login(colleague)

    html, asked = get_home(client)

    assert "Video-Sprechstunde" not in account_nav(html)
    assert asked == 1  # an office that is no longer active does not count


def test_a_citizen_does_not_and_costs_no_query(client, office):
    citizen = get_user_model().objects.create_user("erika", password="geheim-123")
    client.force_login(citizen)

    html, asked = get_home(client)

    assert "Video-Sprechstunde" not in account_nav(html)
    assert asked == 0


def test_an_anonymous_visitor_costs_no_query(client, office):
    html, asked = get_home(client)

    assert "Video-Sprechstunde" not in account_nav(html)
    assert asked == 0
