"""Helpers for tests of forms guarded by the proof of work (core/proof_of_work.py)."""

from __future__ import annotations

import altcha
from django.urls import reverse


def altcha_solve(client) -> str:
    """Do what the widget does: fetch a challenge from the portal and find its counter by
    brute force (cheap with the test settings' ALTCHA_MAX_NUMBER and ALTCHA_COST); the
    form field's value."""
    challenge = altcha.Challenge.from_dict(client.get(reverse("proof_of_work_challenge")).json())
    solution = altcha.solve_challenge(challenge, timeout=10)
    assert solution is not None, "no solution below ALTCHA_MAX_NUMBER"
    return altcha.Payload(challenge, solution).to_base64()
