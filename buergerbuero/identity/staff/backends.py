"""The lockout check as the first authentication backend (django-axes)."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuses every password check of a locked-out user name and address.

    A login without a request (the shell, the test client's ``login()``) has no address to
    count and is not checked here; every web login passes its request to
    ``authenticate()``.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


# Connect the lockout's log line and the idle timer before the first login.
from . import signals  # noqa: E402, F401
