"""The back office's JSON API (``/api/v1/cases``): the cases of the caller's departments,
read-only, for the caseworkers' own tools (a team dashboard, a spreadsheet export).

Who: a logged-in caseworker (Django session: staff, active, at least one department);
anonymous callers get 401, anyone else logged in 403. What: only the cases of their own
departments, through the same selectors as the work screen — a case of another department
is a 404, its existence is not disclosed. Every read is in the audit trail, as on the
work screen. Documents are listed with their metadata; the file itself is downloaded from
the work screen's audited download link.

Paths and fields are a contract; change them only in a new API version.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import reverse
from django.views.decorators.cache import never_cache
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.security import SessionAuth

from . import selectors
from .audit import audit
from .models import Case, CaseStatus

MAX_PAGE_SIZE = 100


class CaseworkerSession(SessionAuth):
    """The Django session of a caseworker or team lead, confirmed with the second factor
    where the staff areas require it. Unsafe methods also need the CSRF token."""

    def authenticate(self, request: HttpRequest, key: str | None):
        from buergerbuero.identity.staff.roles import works_in_any
        from buergerbuero.identity.staff.second_factor import second_factor_required

        user = super().authenticate(request, key)
        if user is None:
            return None
        if not works_in_any(user):
            raise HttpError(403, "Only caseworkers (staff with a department) may use this API.")
        if second_factor_required(user) and not user.is_verified():
            raise HttpError(403, "Confirm your login with the second factor at the staff login.")
        return user


router = Router(tags=["Sachbearbeitung"], auth=CaseworkerSession())

StatusFilter = Literal[
    "open",
    "all",
    "submitted",
    "in_progress",
    "waiting",
    "awaiting_approval",
    "approved",
    "rejected",
    "closed",
]
assert set(StatusFilter.__args__) == {"open", "all", *CaseStatus.values}, "filter != statuses"


class Person(Schema):
    username: str
    name: str


class Labelled(Schema):
    code: str
    label: str


class CaseSummary(Schema):
    reference: str
    url: str = Field(description="The case on the work screen.")
    api_url: str
    service: Labelled
    department: Labelled
    status: Labelled
    applicant_name: str
    assigned_to: Person | None
    version: int = Field(description="Counts changes; goes up with every change.")
    created_at: dt.datetime
    updated_at: dt.datetime


class Event(Schema):
    kind: Labelled
    text: str
    at: dt.datetime


class DocumentMeta(Schema):
    id: int
    name: str
    kind: Labelled
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime
    download_url: str = Field(description="Download on the work screen (audited).")


class CaseDetail(CaseSummary):
    decided_at: dt.datetime | None
    closed_at: dt.datetime | None
    events: list[Event] = Field(description="The timeline the citizen sees, newest first.")
    documents: list[DocumentMeta]


class CasePage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[CaseSummary]


class Message(Schema):
    detail: str


class CaseFilters(Schema):
    status: StatusFilter = Field("open", description="'open' (default), 'all' or one status.")
    assigned: Literal["", "me", "none"] = Field("", description="'me', 'none' or any.")
    service: str = Field("", max_length=80, description="A service slug.")
    q: str = Field("", max_length=100, description="Part of a reference or applicant name.")
    page: int = Field(1, ge=1)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


def _user(person) -> dict | None:
    if person is None:
        return None
    return {"username": person.get_username(), "name": person.display_name}


def _summary(case: Case) -> dict:
    return {
        "reference": case.reference,
        "url": case.get_absolute_url(),
        "api_url": reverse("api-v1:cases_detail", args=[case.reference]),
        "service": {"code": case.service.slug, "label": case.service.name},
        "department": {"code": case.department.slug, "label": case.department.name},
        "status": {"code": case.status, "label": case.get_status_display()},
        "applicant_name": case.applicant_name,
        "assigned_to": _user(case.assigned_to),
        "version": case.version,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }


@router.get(
    "",
    response={200: CasePage, 401: Message, 403: Message},
    summary="Vorgänge meiner Ämter",
    url_name="cases_list",
)
@decorate_view(never_cache)  # personal data: never kept in a cache
def cases_list(request: HttpRequest, filters: Query[CaseFilters]):
    user = request.user
    chosen = {
        "status": "" if filters.status == "all" else filters.status,
        "assigned": filters.assigned,
        "service": filters.service.strip(),
        "query": filters.q.strip(),
    }
    cases = selectors.inbox(user, **chosen)
    paginator = Paginator(cases, filters.page_size)
    results = []
    if filters.page <= paginator.num_pages:
        results = [_summary(case) for case in paginator.page(filters.page).object_list]
    # What was looked for is part of the record: a search for a name is a read of it.
    looked_for = {**chosen, "status": filters.status}
    detail = " ".join(
        ["api", *(f"{key}={value}" for key, value in looked_for.items() if value)]
        + [f"page={filters.page}"]
    )
    audit(user, "inbox.view", detail=detail)
    return {
        "count": paginator.count,
        "page": filters.page,
        "pages": paginator.num_pages,
        "page_size": filters.page_size,
        "results": results,
    }


@router.get(
    "/{reference}",
    response={200: CaseDetail, 401: Message, 403: Message, 404: Message},
    summary="Ein Vorgang",
    url_name="cases_detail",
)
@decorate_view(never_cache)
def cases_detail(request: HttpRequest, reference: str):
    user = request.user
    case = selectors.staff_case(user, reference[:20])  # 404 for other departments' cases
    audit(user, "case.view", case, detail="api")
    events = case.events.filter(public=True).order_by("-created_at", "-id")
    documents = case.application.documents.all()
    return {
        **_summary(case),
        "decided_at": case.decided_at,
        "closed_at": case.closed_at,
        "events": [
            {
                "kind": {"code": event.kind, "label": event.get_kind_display()},
                "text": event.text,
                "at": event.created_at,
            }
            for event in events
        ],
        "documents": [
            {
                "id": document.pk,
                "name": document.name,
                "kind": {"code": document.kind, "label": document.get_kind_display()},
                "content_type": document.content_type,
                "size": document.size,
                "sha256": document.sha256,
                "created_at": document.created_at,
                "download_url": reverse("backoffice:document", args=[document.pk]),
            }
            for document in documents
        ],
    }
