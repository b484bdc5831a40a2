"""The caseworker's side of the video office over HTTP: the dashboard and its queue, admit,
decline, transfer, the call page, the outcome and document downloads — and who may do
which (the office's caseworkers; the call's own caseworker for the call)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from buergerbuero.applications.models import CaseEvent, EventKind
from buergerbuero.identity.staff.roles import CASEWORKERS
from buergerbuero.videooffice import services
from buergerbuero.videooffice.models import Call, Knock, KnockState

from .conftest import make_office, make_staff

pytestmark = pytest.mark.django_db

DASHBOARD = "/sachbearbeitung/video/"


def caseworker_of(username: str, *offices):
    """A staff account assigned to ``offices`` and working in their departments."""
    user = make_staff(username, *offices)
    for office in offices:
        user.departments.add(office.department)
    user.groups.add(Group.objects.get(name=CASEWORKERS))
    return user


@pytest.fixture
def petra(office):
    return caseworker_of("petra.becker", office)


@pytest.fixture
def colleague(office):
    return caseworker_of("jan.schulz", office)


@pytest.fixture
def stranger(other_office):
    """A caseworker of another department and office."""
    return caseworker_of("jana.wagner", other_office)


def png_upload(name: str = "ausweis.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def videoident_allowed(allowed: bool = True) -> None:
    """The city's switch (the demo turns it on; a fresh installation has it off)."""
    from buergerbuero.core.models import Municipality
    from buergerbuero.core.selectors import municipality_forget

    Municipality.objects.update(videoident_enabled=allowed)
    municipality_forget()


def admitted_call(office, caseworker, citizens, **knock_fields) -> Call:
    knock = citizens().knock(office, concern="Meldebescheinigung", **knock_fields)
    return services.knock_admit(knock, caseworker=caseworker)


# -- who may enter ----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_staff_login(client, office, citizens):
    knock = citizens().knock(office)
    for response in (
        client.get(DASHBOARD),
        client.post(reverse("videostaff:admit", args=[knock.public_id])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/verwaltung/anmelden/")
    assert Knock.objects.get(pk=knock.pk).state == KnockState.KNOCKING


def test_a_caseworker_of_another_office_can_neither_act_on_the_queue_nor_see_the_call(
    client, office, other_office, petra, stranger, citizens
):
    waiting = citizens().knock(office, concern="Umzug")
    call = admitted_call(office, petra, citizens)
    document = services.call_document_add(call, png_upload())
    client.force_login(stranger)

    attempts = [
        client.post(reverse("videostaff:admit", args=[waiting.public_id])),
        client.post(reverse("videostaff:decline", args=[waiting.public_id]), {"message": "Nein"}),
        client.post(
            reverse("videostaff:transfer", args=[waiting.public_id]), {"office": other_office.pk}
        ),
        client.post(reverse("videostaff:admit_next", args=[office.slug])),
        client.get(reverse("videostaff:call", args=[call.public_id])),
        client.get(reverse("videostaff:document", args=[document.pk])),
    ]

    assert [response.status_code for response in attempts] == [403] * 6
    assert "nicht zu Ihren Aufgaben" in attempts[0].content.decode()
    waiting.refresh_from_db()
    assert waiting.state == KnockState.KNOCKING and waiting.office == office
    # Their own dashboard shows their own office only, never this queue.
    html = client.get(DASHBOARD).content.decode()
    assert "Umzug" not in html and other_office.name in html


def test_a_colleague_of_the_same_office_does_not_get_into_someone_elses_call(
    client, office, petra, colleague, citizens
):
    call = admitted_call(office, petra, citizens)
    client.force_login(colleague)
    assert client.get(reverse("videostaff:call", args=[call.public_id])).status_code == 403
    assert client.get(reverse("videostaff:outcome", args=[call.public_id])).status_code == 403


# -- the dashboard ----------------------------------------------------------------------


def test_the_dashboard_shows_who_waits_and_how(client, office, petra, citizens):
    from django.contrib.auth import get_user_model

    from buergerbuero.identity.testing.sessions import login_at_level

    citizens().knock(office, concern="Anwohnerparkausweis verlängern", language="tr")
    account = get_user_model().objects.create_user("mehmet", first_name="Mehmet")
    logged_in = citizens(user=account)
    login_at_level(logged_in.client, account, "substantial")
    logged_in.knock(office, concern="Führungszeugnis", mode="audio")
    client.force_login(petra)

    response = client.get(DASHBOARD)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Anwohnerparkausweis verlängern" in html and "Führungszeugnis" in html
    assert "Türkisch" in html
    assert "nicht angemeldet" in html and "Vertrauensniveau substanziell" in html
    assert "über BundID" in html  # how the person logged in
    assert "nur Ton" in html
    assert "Nächste Person einlassen" in html and "geöffnet" in html
    assert "2 Personen warten" in html
    assert "Mehmet" not in html  # the dashboard never names anyone waiting


def test_an_empty_queue_says_what_happens_next_and_the_fragment_is_the_queue_alone(
    client, office, petra
):
    client.force_login(petra)
    assert "Niemand wartet. Sie werden benachrichtigt" in client.get(DASHBOARD).content.decode()
    fragment = client.get(reverse("videostaff:queue")).content.decode()
    assert "Niemand wartet" in fragment and "<html" not in fragment
    assert 'data-waiting-total="0"' in fragment


def test_a_caseworker_without_an_office_is_told_why_the_dashboard_is_empty(client, office):
    user = caseworker_of("neu")
    user.departments.add(office.department)
    client.force_login(user)
    html = client.get(DASHBOARD).content.decode()
    assert "keinem virtuellen Amt zugeordnet" in html


def test_the_availability_can_be_set_but_busy_is_set_by_calls(client, office, petra, citizens):
    client.force_login(petra)
    response = client.post(reverse("videostaff:presence"), {"status": "available"}, follow=True)
    assert services.presence_of(petra) == "available"
    assert "Ihr Status: verfügbar" in response.content.decode()
    client.post(reverse("videostaff:presence"), {"status": "busy"})
    assert services.presence_of(petra) == "available"


# -- admit, decline, transfer -----------------------------------------------------------


def test_admitting_opens_the_call_and_a_second_admit_is_told_it_is_too_late(
    client, office, petra, colleague, citizens
):
    knock = citizens().knock(office)
    client.force_login(petra)

    response = client.post(reverse("videostaff:admit", args=[knock.public_id]))

    call = Call.objects.get(knock=knock)
    assert response.status_code == 302
    assert response["Location"] == reverse("videostaff:call", args=[call.public_id])
    client.force_login(colleague)
    second = client.post(reverse("videostaff:admit", args=[knock.public_id]), follow=True)
    assert second.redirect_chain[-1][0] == DASHBOARD
    assert "bereits eingelassen oder hat den Warteraum verlassen" in second.content.decode()
    assert Call.objects.filter(knock=knock).count() == 1


def test_admit_next_takes_the_first_in_line(client, office, petra, citizens):
    first = citizens().knock(office, concern="erste")
    citizens().knock(office, concern="zweite")
    client.force_login(petra)

    response = client.post(reverse("videostaff:admit_next", args=[office.slug]))

    call = Call.objects.get()
    assert call.knock == first
    assert response["Location"] == reverse("videostaff:call", args=[call.public_id])


def test_declining_needs_a_message_for_the_citizen(client, office, petra, citizens):
    knock = citizens().knock(office)
    client.force_login(petra)
    url = reverse("videostaff:decline", args=[knock.public_id])

    refused = client.post(url, {"message": "  "})

    assert refused.status_code == 400
    assert "Bitte schreiben Sie der Person, warum Sie sie abweisen." in refused.content.decode()
    assert Knock.objects.get(pk=knock.pk).state == KnockState.KNOCKING

    done = client.post(url, {"message": "Bitte wenden Sie sich an die Bauaufsicht."}, follow=True)

    knock.refresh_from_db()
    assert knock.state == KnockState.DECLINED
    assert knock.decline_message == "Bitte wenden Sie sich an die Bauaufsicht."
    assert "Die Person ist abgewiesen" in done.content.decode()


def test_transfer_goes_to_another_active_office_only(client, office, other_office, petra, citizens):
    closed_down = make_office("hygiene", name="Hygienebelehrung", is_active=False)
    knock = citizens().knock(office)
    client.force_login(petra)
    url = reverse("videostaff:transfer", args=[knock.public_id])

    refused = client.post(url, {"office": closed_down.pk})

    assert refused.status_code == 400
    assert "An dieses Amt kann nicht weitergeleitet werden." in refused.content.decode()
    assert Knock.objects.get(pk=knock.pk).office == office

    done = client.post(url, {"office": other_office.pk}, follow=True)

    knock.refresh_from_db()
    assert knock.office == other_office and knock.transferred_from == office
    assert "wartet jetzt im Amt „Gewerbe“" in done.content.decode()


# -- the call, its outcome and documents ------------------------------------------------


def test_the_call_page_has_the_call_the_concern_and_the_case_panel(client, office, petra, citizens):
    videoident_allowed(False)
    call = admitted_call(office, petra, citizens)
    client.force_login(petra)

    response = client.get(reverse("videostaff:call", args=[call.public_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "data-video-call" in html and '"role": "caseworker"' in html
    assert "Meldebescheinigung" in html and "nicht angemeldet" in html
    assert "Neuen Vorgang anlegen" in html
    assert "Videoident ist in dieser Stadt nicht freigeschaltet." in html


def test_after_the_call_the_outcome_is_required_and_lands_in_the_linked_case(
    client, office, petra, citizens
):
    from buergerbuero.catalog.models import Service
    from buergerbuero.videooffice import casefile

    service = Service.objects.filter(department=office.department).first()
    office.services.add(service)
    call = admitted_call(office, petra, citizens)
    case = casefile.call_case_create(call, caseworker=petra, service=service)
    services.call_end(call, reason="hangup_citizen")
    client.force_login(petra)

    assert client.get(reverse("videostaff:call", args=[call.public_id]))["Location"] == reverse(
        "videostaff:outcome", args=[call.public_id]
    )
    url = reverse("videostaff:outcome", args=[call.public_id])
    refused = client.post(url, {"note": ""})
    assert refused.status_code == 400
    assert "Bitte halten Sie das Ergebnis des Gesprächs fest." in refused.content.decode()
    assert client.post(url, {"note": "x" * 2001}).status_code == 400

    done = client.post(url, {"note": "Bescheinigung per Post zugesagt."}, follow=True)

    assert done.redirect_chain[-1][0] == DASHBOARD
    call.refresh_from_db()
    assert call.outcome_note == "Bescheinigung per Post zugesagt."
    note = CaseEvent.objects.get(case=case, kind=EventKind.NOTE)
    assert not note.public and "Bescheinigung per Post zugesagt." in note.text


def test_a_document_from_the_call_is_a_download_for_the_caseworker_only(
    client, office, petra, colleague, citizens
):
    call = admitted_call(office, petra, citizens)
    document = services.call_document_add(call, png_upload())
    url = reverse("videostaff:document", args=[document.pk])
    client.force_login(petra)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    with document.file.open("rb") as handle:
        assert b"".join(response.streaming_content) == handle.read()
    client.force_login(colleague)  # same office, but not their call and no case linked
    assert client.get(url).status_code == 403
