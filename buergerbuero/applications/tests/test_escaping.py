"""Script typed into any text field is shown as text everywhere: summary, the citizen's case
page, the caseworker's case page, the receipt and the notice PDF."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from buergerbuero.applications import casework
from buergerbuero.applications.models import Application, Case, CaseStatus
from buergerbuero.applications.services import definition_import

from .conftest import free_sample_definition, licence_data, person_data

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
IMAGE = '<img src=x onerror="alert(1)">'


def pdf_text(document) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(document.file.open("rb")).pages)


def test_script_in_every_text_field_stays_text(django_capture_on_commit_callbacks):
    definition_import(free_sample_definition())
    citizen = Client()
    citizen.force_login(get_user_model().objects.get(username="buerger"))
    citizen.post(reverse("applications:start", args=["fischereischein"]))
    application = Application.objects.latest("created_at")
    step = lambda key: reverse("applications:step", args=[application.public_id, key])  # noqa: E731
    citizen.post(
        step("person"),
        person_data(name=f"Erika {SCRIPT}", anschrift__street=f"Weg {IMAGE} 1"),
    )
    citizen.post(
        step("schein"),
        licence_data(
            bemerkung=f"Bitte {SCRIPT} beachten",
            begleitung__count="1",
            begleitung__0__vorname=IMAGE,
        ),
    )
    summary = citizen.get(reverse("applications:summary", args=[application.public_id]))
    for page in (summary.content.decode(),):
        assert SCRIPT not in page and IMAGE not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    with django_capture_on_commit_callbacks(execute=True):
        citizen.post(
            reverse("applications:summary", args=[application.public_id]), {"confirm": "on"}
        )
    case = Case.objects.get(application=application)

    mine = citizen.get(reverse("applications:my_case", args=[case.reference])).content.decode()
    assert SCRIPT not in mine and IMAGE not in mine and "&lt;script&gt;" in mine

    caseworker = Client()
    worker = get_user_model().objects.get(username="sb-umweltamt")
    caseworker.force_login(worker)
    office = caseworker.get(reverse("backoffice:case", args=[case.reference])).content.decode()
    assert SCRIPT not in office and IMAGE not in office and "&lt;script&gt;" in office

    receipt = pdf_text(application.documents.get(kind="receipt"))
    assert SCRIPT in receipt and "Weg <img" in receipt  # printed as the letters typed

    text = casework.notice_text_default(case, CaseStatus.APPROVED)
    assert SCRIPT in text  # the template's {{ name }} filled in verbatim …
    casework.case_decide(
        case, user=worker, decision=CaseStatus.APPROVED, text=text, expected_version=case.version
    )
    notice = pdf_text(case.notices.get().document)
    assert SCRIPT in notice  # … and printed as text, not interpreted
