"""Journey 11: the catalog admin adds a new online service with its texts in German and
English — no developer, no release — and citizens find it at once."""

import pytest
from django.test import Client

from buergerbuero.catalog.models import Service
from buergerbuero.organisation.models import Department

pytestmark = pytest.mark.django_db


def management_form(prefix: str, total: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


NEW_SERVICE = {
    "slug": "sondernutzung-strassenfest",
    "name_de": "Straßenfest anmelden",
    "name_en": "Register a street party",
    "teaser_de": "Ein Fest auf der Straße braucht eine Sondernutzungserlaubnis.",
    "teaser_en": "A party on the street needs a special-use permit.",
    "description_de": "Beantragen Sie die Erlaubnis mindestens vier Wochen vorher.",
    "description_en": "Apply for the permit at least four weeks in advance.",
    "keywords_de": "Nachbarschaftsfest\nVeedelsfest",
    "trust_level": "low",
    "channels-0-kind": "external",
    "channels-0-url": "https://www.stadt-koeln.de/strassenfest",
    "channels-0-position": "0",
    "documents-0-name_de": "Lageplan des Festes",
    "documents-0-name_en": "Site plan of the party",
    "documents-0-position": "0",
    **management_form("channels", 1),
    **management_form("documents", 1),
}


@pytest.fixture
def catalog_admin() -> Client:
    client = Client()
    assert client.login(username="katalog", password="koeln-katalog")
    return client


def test_a_catalog_admin_adds_a_service_that_citizens_find(
    catalog_admin, client, django_capture_on_commit_callbacks
):
    department = Department.objects.get(slug="ordnungsamt")
    with django_capture_on_commit_callbacks(execute=True):
        response = catalog_admin.post(
            "/admin/catalog/service/add/", {**NEW_SERVICE, "department": department.pk}
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    service = Service.objects.get(slug="sondernutzung-strassenfest")
    assert service.documents.get().name_en == "Site plan of the party"

    page = client.get("/en/leistungen/sondernutzung-strassenfest/").content.decode()
    assert "Register a street party" in page and "Site plan of the party" in page
    assert "https://www.stadt-koeln.de/strassenfest" in page
    results = client.get("/api/v1/search", {"q": "Veedelsfest"}).json()["results"]
    assert results[0]["slug"] == "sondernutzung-strassenfest"
    assert "sondernutzung-strassenfest" in client.get("/leistungen/").content.decode()


def test_an_external_channel_without_its_address_is_refused_with_a_message(catalog_admin):
    department = Department.objects.get(slug="ordnungsamt")
    data = {**NEW_SERVICE, "department": department.pk, "channels-0-url": ""}
    response = catalog_admin.post("/admin/catalog/service/add/", data)
    assert response.status_code == 200
    assert not Service.objects.filter(slug="sondernutzung-strassenfest").exists()
    html = response.content.decode()
    assert "Ein externes Portal braucht seine Adresse (URL)." in html
    assert 'value="Straßenfest anmelden"' in html


def test_an_import_needs_the_rights_to_everything_it_writes(client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    editor = get_user_model().objects.create_user("nur-leistungen", password="x", is_staff=True)
    editor.user_permissions.set(
        Permission.objects.filter(content_type__model="service", content_type__app_label="catalog")
    )
    client.force_login(editor)
    assert client.get("/admin/catalog/service/").status_code == 200
    assert client.get("/admin/catalog/service/import/").status_code == 403
