"""The service page's "Video-Sprechstunde" button (the catalog's ``video`` channel).

Registered in ``VideoOfficeConfig.ready``::

    register_next_step("video", video_office_url_for)
"""

from __future__ import annotations

from django.urls import reverse

from buergerbuero.catalog.models import Service

from .models import VideoOffice


def video_office_url_for(service: Service) -> str | None:
    """The page of the office the service is linked to, else of an office of the service's
    department; None (no button) when neither has an active office."""
    active = VideoOffice.objects.filter(is_active=True).order_by("name")
    office = (
        active.filter(services=service).first()
        or active.filter(department_id=service.department_id).first()
    )
    return reverse("videooffice:office", args=[office.slug]) if office else None
