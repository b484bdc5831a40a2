from pathlib import Path

import pytest

from buergerbuero.notifications.sms.testing import sms_gateway_server  # noqa: F401
from buergerbuero.notifications.testing import smtp_server  # noqa: F401

TEST_TEMPLATES = Path(__file__).resolve().parent / "templates"


@pytest.fixture
def test_templates(settings):
    """Templates that exist only for these tests (notifications_test/…)."""
    settings.TEMPLATES = [
        {**engine, "DIRS": [*engine["DIRS"], TEST_TEMPLATES]} for engine in settings.TEMPLATES
    ]
