"""The back office's JSON API (/api/v1/cases): caseworkers read the cases of their own
departments — nobody else reads anything, a foreign case is not even confirmed to exist,
and every read is in the audit trail. Through HTTP with the Django session, as a
caseworker's tool would."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buergerbuero.applications import casework
from buergerbuero.applications.models import AuditEntry, CaseStatus, Document, DocumentKind

from .test_backoffice import make_case

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases"


def detail_url(case) -> str:
    return f"{CASES}/{case.reference}"


def wbs_definition() -> dict:
    return {
        "service": "wohnberechtigungsschein",
        "steps": [
            {
                "key": "person",
                "title": "Angaben",
                "fields": [
                    {"key": "name", "type": "text", "label": "Name", "prefill": "full_name"}
                ],
            }
        ],
    }


@pytest.fixture
def housing():
    from buergerbuero.applications.services import definition_import

    return definition_import(wbs_definition())[0]


def attach(case, name="impfpass.pdf") -> Document:
    return Document.objects.create(
        application=case.application,
        kind=DocumentKind.UPLOAD,
        file=ContentFile(b"%PDF-1.4 geheim", name="x.pdf"),
        name=name,
        content_type="application/pdf",
        size=15,
        sha256="a" * 64,
    )


# -- who may read -----------------------------------------------------------------------


def test_anonymous_callers_get_401_and_learn_nothing(client, dogs):
    case = make_case(dogs)
    for url in (CASES, detail_url(case)):
        response = client.get(url)
        assert response.status_code == 401
        assert case.reference not in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_citizens_and_staff_without_a_department_get_403(client, dogs):
    case = make_case(dogs)
    citizen = get_user_model().objects.create_user("erika", password="geheim-123")
    case.application.user = citizen  # even the applicant: this is the caseworkers' API
    case.application.save()
    staff_only = get_user_model().objects.create_user("neu", is_staff=True)
    for user in (citizen, staff_only):
        client.force_login(user)
        for url in (CASES, detail_url(case)):
            response = client.get(url)
            assert response.status_code == 403
            assert case.reference not in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_a_case_of_another_department_is_a_404_and_missing_from_the_list(
    client, dogs, housing, outsider
):
    dog_case = make_case(dogs, name="Erika Mustermann")
    own_case = make_case(housing, name="Max Muster")
    attach(dog_case)
    client.force_login(outsider)  # Jana works in the Wohnungsamt
    response = client.get(detail_url(dog_case))
    assert response.status_code == 404
    unknown = client.get(f"{CASES}/K-2099-999999")
    assert unknown.status_code == 404
    assert response.json() == unknown.json()  # a foreign case looks like no case at all
    listed = client.get(CASES, {"status": "all"}).json()
    assert [row["reference"] for row in listed["results"]] == [own_case.reference]
    assert "Erika" not in str(listed)
    # Nothing of the foreign case is in the trail: it was never read.
    assert not AuditEntry.objects.filter(case_reference=dog_case.reference).exists()


def test_a_deactivated_caseworker_is_shut_out(client, dogs, becker):
    case = make_case(dogs)
    client.force_login(becker)
    assert client.get(detail_url(case)).status_code == 200
    becker.is_staff = False  # no longer staff: whatever the department says
    becker.save()
    assert client.get(detail_url(case)).status_code == 403


def test_unsafe_methods_are_not_offered(client, dogs, becker):
    case = make_case(dogs)
    client.force_login(becker)
    assert client.post(detail_url(case)).status_code == 405
    assert client.delete(detail_url(case)).status_code == 405


# -- what a caseworker reads ------------------------------------------------------------


def test_the_list_shows_the_departments_open_cases_and_is_audited(client, dogs, housing, becker):
    mine = make_case(dogs, name="Erika Mustermann")
    closed = make_case(dogs, name="Ida Closed", status=CaseStatus.CLOSED)
    make_case(housing, name="Max Muster")  # the Wohnungsamt's
    client.force_login(becker)

    response = client.get(CASES)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "no-store" in response["Cache-Control"]  # personal data: never in a cache
    body = response.json()
    assert body["count"] == 1 and body["page"] == 1 and body["pages"] == 1
    (row,) = body["results"]
    assert row["reference"] == mine.reference
    assert row["applicant_name"] == "Erika Mustermann"
    assert row["service"]["code"] == "hund-anmelden"
    assert row["department"]["code"] == "steueramt"
    assert row["status"] == {"code": "submitted", "label": "eingegangen"}
    assert row["assigned_to"] is None
    assert row["url"] == mine.get_absolute_url()  # the case on the work screen
    assert row["api_url"] == detail_url(mine)
    everything = client.get(CASES, {"status": "all"}).json()
    assert {r["reference"] for r in everything["results"]} == {mine.reference, closed.reference}
    entries = AuditEntry.objects.filter(actor=becker, action="inbox.view").order_by("pk")
    assert [e.detail for e in entries] == ["api status=open page=1", "api status=all page=1"]


def test_the_list_filters_by_status_and_assignment(client, dogs, becker, schmitz):
    first = make_case(dogs, name="Erika Mustermann")
    second = make_case(dogs, name="Max Muster")
    casework.case_claim(first, user=becker, expected_version=first.version)
    casework.case_claim(second, user=schmitz, expected_version=second.version)
    waiting = make_case(dogs, name="Ida Wartend", status=CaseStatus.WAITING)
    client.force_login(becker)

    def references(**query):
        response = client.get(CASES, query)
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert references(assigned="me") == [first.reference]
    assert references(assigned="none") == [waiting.reference]
    assert references(status="waiting") == [waiting.reference]
    assert sorted(references(status="in_progress")) == sorted([first.reference, second.reference])
    assert references(q="Muster") == [first.reference, second.reference]
    mine = client.get(CASES, {"assigned": "me"}).json()["results"][0]
    assert mine["assigned_to"] == {"username": "anna.becker", "name": "Anna Becker"}
    # A search for a name is a read of it: the trail says what was looked for.
    assert AuditEntry.objects.filter(action="inbox.view", detail__contains="query=Muster").exists()
    # Values outside the documented ones are refused, not ignored.
    assert client.get(CASES, {"status": "gibtsnicht"}).status_code == 422
    assert client.get(CASES, {"assigned": "alle"}).status_code == 422


def test_the_list_pages_and_its_queries_do_not_grow_with_the_cases(client, dogs, becker, schmitz):
    client.force_login(becker)
    for number in range(3):
        case = make_case(dogs, name=f"Person {number}")
        casework.case_claim(case, user=schmitz, expected_version=case.version)

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CASES, {"page_size": 2}).status_code == 200
        return len(captured)

    queries_for_list()  # (the session's first request does its own bookkeeping)
    few = queries_for_list()
    for number in range(3, 8):
        case = make_case(dogs, name=f"Person {number}")
        casework.case_claim(case, user=schmitz, expected_version=case.version)
    assert queries_for_list() == few

    page = client.get(CASES, {"page_size": 2, "page": 4}).json()
    assert page["count"] == 8 and page["pages"] == 4 and len(page["results"]) == 2
    beyond = client.get(CASES, {"page_size": 2, "page": 9}).json()
    assert beyond["results"] == [] and beyond["count"] == 8
    assert client.get(CASES, {"page_size": 101}).status_code == 422


def test_the_detail_shows_the_file_without_internal_notes_or_file_contents(
    client, dogs, becker, schmitz
):
    case = make_case(dogs, name="Erika Mustermann")
    document = attach(case)
    case = casework.case_claim(case, user=schmitz, expected_version=case.version)
    casework.case_note(case, user=schmitz, text="Nachbarin beschwert sich", expected_version=2)
    client.force_login(becker)

    response = client.get(detail_url(case))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["reference"] == case.reference
    assert body["status"]["code"] == "in_progress"
    assert body["assigned_to"] == {"username": "klaus.schmitz", "name": "Klaus Schmitz"}
    assert body["version"] == 3
    assert body["decided_at"] is None and body["closed_at"] is None
    kinds = [event["kind"]["code"] for event in body["events"]]
    assert kinds == ["status", "submitted"]  # newest first; claim and note are internal
    assert "Nachbarin" not in response.content.decode()
    (meta,) = body["documents"]
    assert meta == {
        "id": document.pk,
        "name": "impfpass.pdf",
        "kind": {"code": "upload", "label": "Anlage zum Antrag"},
        "content_type": "application/pdf",
        "size": 15,
        "sha256": "a" * 64,
        "created_at": meta["created_at"],
        "download_url": meta["download_url"],
    }
    assert meta["download_url"].endswith(f"/dokumente/{document.pk}/")
    assert "geheim" not in response.content.decode()  # metadata only, never the file
    entry = AuditEntry.objects.get(action="case.view", case_reference=case.reference)
    assert entry.actor == becker and entry.detail == "api"


def test_the_api_is_in_the_openapi_schema_with_session_auth(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/cases", "/api/v1/cases/{reference}"} <= set(schema["paths"])
    operation = schema["paths"]["/api/v1/cases/{reference}"]["get"]
    assert {"200", "401", "403", "404"} <= set(operation["responses"])
    assert operation["security"] == [{"CaseworkerSession": []}]
    scheme = schema["components"]["securitySchemes"]["CaseworkerSession"]
    assert scheme["in"] == "cookie" and scheme["name"] == "sessionid"


def test_where_a_second_factor_is_required_a_password_only_session_reads_nothing(
    client, dogs, becker, settings
):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.STAFF_REQUIRE_2FA = True  # as in production
    case = make_case(dogs)
    client.force_login(becker)  # the password only
    for url in (CASES, detail_url(case)):
        response = client.get(url)
        assert response.status_code == 403
        assert case.reference not in response.content.decode()
    # Confirmed with the authenticator app (django-otp's device in the session): reads.
    device = TOTPDevice.objects.create(user=becker, name="Authenticator-App", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(detail_url(case)).status_code == 200
