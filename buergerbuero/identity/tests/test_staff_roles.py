"""Roles: the groups exist with their permissions (``roles_ensure``, idempotent, also as a
management command), and a team lead does in their department what a caseworker does."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from buergerbuero.applications.models import Application, ApplicationStatus, Case, FormDefinition
from buergerbuero.applications.services import reference_next
from buergerbuero.catalog.models import Service
from buergerbuero.identity.staff import roles

pytestmark = pytest.mark.django_db


def test_roles_ensure_creates_the_groups_and_repairs_them_when_run_again():
    Group.objects.filter(name=roles.CRISIS_STAFF).delete()
    admin_group = Group.objects.get(name=roles.ADMINISTRATION)
    admin_group.permissions.clear()

    first = roles.roles_ensure()
    second = roles.roles_ensure()

    assert first == second
    crisis = Group.objects.get(name=roles.CRISIS_STAFF)
    assert [p.codename for p in crisis.permissions.all()] == ["crisis_access"]
    assert first[roles.ADMINISTRATION] == Permission.objects.count()
    caseworkers = Group.objects.get(name=roles.CASEWORKERS)
    assert [p.codename for p in caseworkers.permissions.all()] == ["record_videoident"]


def test_the_management_command_reports_each_group():
    out = io.StringIO()

    call_command("roles_ensure", stdout=out)

    assert "Krisenstab: 1 permissions" in out.getvalue()
    assert "Administration:" in out.getvalue()


def test_a_member_of_administration_counts_as_administrator():
    user = get_user_model().objects.create_user("verwaltung.admin", is_staff=True)
    assert not roles.is_administrator(user)

    user.groups.add(Group.objects.get(name=roles.ADMINISTRATION))

    assert roles.is_administrator(get_user_model().objects.get(pk=user.pk))


def test_the_team_lead_assigns_a_department_case_to_a_colleague(client):
    service = Service.objects.get(slug="hund-anmelden")
    application = Application.objects.create(
        service=service,
        definition=FormDefinition.objects.get(service=service, is_active=True),
        status=ApplicationStatus.SUBMITTED,
        answers={"name": "Erika Mustermann"},
        submitted_at=timezone.now(),
    )
    case = Case.objects.create(
        reference=reference_next(),
        application=application,
        service=service,
        department=service.department,
        applicant_name="Erika Mustermann",
    )
    User = get_user_model()
    lead, becker = User.objects.get(username="leitung"), User.objects.get(username="becker")
    client.force_login(lead)

    inbox = client.get("/sachbearbeitung/?assigned=none").content.decode()
    assert case.reference in inbox
    response = client.post(
        reverse("backoffice:case_action", args=[case.reference, "zuweisen"]),
        {"zuweisen-version": case.version, "zuweisen-assignee": becker.pk},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == becker
    assert roles.leads(lead, case.department_id) and not roles.leads(becker, case.department_id)


def test_a_team_lead_who_is_no_caseworker_can_be_assigned_a_case(client):
    service = Service.objects.get(slug="hund-anmelden")
    application = Application.objects.create(
        service=service,
        definition=FormDefinition.objects.get(service=service, is_active=True),
        status=ApplicationStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    case = Case.objects.create(
        reference=reference_next(),
        application=application,
        service=service,
        department=service.department,
        applicant_name="Erika Mustermann",
    )
    User = get_user_model()
    lead_only = User.objects.create_user("chefin", password="x", is_staff=True)
    lead_only.led_departments.add(service.department)
    client.force_login(User.objects.get(username="becker"))

    page = client.get(reverse("backoffice:case", args=[case.reference])).content.decode()
    assert f'value="{lead_only.pk}"' in page  # offered as a colleague
    client.post(
        reverse("backoffice:case_action", args=[case.reference, "zuweisen"]),
        {"zuweisen-version": case.version, "zuweisen-assignee": lead_only.pk},
    )
    case.refresh_from_db()
    assert case.assigned_to == lead_only


def test_a_lead_only_team_lead_finds_the_back_office_in_the_header(client):
    lead_only = get_user_model().objects.create_user("chefin", password="x", is_staff=True)
    lead_only.led_departments.add(Service.objects.get(slug="hund-anmelden").department)
    client.force_login(lead_only)
    page = client.get("/verwaltung/konto/").content.decode()
    assert f'href="{reverse("backoffice:inbox")}"' in page
