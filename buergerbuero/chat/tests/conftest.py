"""Fixtures of the chatbot's tests."""

from buergerbuero.tickets.tests.conftest import time_machine  # noqa: F401 (the clock fixture)
