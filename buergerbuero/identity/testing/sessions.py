"""Tests that need a logged-in citizen at a trust level, without a SAML round trip each
time (the round trip itself is tested in identity/tests/test_saml_*.py)."""

from __future__ import annotations

from buergerbuero.identity.trust import (
    SESSION_LEVEL,
    SESSION_METHOD,
    LoginMethod,
    TrustLevel,
)


def login_at_level(client, user, level: str | TrustLevel, method: str = LoginMethod.BUNDID):
    """Log ``user`` in on the test client as if ``method`` had proven ``level``."""
    client.force_login(user)
    session = client.session
    session[SESSION_LEVEL] = TrustLevel(level).value
    session[SESSION_METHOD] = str(method)
    session.save()
