"""Every form renders through KERN: label, hint, error, aria-describedby, an error summary
that links to each field, and values kept after bad input."""

import pytest

pytestmark = pytest.mark.django_db

VALID = {
    "full_name": "Anna Berger",
    "email": "anna@example.org",
    "moved_on_0": "15",
    "moved_on_1": "3",
    "moved_on_2": "2026",
    "household": "1",
    "consent": "on",
}


def test_a_valid_form_shows_the_summary_list(admin_client):
    html = admin_client.post("/komponenten/", VALID).content.decode()
    assert "Zusammenfassung" in html
    assert "15. März 2026" in html or "15.03.2026" in html


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("31", "2", "2026"), "Dieses Datum gibt es nicht."),
        (("15", "", "2026"), "Bitte geben Sie Tag, Monat und Jahr ein."),
        (("", "", ""), "Bitte geben Sie ein Datum ein."),
        (("x", "3", "2026"), "Dieses Datum gibt es nicht."),
    ],
)
def test_a_bad_date_says_what_is_wrong_and_keeps_what_was_typed(admin_client, parts, message):
    data = {**VALID, **dict(zip(("moved_on_0", "moved_on_1", "moved_on_2"), parts, strict=True))}
    html = admin_client.post("/komponenten/", data).content.decode()
    assert message in html
    assert 'value="Anna Berger"' in html
    for part in parts:
        if part:
            assert f'value="{part}"' in html


def test_the_error_summary_links_to_each_field(admin_client):
    html = admin_client.post("/komponenten/", {}).content.decode()
    assert 'role="alert"' in html
    assert "Bitte prüfen Sie 5 Angaben" in html
    assert 'href="#id_full_name"' in html
    assert 'href="#id_moved_on"' in html  # the date's fieldset
    assert 'href="#id_household"' in html
    assert 'aria-invalid="true"' in html


def test_the_gallery_is_hidden_from_the_public_in_production(client):
    # The test runner runs with DEBUG off, as production does.
    assert client.get("/komponenten/").status_code == 404
