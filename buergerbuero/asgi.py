"""ASGI entry point: HTTP through Django, WebSockets through Channels (routes added per app)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerbuero.settings.base")

# A server holding thousands of WebSockets (waiting rooms) has about a million live objects,
# and CPython's default thresholds (700, 10, 10) run a full collection over all of them
# every few seconds: 0.5–0.8 s in which the event loop answers nobody. Collecting the
# youngest generation after 50,000 allocations instead of 700 makes every collection
# rarer; the position updates of 5,000 waiting rooms then arrive within 0.45–0.75 s at p95
# instead of 1.0–1.1 s (bench/video_waiting_room.py, bench/README.md "Video office").
# Garbage in reference cycles lives a little longer; everything else is freed as before.
gc.set_threshold(50_000, 20, 10)
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from buergerbuero.chat.warm_up import warm_up_in_background  # noqa: E402
from buergerbuero.core.realtime import websocket_urlpatterns  # noqa: E402

warm_up_in_background()  # the chatbot's model and catalog index, off the request path

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
