from django.utils.functional import SimpleLazyObject

from .snapshot import catalog_revision


def catalog(request):
    """``catalog_revision`` for template fragment caches: ``{% cache 600 key catalog_revision %}``.

    Lazy, so a page without a catalog fragment never asks the cache for it.
    """
    return {"catalog_revision": SimpleLazyObject(lambda: str(catalog_revision()))}
