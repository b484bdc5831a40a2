"""Test settings with the test database in a file instead of in memory, for the race tests
on SQLite (an in-memory test database answers a second writer "table is locked" at once;
a file waits for the lock like the real database does)::

    env -u DATABASE_URL pytest --ds=buergerbuero.tickets.tests.sqlite_file_settings \
        buergerbuero/tickets/tests/test_races.py
"""

import tempfile
from pathlib import Path

from buergerbuero.settings.test import *  # noqa: F403

DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": str(Path(tempfile.gettempdir()) / "bb_tickets_races.sqlite3")
}
