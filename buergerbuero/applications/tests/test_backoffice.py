"""The caseworkers' work screen: the department inbox, the case file and its actions,
document downloads — who may see what, conflicts between two caseworkers, the four-eyes
principle and the audit trail. Everything goes through HTTP, as a caseworker would."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buergerbuero.applications import casework
from buergerbuero.applications.models import (
    Application,
    ApplicationStatus,
    AuditEntry,
    Case,
    CaseEvent,
    CaseStatus,
    Document,
    DocumentKind,
    DocumentRequest,
    EventKind,
    Notice,
)
from buergerbuero.applications.services import definition_import, reference_next
from buergerbuero.organisation.models import Department

pytestmark = pytest.mark.django_db

INBOX = "/sachbearbeitung/"

needs_pdf = pytest.mark.skipif(
    importlib.util.find_spec("buergerbuero.core.documents") is None,
    reason="issuing a notice renders its PDF through buergerbuero.core.documents (not there yet)",
)


def dog_definition(*, four_eyes: bool = False) -> dict:
    return {
        "service": "hund-anmelden",
        "four_eyes": four_eyes,
        "steps": [
            {
                "key": "hund",
                "title": "Ihr Hund",
                "fields": [
                    {"key": "name", "type": "text", "label": "Ihr Name", "prefill": "full_name"},
                    {"key": "rasse", "type": "text", "label": "Rasse"},
                    {
                        "key": "weitere",
                        "type": "group",
                        "label": "Weitere Hunde",
                        "required": False,
                        "min_items": 0,
                        "fields": [{"key": "rufname", "type": "text", "label": "Rufname"}],
                    },
                ],
            }
        ],
        "notice": {
            "title": "Anmeldung Ihres Hundes",
            "approved": "Ihr Hund der Rasse {{ rasse }} ist zur Hundesteuer angemeldet.",
        },
    }


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


def make_case(definition, *, name="Erika Mustermann", rasse="Dackel", **case_fields) -> Case:
    answers = (
        {"name": name, "rasse": rasse} if "rasse" in str(definition.document) else {"name": name}
    )
    application = Application.objects.create(
        service=definition.service,
        definition=definition,
        status=ApplicationStatus.SUBMITTED,
        answers=answers,
        submitted_at=timezone.now(),
    )
    case = Case.objects.create(
        reference=reference_next(),
        application=application,
        service=definition.service,
        department=definition.service.department,
        applicant_name=name,
        **case_fields,
    )
    CaseEvent.objects.create(case=case, kind=EventKind.SUBMITTED)
    return case


def make_caseworker(username: str, department: str, first: str, last: str):
    user = get_user_model().objects.create_user(
        username, password="geheim-123", is_staff=True, first_name=first, last_name=last
    )
    user.departments.add(Department.objects.get(slug=department))
    return user


def case_url(case: Case, action: str = "") -> str:
    if action:
        return reverse("backoffice:case_action", args=[case.reference, action])
    return reverse("backoffice:case", args=[case.reference])


def post_action(client, case: Case, action: str, version: int | None = None, **fields):
    data = {f"{action}-version": case.version if version is None else version}
    data.update({f"{action}-{name}": value for name, value in fields.items()})
    return client.post(case_url(case, action), data)


# -- who may enter ----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login(client, dogs):
    case = make_case(dogs)
    for url in (INBOX, case_url(case)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/verwaltung/anmelden/?next=")
    response = post_action(client, case, "notiz", text="x")
    assert response.status_code == 302
    assert not CaseEvent.objects.filter(kind=EventKind.NOTE).exists()


def test_logged_in_without_a_department_gets_a_page_that_says_why(client):
    citizen = get_user_model().objects.create_user("anna", password="geheim-123")
    staff_without_department = get_user_model().objects.create_user(
        "neu", password="geheim-123", is_staff=True
    )
    for user in (citizen, staff_without_department):
        client.force_login(user)
        response = client.get(INBOX)
        assert response.status_code == 403
        assert "keinem Amt zugeordnet" in response.content.decode()


def test_a_caseworker_of_another_department_cannot_open_the_case_or_its_documents(
    client, dogs, outsider
):
    case = make_case(dogs)
    document = Document.objects.create(
        application=case.application,
        kind=DocumentKind.UPLOAD,
        file=ContentFile(b"%PDF-1.4", name="x.pdf"),
        name="impfpass.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )
    client.force_login(outsider)
    assert client.get(case_url(case)).status_code == 404
    assert client.get(reverse("backoffice:document", args=[document.pk])).status_code == 404
    assert post_action(client, case, "uebernehmen").status_code == 404
    case.refresh_from_db()
    assert case.assigned_to is None and case.version == 1
    assert not AuditEntry.objects.filter(case_reference=case.reference).exists()


# -- the inbox --------------------------------------------------------------------------


def test_the_inbox_lists_only_the_departments_cases_and_is_audited_once(client, dogs, becker):
    wbs = definition_import(wbs_definition())[0]
    mine = make_case(dogs, name="Erika Mustermann")
    make_case(dogs, name="Hans Meier")
    other = make_case(wbs, name="Fremde Person")
    client.force_login(becker)

    html = client.get(INBOX).content.decode()

    assert mine.reference in html and "Erika Mustermann" in html and "Hans Meier" in html
    assert other.reference not in html and "Fremde Person" not in html
    assert "heute" in html
    entries = AuditEntry.objects.filter(action="inbox.view")
    assert entries.count() == 1
    assert entries.get().actor == becker and entries.get().case_reference == ""


def test_the_inbox_filters_by_status_service_assignment_and_search(client, dogs, becker, schmitz):
    new = make_case(dogs, name="Erika Mustermann")
    claimed = make_case(dogs, name="Hans Meier", assigned_to=becker, status="in_progress")
    colleagues = make_case(dogs, name="Olga Petrova", assigned_to=schmitz, status="waiting")
    closed = make_case(dogs, name="Kurt Klein", status="closed")
    client.force_login(becker)

    def listed(**params) -> set[str]:
        html = client.get(INBOX, params).content.decode()
        return {c.reference for c in (new, claimed, colleagues, closed) if c.reference in html}

    assert listed() == {new.reference, claimed.reference, colleagues.reference}
    assert listed(status="closed") == {closed.reference}
    assert listed(status="all") == {
        new.reference,
        claimed.reference,
        colleagues.reference,
        closed.reference,
    }
    assert listed(status="waiting") == {colleagues.reference}
    assert listed(assigned="me") == {claimed.reference}
    assert listed(assigned="none") == {new.reference}
    assert listed(q="petrova") == {colleagues.reference}
    assert listed(q=new.reference) == {new.reference}
    assert listed(service="hund-anmelden") == {
        new.reference,
        claimed.reference,
        colleagues.reference,
    }
    assert listed(status="bogus") == {new.reference, claimed.reference, colleagues.reference}

    html = client.get(INBOX).content.decode()
    assert "– optional" not in html.split('for="id_q"')[0]  # the selects always have a value
    assert 'aria-current="true">Alle offenen (3)' in html
    assert "?status=closed" in html and "Abgeschlossen (1)" in html
    assert "Sie</td>" in html  # the case assigned to the viewer
    assert "Klaus Schmitz" in html


def test_an_empty_inbox_says_where_new_applications_appear(client, becker):
    client.force_login(becker)
    html = client.get(INBOX).content.decode()
    assert "Keine Vorgänge in Ihrem Postfach – neue Anträge erscheinen hier." in html
    html = client.get(INBOX, {"q": "niemand"}).content.decode()
    assert "Keine Vorgänge passen zu diesen Filtern." in html


def test_the_inbox_pages_by_25_and_its_queries_do_not_grow_with_the_cases(client, dogs, becker):
    client.force_login(becker)
    make_case(dogs)
    client.get(INBOX)  # warm up: session, content types
    with CaptureQueriesContext(connection) as one_case:
        client.get(INBOX)
    for number in range(25):
        make_case(dogs, name=f"Person {number}", assigned_to=becker)
    with CaptureQueriesContext(connection) as many_cases:
        response = client.get(INBOX)
    assert len(many_cases) == len(one_case), [q["sql"] for q in many_cases]
    html = response.content.decode()
    assert "26 Vorgänge" in html and "Seite 1 von 2" in html
    assert len(re.findall(r'<th scope="row" class="kern-table__cell"><a', html)) == 25
    second = client.get(INBOX, {"seite": 2}).content.decode()
    assert len(re.findall(r'<th scope="row" class="kern-table__cell"><a', second)) == 1


def test_received_ago_counts_days():
    from buergerbuero.applications.backoffice_views import received_ago

    now = timezone.now()
    today = timezone.localdate(now)
    assert received_ago(now, today=today) == "heute"
    assert received_ago(now, today=today + dt.timedelta(days=1)) == "gestern"
    assert received_ago(now, today=today + dt.timedelta(days=3)) == "vor 3 Tagen"


# -- the case file ----------------------------------------------------------------------


def test_the_case_page_shows_the_file_escapes_answers_and_is_audited(client, dogs, becker):
    case = make_case(dogs, name="<script>alert('name')</script>", rasse="<script>alert(1)</script>")
    case.application.answers["weitere"] = [{"rufname": "Bello"}, {"rufname": "Fiffi"}]
    case.application.save()
    casework.case_note(case, user=becker, text="Impfpass fehlt?", expected_version=1)
    client.force_login(becker)

    response = client.get(case_url(case))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'item__value">&lt;script&gt;alert(1)&lt;/script&gt;</dd>' in html  # the answer
    assert "<dt>Rufname</dt><dd>Bello</dd>" in html and "<dt>Rufname</dt><dd>Fiffi</dd>" in html
    assert "Impfpass fehlt?" in html and "intern" in html
    assert f"Vorgang {case.reference}" in html
    assert 'name="notiz-version" value="2"' in html
    assert "Zugriffsprotokoll" in html and "case.view" in html
    entry = AuditEntry.objects.filter(action="case.view").get()
    assert entry.actor == becker and entry.case_reference == case.reference


def test_the_approval_text_is_prefilled_from_the_services_template(client, dogs, becker):
    case = make_case(dogs, rasse="Dackel")
    client.force_login(becker)
    html = client.get(case_url(case)).content.decode()
    assert "Ihr Hund der Rasse Dackel ist zur Hundesteuer angemeldet." in html
    assert 'kern-description-list-item__value">Dackel</dd>' in html


def test_a_document_downloads_as_an_attachment_and_the_download_is_audited(client, dogs, becker):
    case = make_case(dogs)
    document = Document(
        application=case.application,
        kind=DocumentKind.UPLOAD,
        name="Impfpass Bello.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )
    document.file.save("x", ContentFile(b"%PDF-1.4"), save=False)
    document.save()
    client.force_login(becker)

    response = client.get(reverse("backoffice:document", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Impfpass" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="document.download")
    assert entry.actor == becker and entry.case_reference == case.reference
    assert "Impfpass Bello.pdf" in entry.detail


def test_a_draft_applications_document_is_not_reachable(client, dogs, becker):
    draft = Application.objects.create(service=dogs.service, definition=dogs)
    document = Document(
        application=draft,
        kind=DocumentKind.UPLOAD,
        name="a.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0",
    )
    document.file.save("x", ContentFile(b"x"), save=False)
    document.save()
    client.force_login(becker)
    assert client.get(reverse("backoffice:document", args=[document.pk])).status_code == 404


# -- actions ----------------------------------------------------------------------------


def test_claiming_assigns_the_case_and_starts_work(client, dogs, becker):
    case = make_case(dogs)
    client.force_login(becker)

    response = post_action(client, case, "uebernehmen")

    assert response.status_code == 302 and response["Location"] == case_url(case)
    case.refresh_from_db()
    assert case.assigned_to == becker
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.version == 2
    page = client.get(case_url(case)).content.decode()
    assert "Sie bearbeiten jetzt diesen Vorgang." in page
    assert 'id="aktion-uebernehmen"' not in page  # nothing to claim any more
    assert AuditEntry.objects.filter(action="case.claim", actor=becker).exists()


def test_the_second_of_two_caseworkers_gets_a_conflict_and_keeps_the_text(
    client, dogs, becker, schmitz
):
    case = make_case(dogs)
    client.force_login(schmitz)
    assert (
        post_action(client, case, "notiz", version=1, text="Rückruf vereinbart").status_code == 302
    )
    client.force_login(becker)

    response = post_action(client, case, "notiz", version=1, text="Meine lange Notiz")

    html = response.content.decode()
    assert response.status_code == 409
    assert "Dieser Vorgang wurde inzwischen von Klaus Schmitz geändert (interne Notiz" in html
    assert "Ihre Eingabe ist unten erhalten" in html
    assert "Meine lange Notiz</textarea>" in html
    assert 'name="notiz-version" value="2"' in html  # sending it again applies it to v2
    assert not CaseEvent.objects.filter(text="Meine lange Notiz").exists()
    case.refresh_from_db()
    assert case.version == 2

    resent = post_action(client, case, "notiz", version=2, text="Meine lange Notiz")
    assert resent.status_code == 302
    assert CaseEvent.objects.filter(text="Meine lange Notiz", public=False).exists()


def test_claiming_an_outdated_case_says_who_took_it(client, dogs, becker, schmitz):
    case = make_case(dogs)
    casework.case_claim(case, user=schmitz, expected_version=1)
    client.force_login(becker)

    response = post_action(client, case, "uebernehmen", version=1)

    html = response.content.decode()
    assert response.status_code == 409
    assert "von Klaus Schmitz geändert" in html
    assert "versuchen Sie es dann erneut" in html
    case.refresh_from_db()
    assert case.assigned_to == schmitz


def test_a_conflict_found_by_the_service_is_shown_the_same_way(
    client, dogs, becker, schmitz, monkeypatch
):
    case = make_case(dogs)

    def overtaken(case, **kwargs):  # a colleague commits between our read and our write
        casework.case_claim(case, user=schmitz, expected_version=case.version)
        raise casework.Conflict(Case.objects.get(pk=case.pk))

    monkeypatch.setattr(casework, "case_message", overtaken)
    client.force_login(becker)
    response = post_action(client, case, "nachricht", body="Bitte Impfpass nachreichen")
    assert response.status_code == 409
    assert "von Klaus Schmitz geändert" in response.content.decode()
    assert "Bitte Impfpass nachreichen</textarea>" in response.content.decode()


def test_a_refused_action_says_why_and_keeps_the_input(client, dogs, becker, schmitz):
    case = make_case(dogs, status=CaseStatus.AWAITING_APPROVAL, proposed_by=schmitz)
    client.force_login(becker)

    response = post_action(client, case, "ablehnen", text="Bescheid", reason="Kein Hund gemeldet")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Über diesen Vorgang ist bereits entschieden." in html
    assert "Kein Hund gemeldet</textarea>" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL and case.version == 1


def test_a_rejection_needs_a_reason(client, dogs, becker):
    case = make_case(dogs)
    client.force_login(becker)
    response = post_action(client, case, "ablehnen", text="Ihr Antrag wurde abgelehnt.", reason="")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bitte begründen Sie die Ablehnung." in html
    assert 'id="aktion-ablehnen" open' in html
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.version == 1


def test_requesting_a_document_makes_the_case_wait(client, dogs, becker):
    case = make_case(dogs)
    due = timezone.localdate() + dt.timedelta(days=14)
    client.force_login(becker)

    response = client.post(
        case_url(case, "unterlagen"),
        {
            "unterlagen-version": 1,
            "unterlagen-description": "Nachweis der Haftpflichtversicherung",
            "unterlagen-due_date_0": due.day,
            "unterlagen-due_date_1": due.month,
            "unterlagen-due_date_2": due.year,
        },
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.WAITING
    request = DocumentRequest.objects.get(case=case)
    assert request.due_date == due and request.requested_by == becker
    inbox = client.get(INBOX, {"status": "waiting"}).content.decode()
    assert case.reference in inbox
    assert 'kern-table__cell--numeric">1</td>' in inbox


def test_assigning_to_a_colleague_and_changing_the_status(client, dogs, becker, schmitz, outsider):
    case = make_case(dogs)
    client.force_login(becker)
    assert post_action(client, case, "zuweisen", assignee=outsider.pk).status_code == 200
    assert post_action(client, case, "zuweisen", assignee=schmitz.pk).status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == schmitz
    assert post_action(client, case, "status", status="in_progress").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


@needs_pdf
def test_approving_issues_the_notice_and_the_case_can_be_closed(client, dogs, becker):
    case = make_case(dogs, rasse="Dackel")
    client.force_login(becker)

    response = post_action(client, case, "bewilligen", text="Ihr Dackel ist angemeldet.")

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    notice = Notice.objects.get(case=case)
    assert notice.issued_by == becker and notice.approved_by is None
    download = client.get(reverse("backoffice:document", args=[notice.document.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert post_action(client, case, "abschliessen").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.retain_until is not None


@needs_pdf
def test_four_eyes_the_proposer_cannot_approve_a_colleague_can(client, becker, schmitz):
    definition = definition_import(dog_definition(four_eyes=True))[0]
    case = make_case(definition, rasse="Dackel")
    client.force_login(becker)

    assert (
        post_action(client, case, "bewilligen", text="Ihr Dackel ist angemeldet.").status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL and not Notice.objects.exists()
    page = client.get(case_url(case)).content.decode()
    assert "Sie haben diese Entscheidung vorgelegt." in page
    assert 'id="aktion-freigeben"' not in page
    refused = post_action(client, case, "freigeben")
    assert refused.status_code == 400
    assert "Vier-Augen-Prinzip" in refused.content.decode()
    assert not Notice.objects.exists()

    client.force_login(schmitz)
    page = client.get(case_url(case)).content.decode()
    assert 'id="aktion-freigeben"' in page and "Ihr Dackel ist angemeldet." in page
    assert post_action(client, case, "freigeben").status_code == 302

    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    notice = Notice.objects.get(case=case)
    assert notice.issued_by == becker and notice.approved_by == schmitz
    assert AuditEntry.objects.filter(action="case.approve_decision", actor=schmitz).exists()


def test_four_eyes_a_colleague_can_send_the_decision_back(client, becker, schmitz):
    definition = definition_import(dog_definition(four_eyes=True))[0]
    case = make_case(definition)
    client.force_login(becker)
    post_action(client, case, "ablehnen", text="Abgelehnt.", reason="Der Hund wohnt in Bonn.")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL
    assert case.proposed_text.endswith("Der Hund wohnt in Bonn.")

    client.force_login(schmitz)
    assert post_action(client, case, "zurueckweisen").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and not Notice.objects.exists()


def test_an_unknown_action_is_not_found(client, dogs, becker):
    case = make_case(dogs)
    client.force_login(becker)
    assert client.post(case_url(case, "loeschen"), {}).status_code == 404
