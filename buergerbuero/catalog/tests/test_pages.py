"""The portal's pages work in German and English, lead to the next step by channel, and
answer bad input with a clean page."""

import pytest

pytestmark = pytest.mark.django_db

PUBLIC_PATHS = [
    "/",
    "/leistungen/",
    "/leistungen/personalausweis/",
    "/leistungen/kita-platz/",
    "/lebenslagen/",
    "/lebenslagen/umzug/",
    "/themen/",
    "/themen/wohnen-und-umzug/",
    "/suche/?q=Hund",
    "/suche/?q=xqzvbnm",
    "/kundenzentren/",
    "/impressum/",
    "/datenschutz/",
    "/barrierefreiheit/",
    "/leichte-sprache/",
    "/gebaerdensprache/",
    "/kontakt/",
]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_public_page_renders_in_both_languages(client, path, prefix):
    response = client.get(prefix + path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{"en" if prefix else "de"}"' in html
    assert 'href="#inhalt"' in html  # skip link
    for footer_link in ("/impressum/", "/datenschutz/", "/barrierefreiheit/", "/kontakt/"):
        assert f'href="{prefix}{footer_link}"' in html


def test_the_home_page_shows_search_popular_services_and_life_situations(client):
    html = client.get("/").content.decode()
    assert 'name="q"' in html
    assert "/leistungen/personalausweis/" in html
    assert "/lebenslagen/umzug/" in html
    assert "Leichte Sprache" in html and "Gebärdensprache" in html


def test_english_pages_are_translated(client):
    html = client.get("/en/").content.decode()
    assert "Skip to content" in html
    assert "Zum Inhalt springen" not in html


def test_the_language_switcher_links_the_same_page(client):
    html = client.get("/leistungen/reisepass/").content.decode()
    assert 'href="/en/leistungen/reisepass/"' in html


def test_an_external_channel_is_announced_as_leaving_the_site(client):
    html = client.get("/leistungen/kita-platz/").content.decode()
    assert "Zum Online-Portal" in html
    assert "verlässt diese Website" in html
    assert 'rel="noopener external"' in html


def test_a_channel_not_built_yet_shows_no_button(client):
    # Appointments come with issue 7: until then the page explains, with no dead button.
    html = client.get("/leistungen/personalausweis/").content.decode()
    assert "Termin buchen" not in html
    assert "noch nicht online erledigen" in html


def test_an_online_service_offers_its_application(client):
    html = client.get("/leistungen/hund-anmelden/").content.decode()
    assert 'href="/antrag/hund-anmelden/"' in html and "Online beantragen" in html


def test_search_without_javascript_lists_results(client):
    html = client.get("/suche/", {"q": "Hundesteuer"}).content.decode()
    assert "/leistungen/hund-anmelden/" in html
    assert "Ergebnis" in html


def test_search_suggestions_for_htmx_are_a_fragment_with_an_announced_count(client):
    response = client.get(
        "/suche/", {"q": "Pers"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="suche-vorschlaege"
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "/leistungen/personalausweis/" in html
    assert '<p id="suche-status" hx-swap-oob="innerHTML">' in html
    assert "Vorschl" in html.split('id="suche-status"')[1]


def test_zero_results_page_helps_on(client):
    html = client.get("/suche/", {"q": "xqzvbnm"}).content.decode()
    assert "Keine Treffer" in html
    assert "/leistungen/" in html  # A–Z
    assert "/lebenslagen/" in html


def test_unknown_service_is_a_helpful_404(client):
    response = client.get("/leistungen/gibt-es-nicht/")
    assert response.status_code == 404
    assert 'name="q"' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "x" * 10_000,
        "<script>alert('x')</script>",
        '"><img src=x onerror=alert(1)>',
        "'; DROP TABLE catalog_service; --",
        "Hund' OR '1'='1",
    ],
)
@pytest.mark.parametrize("path", ["/suche/", "/barrierefreiheit/"])  # pages that show q / seite
def test_bad_input_gives_a_clean_page_never_reflected_unescaped(client, path, query):
    response = client.get(path, {"q": query, "seite": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html


@pytest.mark.parametrize("raw", ["q=%FF%FE", "q=Hund%00", "q=%1b%5b31m", "seite=%C3%28"])
@pytest.mark.parametrize("path", ["/suche/", "/en/suche/", "/leistungen/", "/barrierefreiheit/"])
def test_invalid_utf8_and_control_characters_get_a_clear_400(client, path, raw):
    response = client.get(f"{path}?{raw}")
    assert response.status_code == 400
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    html = response.content.decode()
    expected = "cannot process" if path.startswith("/en/") else "nicht verarbeiten"
    assert expected in html


def test_a_very_long_search_says_it_was_shortened(client):
    html = client.get("/suche/", {"q": "Hund " * 2000}).content.decode()
    assert "ersten 200 Zeichen" in html


def test_the_a_to_z_index_lists_every_service(client, services_contract):
    html = client.get("/leistungen/").content.decode()
    for row in services_contract:
        assert f'href="/leistungen/{row["slug"]}/"' in html


def test_the_service_page_needs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        client.get("/leistungen/personalausweis/")


@pytest.mark.parametrize("path", ["/", "/leistungen/", "/lebenslagen/umzug/", "/suche/?q=Hund"])
def test_list_pages_need_a_fixed_number_of_queries(client, path, django_assert_max_num_queries):
    client.get(path)  # warm: the first search of a process builds the index
    with django_assert_max_num_queries(6):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/", "/leistungen/", "/leistungen/reisepass/"])
def test_a_catalog_edit_shows_at_once_on_cached_pages(
    client, path, django_capture_on_commit_callbacks
):
    from buergerbuero.catalog.models import Service

    assert "Reisepass (neu)" not in client.get(path).content.decode()  # fragment now cached
    service = Service.objects.get(slug="reisepass")
    service.name_de = "Reisepass (neu)"
    service.popular = True
    with django_capture_on_commit_callbacks(execute=True):
        service.save()
    assert "Reisepass (neu)" in client.get(path).content.decode()
