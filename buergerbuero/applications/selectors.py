"""Reads on applications and cases, with who may see what."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import Application, ApplicationStatus, Case, CaseStatus, FormDefinition

SESSION_KEY = "applications"  # public ids of the applications this browser may open


def active_definition(service) -> FormDefinition | None:
    return FormDefinition.objects.filter(service=service, is_active=True).first()


def services_with_online_form() -> set[int]:
    return set(FormDefinition.objects.filter(is_active=True).values_list("service_id", flat=True))


def session_grant(request, application: Application) -> None:
    granted = request.session.get(SESSION_KEY, [])
    if str(application.public_id) not in granted:
        request.session[SESSION_KEY] = [*granted[-19:], str(application.public_id)]


def may_open(request, application: Application) -> bool:
    if application.user_id is not None:
        return request.user.is_authenticated and request.user.pk == application.user_id
    return str(application.public_id) in request.session.get(SESSION_KEY, [])


def application_for(request, public_id) -> Application:
    """The application if this request may open it; 404 otherwise (never 403: the
    existence of someone else's application is not disclosed)."""
    application = (
        Application.objects.select_related("service__department", "definition", "user")
        .filter(public_id=public_id)
        .first()
    )
    if application is None or not may_open(request, application):
        raise Http404
    return application


def citizen_case(request, reference: str) -> Case:
    case = (
        Case.objects.select_related("application__definition", "service", "department")
        .filter(reference=reference)
        .first()
    )
    if case is None or not may_open(request, case.application):
        raise Http404
    return case


def drafts_of(user) -> QuerySet[Application]:
    return (
        Application.objects.filter(user=user)
        .exclude(status=ApplicationStatus.SUBMITTED)
        .select_related("service")
    )


def cases_of(user) -> QuerySet[Case]:
    return (
        Case.objects.filter(application__user=user)
        .select_related("service")
        .annotate(
            open_requests=Count("document_requests", filter=Q(document_requests__fulfilled_at=None))
        )
    )


def cases_for_staff(user) -> QuerySet[Case]:
    """The cases of the departments the user works in or leads — and only those."""
    from buergerbuero.identity.staff.roles import department_ids_of

    return Case.objects.filter(department_id__in=department_ids_of(user)).select_related(
        "service", "department", "assigned_to"
    )


def inbox(user, *, status: str = "open", service: str = "", assigned: str = "", query: str = ""):
    cases = cases_for_staff(user)
    if status == "open":
        cases = cases.filter(status__in=[s for s in CaseStatus if s not in (CaseStatus.CLOSED,)])
    elif status:
        cases = cases.filter(status=status)
    if service:
        cases = cases.filter(service__slug=service)
    if assigned == "me":
        cases = cases.filter(assigned_to=user)
    elif assigned == "none":
        cases = cases.filter(assigned_to=None)
    if query:
        cases = cases.filter(Q(reference__icontains=query) | Q(applicant_name__icontains=query))
    return cases.order_by("created_at")


def document_for_staff(user, pk: int):
    """A document of a case of the caseworker's departments; 404 otherwise (drafts'
    documents are the citizen's alone)."""
    from .models import Document

    document = (
        Document.objects.select_related("application__case")
        .filter(pk=pk, application__case__in=cases_for_staff(user))
        .first()
    )
    if document is None:
        raise Http404
    return document


def colleagues_of(case: Case):
    """Who may take the case over: active staff working in or leading its department."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    department = case.department_id
    return (
        get_user_model()
        .objects.filter(
            Q(departments=department) | Q(led_departments=department),
            is_staff=True,
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def staff_case(user, reference: str) -> Case:
    case = (
        cases_for_staff(user)
        .select_related("application__definition")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise Http404
    return case


_online_ids: dict[str, frozenset[int]] = {}


def online_start_url(service) -> str | None:
    """The "Online beantragen" link of a service with an active form (else no button).
    The set of such services is read once per catalog revision and process."""
    from django.urls import reverse

    from buergerbuero.catalog.snapshot import catalog_revision

    revision = catalog_revision()
    if revision not in _online_ids:
        _online_ids.clear()
        _online_ids[revision] = frozenset(services_with_online_form())
    if service.pk in _online_ids[revision]:
        return reverse("applications:start", args=[service.slug])
    return None
