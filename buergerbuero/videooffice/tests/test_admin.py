"""The admin of the virtual offices: offices editable, knocks and calls records only."""

from __future__ import annotations

import pytest
from django.utils import timezone

from buergerbuero.core.models import Municipality
from buergerbuero.organisation.models import Department
from buergerbuero.videooffice.models import Call, Knock, VideoOffice

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(django_user_model):
    office = VideoOffice.objects.create(
        slug="test-admin-amt", name="Admin-Amt", department=Department.objects.first()
    )
    now = timezone.now()
    knock = Knock.objects.create(office=office, state="done", consent_at=now, queue_at=now)
    caseworker = django_user_model.objects.create_user("test-sb", is_staff=True)
    return Call.objects.create(knock=knock, office=office, caseworker=caseworker, ended_at=now)


def test_office_list_says_whether_videoident_is_on_and_why_it_is_limited(admin_client):
    Municipality.objects.update(videoident_enabled=False)
    page = admin_client.get("/admin/videooffice/videooffice/").content.decode()
    assert "Videoident ist ausgeschaltet" in page
    assert "Chaos Computer Club" in page and "nie „hoch“" in page
    Municipality.objects.update(videoident_enabled=True)
    assert (
        "Videoident ist eingeschaltet"
        in admin_client.get("/admin/videooffice/videooffice/").content.decode()
    )


def test_office_form_edits_hours_and_exceptions(admin_client, call):
    page = admin_client.get(f"/admin/videooffice/videooffice/{call.office.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "hours-TOTAL_FORMS" in content and "exceptions-TOTAL_FORMS" in content


def test_calls_are_records_without_recordings(admin_client, call):
    page = admin_client.get(f"/admin/videooffice/call/{call.pk}/change/").content.decode()
    assert "Bild und Ton werden nie aufgezeichnet" in page
    assert admin_client.get("/admin/videooffice/call/add/").status_code == 403
    assert admin_client.get(f"/admin/videooffice/call/{call.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/videooffice/knock/add/").status_code == 403
    assert admin_client.get("/admin/videooffice/knock/?state__exact=done").status_code == 200
    assert admin_client.get("/admin/videooffice/caseworkerpresence/").status_code == 200
