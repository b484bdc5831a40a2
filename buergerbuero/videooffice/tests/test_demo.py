"""The Stadt Köln demo's virtual offices: loaded, reloadable, staffed by the demo accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from buergerbuero.videooffice import hours
from buergerbuero.videooffice.demo import demo_load_offices
from buergerbuero.videooffice.models import HoursException, VideoOffice

SLUGS = {
    "buergerservice",
    "bauaufsicht",
    "auslaenderbehoerde",
    "gewerbe",
    "hygienebelehrung",
    "standesamt",
    "sozialamt",
    "steueramt",
}


@pytest.fixture
def loaded(db):
    assert demo_load_offices() == len(SLUGS)


def usernames(slug: str) -> set[str]:
    return set(VideoOffice.objects.get(slug=slug).caseworkers.values_list("username", flat=True))


def test_demo_offices_exist_in_german_and_english(loaded):
    assert set(VideoOffice.objects.filter(is_active=True).values_list("slug", flat=True)) >= SLUGS
    office = VideoOffice.objects.get(slug="auslaenderbehoerde")
    assert office.name_de == "Ausländerbehörde" and office.name_en == "Immigration office"
    assert office.language_codes == ["de", "en", "tr", "uk", "ar"]
    with translation.override("en"):
        assert VideoOffice.objects.get(slug="buergerservice").name == "Citizens' service"


def test_demo_caseworkers_are_assigned(loaded):
    assert usernames("buergerservice") == {"becker", "sb-kundenzentren"}
    assert usernames("steueramt") == {"becker", "schulz", "sb-steueramt"}
    assert usernames("bauaufsicht") == {"sb-bauaufsicht"}


def test_offices_offer_their_departments_video_services(loaded):
    def services(slug):
        return set(VideoOffice.objects.get(slug=slug).services.values_list("slug", flat=True))

    assert "bauantrag" in services("bauaufsicht")
    assert "einbuergerung" in services("auslaenderbehoerde")
    assert "grundsteuer" in services("steueramt")
    assert services("buergerservice") == set()


def test_buergerservice_is_open_at_any_hour_even_on_holidays(loaded):
    office = VideoOffice.objects.get(slug="buergerservice")
    now = timezone.now()
    for moment in (now, now + dt.timedelta(hours=7), now + dt.timedelta(days=3, hours=13)):
        assert hours.is_open(office, moment)
    holiday = HoursException.objects.filter(office=office, date__gt=timezone.localdate()).first()
    assert holiday is not None and holiday.reason
    noon = dt.datetime.combine(holiday.date, dt.time(12), tzinfo=timezone.get_default_timezone())
    assert hours.is_open(office, noon)


def test_other_offices_keep_weekday_hours(loaded):
    office = VideoOffice.objects.get(slug="bauaufsicht")
    assert not office.hours.filter(weekday__gte=5).exists()
    assert not office.exceptions.exists()


def test_loading_twice_changes_nothing(loaded):
    counts = (
        VideoOffice.objects.count(),
        HoursException.objects.count(),
        sum(o.hours.count() for o in VideoOffice.objects.all()),
    )
    assert demo_load_offices() == len(SLUGS)
    assert counts == (
        VideoOffice.objects.count(),
        HoursException.objects.count(),
        sum(o.hours.count() for o in VideoOffice.objects.all()),
    )
    assert usernames("buergerservice") == {"becker", "sb-kundenzentren"}
