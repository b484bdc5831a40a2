from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Municipality
from .selectors import municipality_forget


@receiver([post_save, post_delete], sender=Municipality)
def _forget_cached_municipality(**kwargs) -> None:
    municipality_forget()
