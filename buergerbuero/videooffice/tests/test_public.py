"""The public list of virtual offices, its 30-second refresh, the JSON API and the service
page's "Video-Sprechstunde" button, at fixed moments of 2025 (see test_hours.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buergerbuero.catalog.next_steps import register_next_step, unregister_next_step
from buergerbuero.organisation.models import Department
from buergerbuero.videooffice.models import ConsultationHours, Knock, KnockState, VideoOffice
from buergerbuero.videooffice.next_step import video_office_url_for

BERLIN = ZoneInfo("Europe/Berlin")
LIST = "/video-sprechstunde/"
API = "/api/v1/video-offices"


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def clock(monkeypatch):
    """Sets "now" for the request: ``clock(local(2025, 3, 24, 9))``."""

    def set_now(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(dt.UTC))

    return set_now


def make_office(slug: str, department: str = "bauaufsicht", **fields) -> VideoOffice:
    """Monday 08:00–12:00, Thursday 14:00–18:00."""
    office = VideoOffice.objects.create(
        slug=slug, department=Department.objects.get(slug=department), **fields
    )
    ConsultationHours.objects.create(office=office, weekday=0, opens=dt.time(8), closes=dt.time(12))
    ConsultationHours.objects.create(
        office=office, weekday=3, opens=dt.time(14), closes=dt.time(18)
    )
    return office


@pytest.fixture
def office(db):
    # Only this test's offices are listed, whatever the demo holds.
    VideoOffice.objects.update(is_active=False)
    return make_office(
        "test-bauberatung",
        name_de="Bauberatung",
        name_en="Building advice",
        description_de="Fragen vor dem Bauantrag.",
        languages="de, tr",
        typical_call_minutes=12,
    )


def knock(office: VideoOffice, state: str = KnockState.WAITING) -> Knock:
    now = timezone.now()
    return Knock.objects.create(office=office, state=state, consent_at=now, queue_at=now)


def test_list_shows_an_open_office_with_hours_and_link(client, office, clock):
    clock(local(2025, 3, 24, 9))
    page = client.get(LIST).content.decode()
    assert '<h2 class="kern-title" id="amt-test-bauberatung">Bauberatung</h2>' in page
    assert "Fragen vor dem Bauantrag." in page
    assert "Geöffnet" in page and "bis 12:00 Uhr" in page
    assert "Niemand wartet gerade" in page
    assert "Sprachen: Deutsch, Türkisch" in page
    assert 'Montag</th><td class="kern-table__cell">08:00–12:00' in page
    assert 'href="/video-sprechstunde/test-bauberatung/"' in page
    assert 'hx-trigger="every 30s"' in page


def test_list_shows_people_waiting_and_the_estimate(client, office, clock):
    clock(local(2025, 3, 24, 9))
    knock(office)
    knock(office, KnockState.KNOCKING)
    knock(office, KnockState.ADMITTED)  # in a call: no longer in the queue
    page = client.get(LIST).content.decode()
    assert "2 Personen warten." in page
    # two ahead of a new knock, 12 minutes each, one caseworker at most
    assert "Geschätzte Wartezeit: etwa 24 Minuten." in page


def test_closed_office_shows_its_next_opening(client, office, clock):
    clock(local(2025, 3, 24, 13))
    page = client.get(LIST).content.decode()
    assert "Geschlossen" in page
    assert "Nächste Sprechstunde:" in page
    assert '<time datetime="2025-03-27T14:00:00+01:00">Donnerstag, 27. März, um 14:00 Uhr' in page
    clock(local(2025, 3, 27, 12))
    assert "heute um 14:00 Uhr" in client.get(LIST).content.decode()


def test_list_warns_of_a_coming_holiday(client, office, clock):
    clock(local(2025, 4, 17, 19))
    page = client.get(LIST).content.decode()
    assert "Ostermontag" in page
    assert "Montag, 21. April" in page


def test_refresh_returns_only_the_statuses_out_of_band(client, office, clock):
    clock(local(2025, 3, 24, 9))
    knock(office)
    fragment = client.get(LIST, headers={"HX-Request": "true"}).content.decode()
    assert "<h1" not in fragment and "Sprechstunden" not in fragment
    assert 'id="status-test-bauberatung" hx-swap-oob="true"' in fragment
    assert "1 Person wartet." in fragment
    assert 'id="video-aemter-stand"' in fragment and 'hx-trigger="every 30s"' in fragment


def test_refresh_can_be_stopped(client, office, clock):
    clock(local(2025, 3, 24, 9))
    assert 'href="/video-sprechstunde/?live=0"' in client.get(LIST).content.decode()
    page = client.get(LIST + "?live=0").content.decode()
    assert "every 30s" not in page
    assert "Status automatisch aktualisieren" in page


def test_empty_state_points_elsewhere(client, db):
    VideoOffice.objects.update(is_active=False)
    page = client.get(LIST).content.decode()
    assert "Zurzeit bietet die Verwaltung keine Video-Sprechstunde an." in page
    assert 'href="/kundenzentren/"' in page or "Kundenzentren" in page
    assert "every 30s" not in page


def test_list_in_english(client, office, clock):
    clock(local(2025, 3, 24, 9))
    page = client.get("/en" + LIST).content.decode()
    assert "Building advice" in page


def test_list_queries_do_not_grow_with_offices(client, office, clock):
    clock(local(2025, 3, 24, 9))
    client.get(LIST)  # the site's own first-request queries (municipality) are cached now
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for number in range(3):
        make_office(f"test-amt-{number}", name=f"Amt {number}")
    with CaptureQueriesContext(connection) as four:
        assert client.get(LIST).content.decode().count('class="kern-card"') == 4
    assert len(four) == len(one), [q["sql"] for q in four.captured_queries]


def test_api_lists_active_offices_with_the_contract_fields(client, office, clock):
    clock(local(2025, 3, 24, 9))
    knock(office)
    make_office("test-geschlossen", name="Geschlossen", is_active=False)
    [entry] = client.get(API).json()
    assert entry == {
        "slug": "test-bauberatung",
        "name": "Bauberatung",
        "open": True,
        "waiting": 1,
        "estimated_wait_minutes": 12,
        "next_opening": None,
        "closes_at": "2025-03-24T12:00:00+01:00",
        "url": "/video-sprechstunde/test-bauberatung/",
        "languages": ["de", "tr"],
    }


def test_api_closed_office_has_next_opening_and_no_estimate(client, office, clock):
    clock(local(2025, 3, 24, 13))
    [entry] = client.get(API).json()
    assert entry["open"] is False
    assert entry["estimated_wait_minutes"] is None
    assert entry["next_opening"] == "2025-03-27T14:00:00+01:00"
    assert entry["closes_at"] is None


def test_api_holiday_is_closed_unless_an_exception_opens_it(client, office, clock):
    clock(local(2025, 4, 21, 9))  # Easter Monday
    [entry] = client.get(API).json()
    assert entry["open"] is False
    assert entry["next_opening"] == "2025-04-24T14:00:00+02:00"
    office.exceptions.create(date=dt.date(2025, 4, 21), opens=dt.time(8), closes=dt.time(10))
    [entry] = client.get(API).json()
    assert entry["open"] is True
    assert entry["closes_at"] == "2025-04-21T10:00:00+02:00"


def test_api_on_the_day_the_clocks_go_forward(client, office, clock):
    office.hours.create(weekday=6, opens=dt.time(8), closes=dt.time(12))
    clock(dt.datetime(2025, 3, 30, 9, 30, tzinfo=dt.UTC))  # 11:30 summer time
    [entry] = client.get(API).json()
    assert entry["open"] is True
    assert entry["closes_at"] == "2025-03-30T12:00:00+02:00"
    clock(dt.datetime(2025, 3, 30, 10, 30, tzinfo=dt.UTC))  # 12:30 summer time
    [entry] = client.get(API).json()
    assert entry["open"] is False
    assert entry["next_opening"] == "2025-03-31T08:00:00+02:00"


def test_service_page_links_to_the_office_of_its_department(
    client, office, django_capture_on_commit_callbacks
):
    register_next_step("video", video_office_url_for)
    try:
        page = client.get("/leistungen/bauantrag/").content.decode()
        assert 'href="/video-sprechstunde/test-bauberatung/"' in page
        assert "Video-Sprechstunde" in page
        office.is_active = False
        with django_capture_on_commit_callbacks(execute=True):
            office.save()  # moves the catalog revision: the cached page is rendered afresh
        page = client.get("/leistungen/bauantrag/").content.decode()
        assert "/video-sprechstunde/" not in page
    finally:
        unregister_next_step("video", video_office_url_for)


def test_service_linked_to_an_office_goes_there_first(office, django_capture_on_commit_callbacks):
    from buergerbuero.catalog.models import Service

    service = Service.objects.get(slug="bauantrag")
    assert video_office_url_for(service) == "/video-sprechstunde/test-bauberatung/"
    linked = make_office("test-zweites-amt", "gesundheitsamt", name="Anderes Amt")
    with django_capture_on_commit_callbacks(execute=True):
        linked.services.add(service)
    assert video_office_url_for(service) == "/video-sprechstunde/test-zweites-amt/"
