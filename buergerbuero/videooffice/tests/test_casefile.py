"""A call and the case file: the citizen's cases, linking one, opening a new one (which
the back office's case page shows like any other), filing the documents sent in the call."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from buergerbuero.applications import selectors
from buergerbuero.applications.models import (
    AuditEntry,
    Case,
    CaseEvent,
    DocumentKind,
    EventKind,
    FormDefinition,
)
from buergerbuero.applications.services import definition_import
from buergerbuero.applications.tests.test_backoffice import dog_definition, make_case
from buergerbuero.catalog.models import Service
from buergerbuero.identity.testing.sessions import login_at_level
from buergerbuero.videooffice import casefile, services
from buergerbuero.videooffice.models import CallDocument

from .test_staff_views import admitted_call, caseworker_of, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def petra(office):
    return caseworker_of("petra.becker", office)


@pytest.fixture
def service(office):
    service = Service.objects.filter(department=office.department).order_by("slug").first()
    office.services.add(service)
    return service


@pytest.fixture
def mehmet():
    return get_user_model().objects.create_user(
        "mehmet", first_name="Mehmet", last_name="Yılmaz", email="mehmet@example.org"
    )


def case_in(definition, department=None, user=None) -> Case:
    """A submitted case of ``definition``, moved to ``department``, of ``user``'s account."""
    case = make_case(definition)
    if department is not None:
        Case.objects.filter(pk=case.pk).update(department=department)
    if user is not None:
        case.application.user = user
        case.application.save()
    return Case.objects.get(pk=case.pk)


def citizen_call(office, caseworker, citizens, user, *, concern="Ummeldung nach Umzug"):
    browser = citizens(user=user)
    login_at_level(browser.client, user, "substantial")
    knock = browser.knock(office, concern=concern)
    return services.knock_admit(knock, caseworker=caseworker)


def test_a_case_opened_in_the_call_is_an_ordinary_case_on_the_back_office_page(
    client, office, petra, service, mehmet, citizens
):
    call = citizen_call(office, petra, citizens, mehmet)

    case = casefile.call_case_create(call, caseworker=petra, service=service)

    call.refresh_from_db()
    assert call.case == case
    assert case.department == service.department and case.applicant_name == "Mehmet Yılmaz"
    assert case.application.user == mehmet and case.application.answers == {
        "anliegen": "Ummeldung nach Umzug"
    }
    assert CaseEvent.objects.get(case=case).kind == EventKind.SUBMITTED
    client.force_login(petra)
    response = client.get(reverse("backoffice:case", args=[case.reference]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Anliegen aus der Video-Sprechstunde" in html and "Ummeldung nach Umzug" in html
    assert "Mehmet Yılmaz" in html and "Angelegt im Video-Gespräch" in html
    # How the citizen had logged in when knocking, as on a case from an online form.
    assert "BundID – Vertrauensniveau substanziell" in html
    assert case.reference in client.get(reverse("backoffice:inbox")).content.decode()
    # The citizen finds it among their applications, too.
    login_at_level(client, mehmet, "substantial")
    mine = client.get(reverse("applications:my_case", args=[case.reference]))
    assert mine.status_code == 200 and case.reference in mine.content.decode()


def test_the_consultation_form_is_never_offered_online_and_leaves_version_numbers_free(
    office, petra, service, citizens
):
    was_online = service.pk in selectors.services_with_online_form()
    first = casefile.call_case_create(
        admitted_call(office, petra, citizens), caseworker=petra, service=service
    )
    services.call_end(first.video_calls.get(), reason="hangup_citizen")
    second = casefile.call_case_create(
        admitted_call(office, petra, citizens), caseworker=petra, service=service
    )

    definition = first.application.definition
    assert second.application.definition == definition  # created once, then reused
    assert not definition.is_active
    assert (service.pk in selectors.services_with_online_form()) == was_online
    document = dog_definition()
    document["service"] = service.slug
    imported, created = definition_import(document)
    assert created and imported.is_active and imported.version == definition.version + 1


def test_an_anonymous_citizens_case_is_filed_under_a_placeholder_name(
    office, petra, service, citizens
):
    call = admitted_call(office, petra, citizens)
    case = casefile.call_case_create(call, caseworker=petra, service=service)
    assert case.applicant_name == "Unbekannt (Video-Sprechstunde)"
    assert case.application.user is None
    assert case.application.identity_description == "ohne Anmeldung eingereicht"


def test_the_citizens_cases_are_theirs_in_this_department_newest_first(
    office, petra, mehmet, citizens
):
    dogs = definition_import(dog_definition())[0]  # a service of the Steueramt
    mine_old = case_in(dogs, office.department, mehmet)
    mine_new = case_in(dogs, office.department, mehmet)
    case_in(dogs, None, mehmet)  # the Steueramt's: not this office's department
    someone_else = case_in(dogs, office.department)
    call = citizen_call(office, petra, citizens, mehmet)

    assert list(casefile.citizen_cases(call)) == [mine_new, mine_old]
    assert someone_else not in casefile.citizen_cases(call)
    assert not casefile.citizen_cases(admitted_call(office, petra, citizens)).exists()


def test_linking_notes_the_call_in_the_case_and_only_for_the_caseworkers_department(
    office, petra, mehmet, citizens
):
    dogs = definition_import(dog_definition())[0]
    ours = case_in(dogs, office.department)
    theirs = case_in(dogs)  # Steueramt: not Petra's department here
    call = citizen_call(office, petra, citizens, mehmet)

    casefile.call_case_link(call, caseworker=petra, case=ours)

    ours.refresh_from_db()
    note = CaseEvent.objects.get(case=ours, kind=EventKind.NOTE)
    assert not note.public and note.text.startswith("Video-Gespräch am ")
    assert ours.version == 2
    assert AuditEntry.objects.filter(action="video.case_link", case_reference=ours.reference)
    with pytest.raises(casefile.CaseFileRefused, match="anderes Amt"):
        casefile.call_case_link(call, caseworker=petra, case=theirs)
    call.refresh_from_db()
    assert call.case == ours


def test_documents_sent_in_the_call_are_filed_with_the_same_bytes(
    client, office, petra, service, mehmet, citizens
):
    call = citizen_call(office, petra, citizens, mehmet)
    sent = [services.call_document_add(call, png_upload(f"seite-{n}.png")) for n in (1, 2)]
    with pytest.raises(casefile.CaseFileRefused):
        casefile.call_documents_file(call, caseworker=petra)  # no case yet
    case = casefile.call_case_create(call, caseworker=petra, service=service)

    filed = casefile.call_documents_file(call, caseworker=petra)

    assert [document.name for document in filed] == ["seite-1.png", "seite-2.png"]
    for original, copy in zip(sent, filed, strict=True):
        original.refresh_from_db()
        assert original.filed_as == copy
        assert copy.application == case.application and copy.kind == DocumentKind.REQUESTED
        with original.file.open("rb") as a, copy.file.open("rb") as b:
            assert a.read() == b.read()
        assert copy.sha256 == original.sha256
    assert casefile.call_documents_file(call, caseworker=petra) == []  # nothing twice
    # A document sent once a case is linked goes straight into it.
    later = services.call_document_add(call, png_upload("nachtrag.png"))
    assert CallDocument.objects.get(pk=later.pk).filed_as is not None
    client.force_login(petra)
    html = client.get(reverse("backoffice:case", args=[case.reference])).content.decode()
    assert "seite-1.png" in html and "nachtrag.png" in html


def test_the_case_panel_answers_htmx_with_itself_so_the_call_goes_on(
    client, office, petra, service, mehmet, citizens
):
    call = citizen_call(office, petra, citizens, mehmet)
    services.call_document_add(call, png_upload())
    client.force_login(petra)
    url = reverse("videostaff:case", args=[call.public_id])

    created = client.post(
        url, {"action": "anlegen", "service": service.pk}, headers={"HX-Request": "true"}
    )

    html = created.content.decode()
    case = Case.objects.get(application__user=mehmet)
    assert created.status_code == 200 and "<html" not in html
    assert f"Vorgang {case.reference} ist angelegt" in html
    assert "In die Akte übernehmen" in html
    filed = client.post(url, {"action": "ablegen"}, headers={"HX-Request": "true"})
    assert "1 Unterlage in den Vorgang übernommen." in filed.content.decode()
    unknown = client.post(
        url, {"action": "verknuepfen", "reference": "K-1999-000001"}, headers={"HX-Request": "true"}
    )
    assert "Einen Vorgang mit diesem Aktenzeichen gibt es in Ihren Ämtern nicht." in (
        unknown.content.decode()
    )
    # Without JavaScript: back to the call page with the message.
    plain = client.post(url, {"action": "verknuepfen", "reference": case.reference}, follow=True)
    assert plain.redirect_chain[-1][0] == reverse("videostaff:call", args=[call.public_id])
    assert f"mit Vorgang {case.reference} verknüpft" in plain.content.decode()
    assert FormDefinition.objects.filter(service=service, is_active=False).count() == 1
