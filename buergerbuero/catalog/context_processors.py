from django.utils.functional import SimpleLazyObject

from .snapshot import catalog_snapshot


def catalog(request):
    """``catalog_revision`` for template fragment caches: ``{% cache 600 key catalog_revision %}``.

    The revision of this process's snapshot, i.e. of the data the page shows — never a newer
    revision, under which stale HTML would be stored. Lazy: pages without a catalog fragment
    never ask for it.
    """
    return {"catalog_revision": SimpleLazyObject(lambda: catalog_snapshot().revision)}
