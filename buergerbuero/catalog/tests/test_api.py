"""The JSON API's paths and fields are a contract other parts and external checks use."""

import pytest

from buergerbuero.catalog.next_steps import register_next_step, unregister_next_step

pytestmark = pytest.mark.django_db


def test_the_list_holds_every_contract_slug_with_its_page_and_channels(client, services_contract):
    response = client.get("/api/v1/services")
    assert response.status_code == 200
    by_slug = {item["slug"]: item for item in response.json()}
    assert {row["slug"] for row in services_contract} <= set(by_slug)
    for row in services_contract:
        item = by_slug[row["slug"]]
        assert item["url"] == f"/leistungen/{row['slug']}/"
        assert set(item["channels"]) == set(row["channels"].split()), row["slug"]


def test_the_page_path_of_every_service_serves_that_service(client):
    for item in client.get("/api/v1/services").json()[:10]:
        page = client.get(item["url"])
        assert page.status_code == 200
        assert item["name"] in page.content.decode()


def test_external_channels_lead_to_their_portal(client):
    from buergerbuero.catalog.models import ServiceChannel

    portal = ServiceChannel.objects.get(service__slug="kita-platz", kind="external").url
    item = client.get("/api/v1/services/kita-platz").json()
    assert portal.startswith("https://")
    assert item["actions"] == [{"channel": "external", "url": portal}]


def test_channels_whose_capability_is_not_built_have_no_action(client):
    # Appointments are built with issue 7: until then the channel has no action.
    item = client.get("/api/v1/services/personalausweis").json()
    assert "appointment" in item["channels"]
    assert not [a for a in item["actions"] if a["channel"] == "appointment"]


def test_an_online_service_with_a_form_leads_to_its_application(client):
    item = client.get("/api/v1/services/hund-anmelden").json()
    assert item["actions"] == [{"channel": "online", "url": "/antrag/hund-anmelden/"}]


def test_a_registered_capability_becomes_an_action():
    from django.test import Client

    register_next_step("appointment", lambda service: f"/termine/{service.slug}/")
    try:
        item = Client().get("/api/v1/services/personalausweis").json()
    finally:
        unregister_next_step("appointment")
    assert item["actions"] == [{"channel": "appointment", "url": "/termine/personalausweis/"}]


def test_an_unknown_slug_is_404_with_a_message(client):
    response = client.get("/api/v1/services/gibt-es-nicht")
    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown service slug."}


def test_detail_has_the_service_texts(client):
    item = client.get("/api/v1/services/personalausweis").json()
    assert item["slug"] == "personalausweis"
    assert item["documents"] and item["fees"] and item["description"]
    assert item["trust_level"] in {"low", "substantial", "high"}


def test_english_texts_with_accept_language(client):
    german = client.get("/api/v1/services/reisepass").json()
    english = client.get("/api/v1/services/reisepass", HTTP_ACCEPT_LANGUAGE="en").json()
    assert german["name"] != english["name"]
    assert "passport" in english["name"].lower()


def test_search_returns_ranked_slugs(client):
    body = client.get("/api/v1/search", {"q": "Perso"}).json()
    assert body["query"] == "Perso"
    assert body["results"][0]["slug"] == "personalausweis"
    scores = [result["score"] for result in body["results"]]
    assert scores == sorted(scores, reverse=True) or len(scores) == 1
    assert body["count"] == len(body["results"])


@pytest.mark.parametrize(
    "query",
    ["x" * 10_000, "<script>alert(1)</script>", "' OR 1=1; DROP TABLE catalog_service; --", ""],
)
def test_search_answers_bad_input_cleanly(client, query):
    response = client.get("/api/v1/search", {"q": query})
    assert response.status_code == 200
    assert len(response.json()["query"]) <= 200
    assert client.get("/api/v1/services/personalausweis").status_code == 200


def test_search_with_a_nul_byte_is_a_clear_400(client):
    response = client.get("/api/v1/search?q=Hund%00")
    assert response.status_code == 400


def test_the_openapi_schema_describes_the_contract(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/services", "/api/v1/services/{slug}", "/api/v1/search"} <= set(schema["paths"])


def test_the_list_needs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, services_contract
):
    # Cold: building the catalog snapshot takes one query per relation, whatever the size,
    # one for the services with an online form and two for the video offices they lead to.
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/services").json()) == len(services_contract)
    with django_assert_max_num_queries(0):
        client.get("/api/v1/services")
