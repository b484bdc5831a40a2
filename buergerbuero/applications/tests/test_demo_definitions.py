"""The Stadt Köln demo form definitions (``applications/demo/koeln/forms/*.json``).

Every file must be a valid definition of an online service of the demo catalog, its
conditions and placeholders must point at fields that exist (and can hold the value
compared), and the fees must come out exactly as the catalog states them. No database:
definitions are plain data, and the step forms are built without saving anything.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.http import QueryDict

from buergerbuero.applications.definition import Condition, FormDefinitionDocument, parse_definition
from buergerbuero.applications.formbuilder import StepForm

APP = Path(__file__).resolve().parent.parent
FORMS = APP / "demo" / "koeln" / "forms"
CATALOG = APP.parent / "catalog" / "demo" / "koeln"
NOT_YET = {"verwarngeld-bezahlen"}  # pays an existing reference: built with the payments issue
PLACEHOLDER = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
DECISION_PLACEHOLDERS = {"begruendung"}  # filled in by the caseworker, only in refusals


def _catalog() -> dict[str, dict]:
    services = {}
    for path in sorted(CATALOG.glob("services-*.json")):
        for service in json.loads(path.read_text(encoding="utf-8"))["services"]:
            services[service["slug"]] = service
    return services


def _online() -> set[str]:
    return {
        slug
        for slug, service in _catalog().items()
        if any(channel["kind"] == "online" for channel in service.get("channels", []))
    }


def _paths() -> list[Path]:
    return sorted(FORMS.glob("*.json"))


def _load(slug: str) -> FormDefinitionDocument:
    return parse_definition(json.loads((FORMS / f"{slug}.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def definitions() -> dict[str, FormDefinitionDocument]:
    return {path.stem: _load(path.stem) for path in _paths()}


# -- files and catalog -------------------------------------------------------------------


def test_there_are_definitions():
    assert len(_paths()) >= 30


@pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)
def test_file_parses_and_names_its_service(path):
    spec = parse_definition(json.loads(path.read_text(encoding="utf-8")))
    assert spec.service == path.stem
    assert spec.service in _catalog(), "not a service of the demo catalog"
    assert spec.service in _online(), "the catalog offers this service not online"
    assert spec.service not in NOT_YET
    assert spec.notice is not None, "caseworkers need a notice template"


def test_every_online_service_has_a_form():
    missing = _online() - NOT_YET - {path.stem for path in _paths()}
    assert not missing


# -- texts ---------------------------------------------------------------------------------


def _texts(node: Any, where: str = ""):
    """Every translated text ({"de": …, "en": …}) in a raw document, with its place."""
    if isinstance(node, dict):
        if "de" in node and set(node) <= {"de", "en"}:
            yield where, node
            return
        for key, value in node.items():
            yield from _texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{where}[{index}]")


@pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)
def test_every_text_is_german_and_english(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    for where, text in _texts(document):
        assert text.get("de", "").strip(), where
        assert text.get("en", "").strip(), f"{where}: English missing"
        assert "{%" not in text["de"] + text["en"], f"{where}: only {{{{ key }}}} placeholders"


# -- conditions ----------------------------------------------------------------------------


def _comparisons(condition: Condition):
    if condition.field is not None:
        yield condition
    for nested in [
        *(condition.all or []),
        *(condition.any or []),
        *([condition.not_] if condition.not_ else []),
    ]:
        yield from _comparisons(nested)


def _conditions(spec: FormDefinitionDocument):
    """(condition, index of the step it is evaluated on or None for fees)."""
    for index, step in enumerate(spec.steps):
        if step.show_if:
            yield step.show_if, index - 1  # decided before the step is shown
        for field in step.fields:
            for condition in (field.show_if, field.required_if):
                if condition:
                    yield condition, index
    for item in spec.fee.items if spec.fee else ():
        if item.when:
            yield item.when, None


@pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)
def test_conditions_compare_what_the_fields_store(path):
    spec = _load(path.stem)
    step_of = {field.key: i for i, step in enumerate(spec.steps) for field in step.fields}
    for condition, evaluated_on in _conditions(spec):
        for comparison in _comparisons(condition):
            field = spec.field(comparison.field)
            assert field is not None, comparison.field
            if evaluated_on is not None:
                assert step_of[field.key] <= evaluated_on, f"'{field.key}' is asked only later"
            # A date is unknown to conditions on its own step and an address is always
            # "filled": neither can drive a condition reliably.
            assert field.type not in ("date", "address", "file", "group", "info", "computed"), (
                field.key
            )
            values = [v for v in (comparison.equals, comparison.not_equals) if v is not None]
            values += comparison.one_of or []
            if field.type == "yesno":
                assert all(isinstance(v, bool) for v in values), (
                    f"{field.key}: yes/no is true/false"
                )
            elif field.type == "choice":
                options = {option.value for option in field.options}
                assert all(isinstance(v, str) and v in options for v in values), (
                    f"{field.key}: {values}"
                )


@pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)
def test_fee_quantities_are_numbers_or_groups(path):
    spec = _load(path.stem)
    for item in spec.fee.items if spec.fee else ():
        if isinstance(item.quantity, str):
            ref = item.quantity.removeprefix("count:")
            expected = "group" if item.quantity.startswith("count:") else "number"
            assert spec.field(ref).type == expected


# -- notices -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)
def test_notice_placeholders_are_answers(path):
    spec = _load(path.stem)
    answers = {
        field.key for field in spec.all_fields() if field.stores_answer and field.type != "file"
    }
    notice = spec.notice
    for part, allowed in (
        ("title", answers),
        ("approved", answers),
        ("rejected", answers | DECISION_PLACEHOLDERS),
    ):
        text = getattr(notice, part)
        german, english = set(PLACEHOLDER.findall(text.de)), set(PLACEHOLDER.findall(text.en))
        assert german <= allowed, f"{part}: unknown {german - allowed}"
        assert german == english, f"{part}: German and English use different placeholders"
    for key in notice.permit_fields:
        assert key in answers, key
    if notice.kind == "permit":
        assert notice.permit_fields
    if notice.valid_months_field:
        months = spec.field(notice.valid_months_field)
        assert months is not None
        if months.type == "choice":
            assert all(option.value.isdigit() for option in months.options)
        else:
            assert months.type == "number"


@pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)
def test_notice_texts_fit_how_notices_are_issued(path):
    """A notice is one PDF of this text: nothing is attached. The caseworker edits the text
    before issuing and the reason of a refusal is put below it; an automatic notice is
    issued unedited, so it has no [fill-in] parts."""
    notice = _load(path.stem).notice
    for text in (notice.approved, notice.rejected):
        for language in (text.de, text.en):
            assert not re.search(r"\b(Anlage|anbei|annex|enclosed)\b", language), language[:80]
    for language in (notice.rejected.de, notice.rejected.en):
        if "begruendung" in language:
            assert language.rstrip().endswith("{{ begruendung }}"), "the reason follows the text"
    if _load(path.stem).automatic:
        assert "[" not in notice.approved.de + notice.approved.en


@pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)
def test_applicant_is_found_by_prefill(path):
    """The case's name is the first full-name field, the letter goes to the first address
    field prefilled from the account: both must be the applicant's own."""
    spec = _load(path.stem)
    names = [field.key for field in spec.all_fields() if field.prefill == "full_name"]
    if names:
        assert names[0] == "name"
    addresses = [
        field.key
        for field in spec.all_fields()
        if field.type == "address" and field.prefill == "address"
    ]
    assert len(addresses) <= 1


def test_step_keys_are_not_field_keys(definitions):
    """A step's page and its fields share one URL and one HTML page: keep names apart."""
    for slug, spec in definitions.items():
        fields = {field.key for field in spec.all_fields()}
        assert not fields & {step.key for step in spec.steps}, slug


def test_automatic_services(definitions):
    automatic = {slug for slug, spec in definitions.items() if spec.automatic}
    assert {"flurkarte", "gewerbe-anmelden", "gewerbe-ummelden", "gewerbe-abmelden"} <= automatic
    assert (
        definitions["flurkarte"].notice.title.de
        == "Auszug aus dem Liegenschaftskataster – Flurkarte"
    )


def test_retention_and_anonymity(definitions):
    assert definitions["hund-anmelden"].retention_days == 3650
    assert definitions["wohnberechtigungsschein"].retention_days == 1825
    assert definitions["wohnberechtigungsschein"].four_eyes is False
    assert definitions["stellenangebote"].retention_days == 180
    assert definitions["maengelmelder"].anonymous is True
    catalog = _catalog()
    for slug, spec in definitions.items():
        if catalog[slug]["trust_level"] in ("substantial", "high"):
            assert spec.anonymous is False, f"{slug} needs an account"


# -- fees ----------------------------------------------------------------------------------


def fee(slug: str, **answers) -> int:
    return _load(slug).fee_total_cents(answers)


@pytest.mark.parametrize("slug", ["geburtsurkunde", "eheurkunde", "sterbeurkunde"])
def test_certificate_fees(slug):
    assert fee(slug, anzahl="1", sozialleistung=False) == 1200
    assert fee(slug, anzahl="3", sozialleistung=False) == 1200 + 2 * 600
    assert fee(slug, anzahl="3", sozialleistung=True) == 0
    assert fee(slug, anzahl="10", sozialleistung=False) == 1200 + 9 * 600


def test_dog_fees():
    assert fee("hund-anmelden", gross=True) == 2500
    assert fee("hund-anmelden", gross=False, listenhund=False) == 0
    assert fee("hund-abmelden", grund="verstorben") == 0


@pytest.mark.parametrize(
    ("length", "months", "cents"),
    [
        ("bis_4109", "12", 10000),
        ("bis_4709", "12", 11000),
        ("ueber_4709", "12", 12000),
        ("bis_4109", "24", 17000),
        ("bis_4709", "24", 19000),
        ("ueber_4709", "24", 21000),
    ],
)
def test_residents_parking_fees(length, months, cents):
    assert fee("bewohnerparkausweis", fahrzeuglaenge=length, laufzeit=months) == cents


def _people(n: int) -> list[dict]:
    return [
        {"name": f"Person {i}", "geburtsdatum": "1980-01-01", "staatsangehoerigkeit": "deutsch"}
        for i in range(n)
    ]


@pytest.mark.parametrize("slug", ["gewerbe-anmelden", "gewerbe-ummelden"])
def test_trade_fees(slug):
    assert fee(slug, rechtsform="einzelunternehmen") == 2600
    assert fee(slug, rechtsform="gbr", gesellschafter=_people(3)) == 3 * 2600
    assert fee(slug, rechtsform="ohg", gesellschafter=_people(2)) == 2 * 2600
    assert fee(slug, rechtsform="gmbh", vertretung=_people(1)) == 3300
    assert fee(slug, rechtsform="gmbh", vertretung=_people(3)) == 3300 + 2 * 1300
    assert fee(slug, rechtsform="ug", vertretung=_people(2)) == 3300 + 1300
    # a group hidden by the legal form holds None and costs nothing
    assert fee(slug, rechtsform="einzelunternehmen", gesellschafter=None, vertretung=None) == 2600


def test_trade_deregistration_is_free():
    assert _load("gewerbe-abmelden").fee is None


def test_no_parking_zone_fees():
    assert fee("sondernutzung-halteverbot", tage="1") == 3600
    assert fee("sondernutzung-halteverbot", tage="3") == 3600 + 2 * 1800


def test_other_fixed_fees():
    assert fee("flurkarte", anzahl="1") == 1500
    assert fee("flurkarte", anzahl="2") == 3000
    assert fee("fuehrerschein-umtausch") == 2530
    assert fee("eid-karte") == 3700
    assert fee("melderegisterauskunft") == 1000
    assert fee("meldebescheinigung", sozialleistung=False) == 1000
    assert fee("meldebescheinigung", sozialleistung=True) == 0
    assert fee("hygienebelehrung", art="erstbelehrung", ehrenamt=False) == 2500
    assert fee("hygienebelehrung", art="zweitschrift", ehrenamt=False) == 1500
    assert fee("hygienebelehrung", art="erstbelehrung", ehrenamt=True) == 0
    assert fee("fischereischein", art="jahr") == 1600
    assert fee("fischereischein", art="fuenfjahr") == 4800
    assert fee("fischereischein", art="jugend") == 800
    assert fee("einbuergerung", kinder=[]) == 25500
    assert fee("einbuergerung", kinder=[{"name": "A"}, {"name": "B"}]) == 25500 + 2 * 5100
    assert fee("bibliotheksausweis", altersgruppe="unter_21") == 0
    assert fee("bibliotheksausweis", altersgruppe="ab_21", koelnpass=False) == 3000
    assert fee("bibliotheksausweis", altersgruppe="ab_21", koelnpass=True) == 0


def test_services_with_fees_not_computable_from_the_form_charge_nothing_online(definitions):
    """The catalog gives ranges or "depends on size": the fee comes with the notice."""
    for slug in (
        "bauakteneinsicht",
        "baulastenauskunft",
        "baumfaellung",
        "gaststaettenerlaubnis",
        "bildarchiv-foto",
    ):
        assert definitions[slug].fee is None, slug
        assert definitions[slug].intro is not None, slug


def test_free_services_charge_nothing(definitions):
    catalog = _catalog()
    for slug, spec in definitions.items():
        text = catalog[slug]["fees"]["de"].lower()
        if text.startswith("gebührenfrei"):
            assert spec.fee is None, slug


# -- the forms the definitions build ---------------------------------------------------------


@pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)
def test_every_step_builds_a_form(path):
    spec = _load(path.stem)
    for step in spec.steps:
        form = StepForm(spec, step, data=QueryDict(mutable=True), answers={})
        assert len(form.items()) == len(step.fields)


def _address_errors(street: str, postcode: str) -> list[str]:
    spec = _load("bewohnerparkausweis")
    data = QueryDict(mutable=True)
    data.update({"adresse__street": street, "adresse__postcode": postcode, "adresse__city": "Köln"})
    form = StepForm(spec, spec.step("wohnung"), data=data, answers={})
    form.is_valid()
    return form.errors.get("adresse__street", [])


def test_demo_citizen_lives_in_a_residents_parking_zone():
    assert _address_errors("Venloer Straße 123", "50823") == []
    assert _address_errors("Venloer Str. 123", "50823") == []


def test_address_outside_the_zones_is_refused():
    assert _address_errors("Hohe Straße 1", "50667")
    assert _address_errors("Venloer Straße 123", "50825")  # right street, other postcode


def test_zone_list_entries_are_complete():
    streets = _load("bewohnerparkausweis").lists["bewohnerparkzonen"].streets
    assert len(streets) >= 25
    for entry in streets:
        assert entry["street"] and re.fullmatch(r"\d{5}", entry["postcode"]) and entry["zone"]
