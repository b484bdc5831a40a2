# ruff: noqa: E501  (a form definition reads best one field per line)
"""A small but complete form for the tests: every field type, a condition, a group, a
fee that depends on the answers, and a notice template."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

TEST_SERVICE = "fischereischein"


def sample_definition(**overrides) -> dict:
    document = {
        "service": TEST_SERVICE,
        "steps": [
            {
                "key": "person",
                "title": {"de": "Ihre Angaben", "en": "About you"},
                "fields": [
                    {"key": "name", "type": "text", "label": {"de": "Name", "en": "Name"},
                     "prefill": "full_name"},
                    {"key": "geburt", "type": "date", "label": "Geburtsdatum",
                     "date_range": "past", "prefill": "birth_date"},
                    {"key": "anschrift", "type": "address", "label": "Anschrift",
                     "prefill": "address"},
                    {"key": "email", "type": "email", "label": "E-Mail", "prefill": "email"},
                    {"key": "telefon", "type": "phone", "label": "Telefon", "required": False},
                ],
            },
            {
                "key": "schein",
                "title": "Ihr Fischereischein",
                "fields": [
                    {"key": "art", "type": "choice", "label": "Art",
                     "options": [{"value": "jahr", "label": "ein Jahr"},
                                 {"value": "fuenf", "label": "fünf Jahre"}]},
                    {"key": "anzahl", "type": "number", "label": "Anzahl", "min": 1, "max": 5},
                    {"key": "ermaessigt", "type": "yesno", "label": "Ermäßigung?"},
                    {"key": "nachweis", "type": "file", "label": "Nachweis", "accept": ["pdf", "image"],
                     "capture": True, "show_if": {"field": "ermaessigt", "equals": True}},
                    {"key": "iban", "type": "iban", "label": "IBAN", "required": False},
                    {"key": "begleitung", "type": "group", "label": "Begleitpersonen",
                     "min_items": 0, "max_items": 3, "item_label": "Person",
                     "fields": [{"key": "vorname", "type": "text", "label": "Vorname"},
                                {"key": "alter", "type": "number", "label": "Alter", "required": False}]},
                    {"key": "summe", "type": "computed", "label": "Gebühr", "compute": "fee_total"},
                    {"key": "bemerkung", "type": "textarea", "label": "Bemerkung", "required": False},
                ],
            },
        ],
        "fee": {"items": [
            {"label": "Jahresschein", "amount_cents": 1600, "quantity": "anzahl",
             "when": {"all": [{"field": "art", "equals": "jahr"},
                              {"field": "ermaessigt", "equals": False}]}},
            {"label": "Fünfjahresschein", "amount_cents": 4800, "quantity": "anzahl",
             "when": {"field": "art", "equals": "fuenf"}},
        ]},
        "notice": {"title": "Fischereischein", "approved": "Ihr Schein für {{ name }}."},
    }  # fmt: skip
    document.update(overrides)
    return document


def free_sample_definition() -> dict:
    """The sample without a fee: submitted straight from the summary, no payment."""
    document = sample_definition()
    document.pop("fee")
    document["steps"][1]["fields"] = [
        f for f in document["steps"][1]["fields"] if f["key"] != "summe"
    ]
    return document


@pytest.fixture
def definition(db):
    from buergerbuero.applications.services import definition_import

    definition, _created = definition_import(sample_definition())
    return definition


def person_data(**overrides) -> dict:
    data = {
        "action": "next",
        "name": "Erika Mustermann",
        "geburt_0": "12",
        "geburt_1": "8",
        "geburt_2": "1964",
        "anschrift__street": "Venloer Straße 123",
        "anschrift__postcode": "50823",
        "anschrift__city": "Köln",
        "email": "erika@example.org",
        "telefon": "",
    }
    data.update(overrides)
    return data


def licence_data(**overrides) -> dict:
    data = {
        "action": "next",
        "art": "jahr",
        "anzahl": "2",
        "ermaessigt": "nein",
        "iban": "",
        "begleitung__count": "0",
        "bemerkung": "",
    }
    data.update(overrides)
    return data


def png_file(name: str = "nachweis.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# -- the back office's cast: the dog-tax form, two Steueramt caseworkers, one outsider ------


@pytest.fixture
def dogs():
    from buergerbuero.applications.services import definition_import

    from .test_backoffice import dog_definition

    return definition_import(dog_definition())[0]


def _caseworker(username: str, department: str, first: str, last: str):
    from .test_backoffice import make_caseworker

    return make_caseworker(username, department, first, last)


@pytest.fixture
def becker():
    return _caseworker("anna.becker", "steueramt", "Anna", "Becker")


@pytest.fixture
def schmitz():
    return _caseworker("klaus.schmitz", "steueramt", "Klaus", "Schmitz")


@pytest.fixture
def outsider():
    return _caseworker("jana.wagner", "wohnungsamt", "Jana", "Wagner")
