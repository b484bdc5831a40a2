# ruff: noqa: E501
"""Every demo form can be filled in and submitted through the web — no "Online beantragen"
leads nowhere — and the special rules of the worked services hold: the residents' parking
zone, the permit card, the automatic Flurkarte, four eyes for the dog's deregistration."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from buergerbuero.applications import casework
from buergerbuero.applications.models import Application, Case, CaseStatus, FormDefinition
from buergerbuero.identity.testing.sessions import login_at_level

from .conftest import png_file

pytestmark = pytest.mark.django_db


def answer_for(spec, name: str, overrides: dict) -> dict:
    """Plausible form data for one field (the first option, a past date …)."""
    key = spec["key"]
    if key in overrides:
        value = overrides[key]
        if spec["type"] == "date":
            day = dt.date.fromisoformat(value)
            return {
                f"{name}_0": str(day.day),
                f"{name}_1": str(day.month),
                f"{name}_2": str(day.year),
            }
        if spec["type"] == "address":
            return {f"{name}__{part}": value[part] for part in ("street", "postcode", "city")}
        return {name: value}
    kind = spec["type"]
    if kind in ("text", "textarea"):
        limit = spec.get("max_length") or 200
        return {name: "2026"[:limit] if limit < 8 else "Beispiel"}
    if kind == "number":
        return {name: str(int(float(spec.get("min", 1)))) if spec.get("min") is not None else "1"}
    if kind == "date":
        day = dt.date.today() + (
            dt.timedelta(days=10) if spec.get("date_range") == "future" else -dt.timedelta(days=400)
        )
        return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}
    if kind == "choice":
        first = spec["options"][0]["value"]
        return {name: [first] if spec.get("widget") == "checkbox" else first}
    if kind == "yesno":
        return {name: "nein"}
    if kind == "email":
        return {name: "test@example.org"}
    if kind == "phone":
        return {name: "0221 12345678"}
    if kind == "iban":
        return {name: "DE89370400440532013000"}
    if kind == "address":
        return {
            f"{name}__street": "Venloer Straße 123",
            f"{name}__postcode": "50823",
            f"{name}__city": "Köln",
        }
    return {}


def step_data(step: dict, overrides: dict) -> dict:
    data: dict = {"action": "next"}
    for spec in step["fields"]:
        if spec["type"] == "group":
            count = max(spec.get("min_items", 1), 1)
            data[f"{spec['key']}__count"] = str(count)
            for index in range(count):
                for sub in spec["fields"]:
                    data.update(answer_for(sub, f"{spec['key']}__{index}__{sub['key']}", overrides))
        elif spec["type"] == "file":
            if spec.get("required", True):
                data[spec["key"]] = (
                    png_file(f"{spec['key']}.png")
                    if "image" in spec.get("accept", ["image"])
                    else pdf_file()
                )
        else:
            data.update(answer_for(spec, spec["key"], overrides))
    return data


def pdf_file() -> SimpleUploadedFile:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile("nachweis.pdf", buffer.getvalue(), content_type="application/pdf")


def apply(client, slug: str, overrides: dict | None = None):
    """Fill in every visible step with plausible answers; returns (application, response
    of the last step)."""
    overrides = overrides or {}
    client.post(reverse("applications:start", args=[slug]))
    application = Application.objects.filter(service__slug=slug).latest("created_at")
    for _ in range(10):
        application.refresh_from_db()
        visible = application.definition.spec.visible_steps(application.answers)
        todo = [s for s in visible if s.key not in application.completed_steps]
        if not todo:
            break
        step = next(s for s in application.definition.document["steps"] if s["key"] == todo[0].key)
        response = client.post(
            reverse("applications:step", args=[application.public_id, step["key"]]),
            step_data(step, overrides),
        )
        assert response.status_code == 302, _errors(response)
    return application


def _errors(response) -> str:
    return " | ".join(
        re.findall(r'class="kern-link" href="#[^"]*">([^<]+)</a>', response.content.decode())
    )


def submit(client, application):
    response = client.post(
        reverse("applications:summary", args=[application.public_id]), {"confirm": "on"}
    )
    assert response.status_code == 302, _errors(response)
    if "testanbieter" in response["Location"]:
        response = client.post(response["Location"], {"aktion": "bezahlen"})
        response = client.get(response["Location"])
    return Case.objects.get(application=application)


@pytest.fixture
def citizen(client):
    # Some services need the BundID with the online ID function (level high).
    login_at_level(client, get_user_model().objects.get(username="buerger"), "high")
    return client


def test_every_demo_form_can_be_submitted(citizen, django_capture_on_commit_callbacks):
    slugs = sorted(
        FormDefinition.objects.filter(is_active=True).values_list("service__slug", flat=True)
    )
    assert len(slugs) >= 38
    for slug in slugs:
        with django_capture_on_commit_callbacks(execute=True):
            case = submit(citizen, apply(citizen, slug))
        assert re.fullmatch(r"K-\d{4}-\d{6}", case.reference), slug


def test_residents_parking_permit_only_inside_a_zone_and_issued_as_a_card(
    citizen, django_capture_on_commit_callbacks
):
    citizen.post(reverse("applications:start", args=["bewohnerparkausweis"]))
    application = Application.objects.filter(service__slug="bewohnerparkausweis").latest(
        "created_at"
    )
    first = application.definition.document["steps"][0]
    outside = {"street": "Hohe Straße 1", "postcode": "50667", "city": "Köln"}
    address_key = next(
        f["key"]
        for s in application.definition.document["steps"]
        for f in s["fields"]
        if f["type"] == "address"
    )
    refused = citizen.post(
        reverse("applications:step", args=[application.public_id, first["key"]]),
        step_data(first, {address_key: outside}),
    )
    assert any(f["key"] == address_key for f in first["fields"])  # asked on the first step
    assert refused.status_code == 422
    assert "Diese Anschrift liegt in keinem Bewohnerparkgebiet" in refused.content.decode()
    application = apply(citizen, "bewohnerparkausweis")
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(citizen, application)
    assert application.documents.filter(kind="receipt").exists()
    worker = get_user_model().objects.get(username="sb-strassenverkehrsamt")
    text = casework.notice_text_default(case, CaseStatus.APPROVED)
    casework.case_decide(
        case, user=worker, decision=CaseStatus.APPROVED, text=text, expected_version=case.version
    )
    notice = case.notices.get()
    pdf = "\n".join(p.extract_text() for p in PdfReader(notice.document.file.open("rb")).pages)
    assert "Bewohnerparkausweis" in pdf and "Gültig vom" in pdf


def test_flurkarte_is_issued_at_once_after_payment(citizen, django_capture_on_commit_callbacks):
    application = apply(citizen, "flurkarte")
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(citizen, application)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert case.notices.count() == 1
    page = citizen.get(
        reverse("applications:submitted", args=[application.public_id])
    ).content.decode()
    assert "Ihr Dokument ist fertig" in page


def test_dog_deregistration_needs_a_second_caseworker(citizen, django_capture_on_commit_callbacks):
    application = apply(citizen, "hund-abmelden")
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(citizen, application)
    becker = get_user_model().objects.get(username="becker")
    schulz = get_user_model().objects.get(username="schulz")
    case = casework.case_decide(
        case,
        user=becker,
        decision=CaseStatus.APPROVED,
        text="Abgemeldet.",
        expected_version=case.version,
    )
    assert case.status == CaseStatus.AWAITING_APPROVAL and not case.notices.exists()
    with pytest.raises(casework.NotAllowed):
        casework.case_approve_decision(
            case, user=becker, expected_version=case.version, approve=True
        )
    case = casework.case_approve_decision(
        case, user=schulz, expected_version=case.version, approve=True
    )
    assert case.status == CaseStatus.APPROVED
    notice = case.notices.get()
    assert notice.issued_by == becker and notice.approved_by == schulz


def test_notices_carry_the_remedy_of_their_service(citizen, django_capture_on_commit_callbacks):
    """The default is a lawsuit at the administrative court; municipal taxes name the
    objection (Widerspruch); a reply to a defect report is no administrative act."""
    texts = {}
    for slug, username in [
        ("hund-anmelden", "becker"),
        ("grundsteuer", "becker"),
        ("maengelmelder", "sb-strassenbau"),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            case = submit(citizen, apply(citizen, slug))
        worker = get_user_model().objects.get(username=username)
        casework.case_decide(
            case,
            user=worker,
            decision=CaseStatus.APPROVED,
            text="Erledigt.",
            expected_version=case.version,
        )
        document = case.notices.get().document
        texts[slug] = "\n".join(p.extract_text() for p in PdfReader(document.file.open("rb")).pages)
    assert "Verwaltungsgericht Köln" in texts["hund-anmelden"]
    assert "Widerspruch" in texts["grundsteuer"]
    assert "Rechtsbehelfsbelehrung" not in texts["maengelmelder"]
