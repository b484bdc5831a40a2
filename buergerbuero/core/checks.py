"""Deployment checks: `manage.py check --deploy` warns when production runs on the
embedded default's parts (SQLite, per-process channel layer and cache)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.database, deploy=True)
def production_services(app_configs, **kwargs):
    problems = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        problems.append(
            Warning(
                "The database is SQLite.",
                hint="Set DATABASE_URL to PostgreSQL (docs/operations.md).",
                id="buergerbuero.W001",
            )
        )
    if not settings.REDIS_URL:
        problems.append(
            Warning(
                "No REDIS_URL: channel layer, cache and search-index revision stay per process.",
                hint="Set REDIS_URL; with more than one process a knock on one would not "
                "reach staff on another.",
                id="buergerbuero.W002",
            )
        )
    return problems
