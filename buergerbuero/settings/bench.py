"""Settings for bench/portal.py: production, served over plain http on 127.0.0.1.

Adds the bare `/_bench/ceiling` view (see urls.py) that the benchmark compares pages with.
Never deploy with these settings.
"""

from .production import *  # noqa: F403

BENCH_CEILING = True
SECURE_SSL_REDIRECT = False  # wrk and urllib talk plain http to the local server
ALLOWED_HOSTS = ["127.0.0.1"]
