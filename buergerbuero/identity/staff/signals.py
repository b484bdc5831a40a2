"""Signal receivers of the staff package: the lockout's log line, the idle timer's start.

Imported by ``backends.py`` and ``middleware.py`` (both load before any login), so the
receivers are connected without an entry in ``IdentityConfig.ready``.
"""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import lockout  # noqa: F401  (connects the lockout log line)

SESSION_LAST_SEEN = "identity.last_seen"


@receiver(user_logged_in)
def _idle_timer_start(sender, request=None, user=None, **kwargs):
    # A login is activity: the idle timer starts here, not at the next request.
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LAST_SEEN] = int(time.time())
