"""Any committed change to the catalog moves its revision: every process rebuilds its
search index and catalog page fragments are rendered afresh."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from buergerbuero.organisation.models import Department

from .models import Category, LifeSituation, RequiredDocument, Service, ServiceChannel
from .snapshot import catalog_revision_bump


def _bump_after_commit(**kwargs) -> None:
    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed fires before and after; the change is there only after
    transaction.on_commit(catalog_revision_bump)


for _model in (Service, RequiredDocument, ServiceChannel, Category, LifeSituation, Department):
    post_save.connect(_bump_after_commit, sender=_model, dispatch_uid=f"search-{_model.__name__}")
    post_delete.connect(
        _bump_after_commit, sender=_model, dispatch_uid=f"search-del-{_model.__name__}"
    )
for _through in (Service.categories.through, Service.life_situations.through):
    m2m_changed.connect(_bump_after_commit, sender=_through, dispatch_uid=f"search-{_through}")
