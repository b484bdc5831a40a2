"""WSGI entry point (used by the test live server; production serves ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerbuero.settings.base")
application = get_wsgi_application()
