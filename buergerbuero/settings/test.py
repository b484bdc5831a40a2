"""Settings for the test suite: the base settings, faster hashing, a temporary media root."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="bb-test-media-"))
PRIVATE_ROOT = Path(tempfile.mkdtemp(prefix="bb-test-private-"))
STORAGES["private"]["OPTIONS"]["location"] = PRIVATE_ROOT  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEMO_MODE = True
# One cache per test process, cleared before every test (conftest.py): a shared Redis cache
# would carry state from one test into the next.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Background tasks run at once, inside the test (after the transaction commits).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# No connection pool in tests: transactional tests open connections from threads and flush
# the database; a pool outliving them hands out connections to the wrong database.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
# Proof of work: a few cheap guesses, so a test can solve a challenge by brute force.
ALTCHA_MAX_NUMBER = 20
ALTCHA_COST = 1
