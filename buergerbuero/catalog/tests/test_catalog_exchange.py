"""Import validates the whole document first and imports nothing on error; export and
import give back the same catalog."""

import copy
import json

import pytest
from django.core.management import call_command

from buergerbuero.catalog.models import Service
from buergerbuero.catalog.services import catalog_export, catalog_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def document():
    return catalog_export()


def test_export_then_import_changes_nothing(document):
    before = copy.deepcopy(document)
    result = catalog_import(data=document)
    assert result.ok
    assert result.created == 0 and result.updated == len(before["services"])
    assert catalog_export() == before


def test_every_error_is_listed_with_its_place_and_nothing_is_imported(document):
    document["services"][0]["name"]["en"] = "Changed but must not be saved"
    document["services"][3]["leika_key"] = "12345"
    document["services"][4]["teaser"]["de"] = "x" * 301
    document["services"][5]["slug"] = "Not A Slug"
    result = catalog_import(data=document)
    assert not result.ok
    assert {problem.place for problem in result.problems} == {
        "services[3].leika_key",
        "services[4].teaser.de",
        "services[5].slug",
    }
    slug = document["services"][0]["slug"]
    assert Service.objects.get(slug=slug).name_en != "Changed but must not be saved"


def test_cross_references_are_checked_once_the_fields_are_valid(document):
    document["services"][2]["department"] = "no-such-office"
    document["services"][4]["channels"] = [{"kind": "external"}]
    document["services"][6]["life_situations"] = ["lottery-win"]
    result = catalog_import(data=document)
    assert [str(p) for p in result.problems] == [
        "services[2].department: unknown department 'no-such-office'",
        "services[4].channels[0].url: an external channel needs a url",
        "services[6].life_situations[0]: unknown slug 'lottery-win'",
    ]


def test_a_new_service_is_created(document):
    new = copy.deepcopy(document["services"][0])
    new["slug"] = "hundefuehrerschein"
    new["name"] = {"de": "Hundeführerschein", "en": "Dog owner's licence"}
    result = catalog_import(data={**document, "services": [new]})
    assert result.ok and result.created == 1
    assert Service.objects.get(slug="hundefuehrerschein").name_en == "Dog owner's licence"


def test_wrong_format_and_unknown_fields_are_refused():
    result = catalog_import(data={"format": "other/2", "services": [], "extra": 1})
    assert {p.place for p in result.problems} == {"format", "extra"}


def test_the_command_refuses_a_broken_file_and_names_the_problem(tmp_path, capsys, document):
    document["services"][1]["trust_level"] = "very-high"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(Exception, match="nothing was imported"):
        call_command("catalog_import", str(path))
    assert "services[1].trust_level" in capsys.readouterr().err


def test_admin_import_shows_problems_and_keeps_the_catalog(admin_client, document):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document["services"][0]["teaser"]["de"] = "x" * 301
    upload = SimpleUploadedFile("k.json", json.dumps(document).encode(), "application/json")
    response = admin_client.post("/admin/catalog/service/import/", {"file": upload})
    assert response.status_code == 200
    assert "services[0].teaser.de" in response.content.decode()


def test_admin_import_refuses_a_file_that_is_not_json(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("k.json", b"\x89PNG\r\n", "application/json")
    response = admin_client.post("/admin/catalog/service/import/", {"file": upload})
    assert "kein gültiges JSON" in response.content.decode()


def test_admin_export_downloads_the_catalog(admin_client):
    response = admin_client.get("/admin/catalog/service/export/")
    assert response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)["format"] == "buergerbuero.catalog/1"
