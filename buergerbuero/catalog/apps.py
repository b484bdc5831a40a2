from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "buergerbuero.catalog"
    verbose_name = _("Leistungskatalog")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (search index invalidation)
