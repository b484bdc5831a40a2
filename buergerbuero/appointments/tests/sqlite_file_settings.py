"""The test settings with a SQLite test database in a file instead of in memory, so that
threads get connections of their own and really race (the in-memory database's shared
cache answers "table is locked" instead of waiting). For the race test::

    env -u DATABASE_URL .venv/bin/pytest buergerbuero/appointments/tests/test_race.py \\
        --ds=buergerbuero.appointments.tests.sqlite_file_settings -p no:cacheprovider
"""

import tempfile
from pathlib import Path

from buergerbuero.settings.test import *  # noqa: F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / "bb_appointments_race.sqlite3")
    }
