"""The service page's "Video-Sprechstunde" button (the catalog's ``video`` channel).

Registered in ``VideoOfficeConfig.ready``::

    register_next_step("video", video_office_url_for)

Which office a service leads to is read once per catalog revision and process (the
service list asks for every service); ``signals.py`` moves the revision when an office
is saved, deleted or linked to other services.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from buergerbuero.catalog.models import Service
from buergerbuero.catalog.snapshot import catalog_revision

from .models import VideoOffice


@dataclass(frozen=True)
class _OfficeMap:
    by_service: dict[int, str]
    by_department: dict[int, str]


_maps: dict[str, _OfficeMap] = {}


def _office_map() -> _OfficeMap:
    revision = catalog_revision()
    if revision not in _maps:
        by_service: dict[int, str] = {}
        by_department: dict[int, str] = {}
        offices = VideoOffice.objects.filter(is_active=True).order_by("name")
        # Alphabetically first office wins, for a service and for a department alike.
        for office in offices.prefetch_related("services"):
            for service in office.services.all():
                by_service.setdefault(service.pk, office.slug)
            by_department.setdefault(office.department_id, office.slug)
        _maps.clear()
        _maps[revision] = _OfficeMap(by_service, by_department)
    return _maps[revision]


def video_office_url_for(service: Service) -> str | None:
    """The page of the office the service is linked to, else of an office of the service's
    department; None (no button) when neither has an active office."""
    offices = _office_map()
    slug = offices.by_service.get(service.pk) or offices.by_department.get(service.department_id)
    return reverse("videooffice:office", args=[slug]) if slug else None
