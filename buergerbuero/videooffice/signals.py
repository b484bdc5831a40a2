"""Offices move the catalog revision: they decide where a service page's
"Video-Sprechstunde" button leads (``next_step.py``) and whether it shows at all."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from buergerbuero.catalog.snapshot import catalog_revision_bump

from .models import VideoOffice


def _bump_after_commit(**kwargs) -> None:
    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed fires before and after; the change is there only after
    transaction.on_commit(catalog_revision_bump)


post_save.connect(_bump_after_commit, sender=VideoOffice, dispatch_uid="video-office-save")
post_delete.connect(_bump_after_commit, sender=VideoOffice, dispatch_uid="video-office-delete")
m2m_changed.connect(
    _bump_after_commit, sender=VideoOffice.services.through, dispatch_uid="video-office-services"
)
