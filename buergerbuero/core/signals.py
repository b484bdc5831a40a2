from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Municipality
from .selectors import municipality_forget


@receiver([post_save, post_delete], sender=Municipality)
def _forget_cached_municipality(**kwargs) -> None:
    # After the commit: a request in between would cache the old row again.
    transaction.on_commit(municipality_forget)
