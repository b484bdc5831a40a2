"""The Stadt Köln demo: every contract slug, nine customer centres, the required pages,
demo accounts only on the embedded default; loading twice changes nothing."""

import pytest
from django.contrib.auth import get_user_model

from buergerbuero.catalog.models import Service
from buergerbuero.core.demo import DemoDataError, demo_accounts_create, demo_load
from buergerbuero.organisation.models import CustomerCentre
from buergerbuero.pages.models import Page

pytestmark = pytest.mark.django_db


def test_the_demo_holds_every_contract_slug_in_german_and_english(services_contract):
    services = {s.slug: s for s in Service.objects.all()}
    for row in services_contract:
        service = services[row["slug"]]
        assert service.name_de and service.name_en and service.description_en, row["slug"]
        assert service.easy_language_de, row["slug"]


def test_nine_district_customer_centres_with_opening_hours():
    districts = set(CustomerCentre.objects.values_list("district", flat=True))
    assert districts == {
        "Innenstadt",
        "Rodenkirchen",
        "Lindenthal",
        "Ehrenfeld",
        "Nippes",
        "Chorweiler",
        "Porz",
        "Kalk",
        "Mülheim",
    }
    for centre in CustomerCentre.objects.all():
        assert centre.opening_hours.exists(), centre.name


def test_every_required_page_exists():
    assert set(Page.objects.values_list("slug", flat=True)) == set(Page.Slug.values)


def test_loading_twice_changes_nothing():
    before = (Service.objects.count(), CustomerCentre.objects.count(), Page.objects.count())
    demo_load()
    after = (Service.objects.count(), CustomerCentre.objects.count(), Page.objects.count())
    assert before == after


def test_demo_accounts_exist_only_in_demo_mode(settings):
    assert get_user_model().objects.filter(username="admin", is_superuser=True).exists()
    settings.DEMO_MODE = False
    with pytest.raises(DemoDataError):
        demo_accounts_create()


def test_the_catalog_demo_account_can_edit_services_but_not_accounts(client):
    client.login(username="katalog", password="koeln-katalog")
    assert client.get("/admin/catalog/service/").status_code == 200
    assert client.get("/admin/identity/user/").status_code == 403


def test_the_catalog_demo_account_works_the_feedback_queue_but_cannot_delete_reports(client):
    from buergerbuero.pages.models import AccessibilityFeedback

    feedback = AccessibilityFeedback.objects.create(message="Kontrast zu gering")
    client.login(username="katalog", password="koeln-katalog")
    assert client.get("/admin/pages/accessibilityfeedback/").status_code == 200
    url = f"/admin/pages/accessibilityfeedback/{feedback.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert AccessibilityFeedback.objects.filter(pk=feedback.pk).exists()
