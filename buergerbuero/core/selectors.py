from django.core.cache import cache

from .models import Municipality

_CACHE_KEY = "core:municipality"


def municipality_get() -> Municipality:
    """The city of this installation; an unsaved placeholder until an admin creates it."""
    municipality = cache.get(_CACHE_KEY)
    if municipality is None:
        municipality = Municipality.objects.first() or Municipality(
            name="Bürgerbüro", short_name="Bürgerbüro"
        )
        cache.set(_CACHE_KEY, municipality, 300)
    return municipality


def municipality_forget() -> None:
    cache.delete(_CACHE_KEY)
