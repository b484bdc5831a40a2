"""The ALTCHA proof of work on the server: challenges, solutions, single use, and the small
budget of submissions without one."""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.test import RequestFactory
from django.urls import reverse

from buergerbuero.core import proof_of_work
from buergerbuero.core.proof_of_work import Verdict
from buergerbuero.core.testing import altcha_solve


def b64(value) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_the_challenge_is_signed_expires_in_ten_minutes_and_is_never_cached(client, settings):
    now = time.time()
    response = client.get(reverse("proof_of_work_challenge"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    challenge = response.json()
    parameters = challenge["parameters"]
    assert parameters["algorithm"] == "PBKDF2/SHA-256"
    assert parameters["cost"] == settings.ALTCHA_COST
    assert challenge["signature"] and parameters["keySignature"]
    assert now + 599 <= parameters["expiresAt"] <= time.time() + 601
    assert set(parameters) >= {"nonce", "salt", "keyPrefix"}
    assert "counter" not in json.dumps(challenge)


def test_the_counter_lies_in_the_upper_half_below_the_max_number(client, settings):
    settings.ALTCHA_MAX_NUMBER = 20
    counters = set()
    for _ in range(10):
        payload = json.loads(base64.b64decode(altcha_solve(client)))
        counters.add(payload["solution"]["counter"])
    assert counters and all(10 <= counter < 20 for counter in counters)


def test_a_solution_is_accepted_once(client):
    payload = altcha_solve(client)

    assert proof_of_work.solution_check(payload) is Verdict.SOLVED
    assert proof_of_work.solution_check(payload) is Verdict.REPLAYED


def test_a_challenge_signed_with_another_key_is_refused(client, settings):
    settings.ALTCHA_HMAC_KEY = "the attacker's own key"
    forged = altcha_solve(client)
    settings.ALTCHA_HMAC_KEY = ""

    assert proof_of_work.solution_check(forged) is Verdict.INVALID


def test_an_easier_challenge_made_from_ours_is_refused(client):
    """Parameters changed after signing (a cheaper cost) break the signature."""
    payload = json.loads(base64.b64decode(altcha_solve(client)))
    payload["challenge"]["parameters"]["cost"] = 0

    assert proof_of_work.solution_check(b64(payload)) is Verdict.INVALID


def test_a_wrong_solution_is_refused(client):
    payload = json.loads(base64.b64decode(altcha_solve(client)))
    key = payload["solution"]["derivedKey"]
    payload["solution"]["derivedKey"] = key[:-1] + ("0" if key[-1] != "0" else "1")

    assert proof_of_work.solution_check(b64(payload)) is Verdict.INVALID


def test_an_expired_challenge_is_refused(client, settings):
    settings.ALTCHA_EXPIRY_SECONDS = -1
    payload = altcha_solve(client)

    assert proof_of_work.solution_check(payload) is Verdict.EXPIRED


@pytest.mark.parametrize(
    "payload",
    [
        "x",
        "not base64 at all!",
        b64([]),
        b64({"challenge": 1, "solution": 2}),
        # What the widget sends in its test mode: no challenge at all.
        b64({"challenge": None, "solution": None, "test": True}),
        b64({"challenge": {"parameters": {"algorithm": "SHA-256"}}, "solution": {}}),
    ],
)
def test_garbage_is_refused_without_an_error(payload):
    assert proof_of_work.solution_check(payload) is Verdict.INVALID


def _post(**data):
    return RequestFactory().post("/", data, REMOTE_ADDR="192.0.2.7")


def test_without_a_solution_an_address_gets_a_few_per_hour(settings):
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 2

    verdicts = [proof_of_work.request_check(_post()) for _ in range(3)]

    assert verdicts == [Verdict.WITHOUT_SCRIPT, Verdict.WITHOUT_SCRIPT, Verdict.OVER_BUDGET]
    other = RequestFactory().post("/", {}, REMOTE_ADDR="192.0.2.8")
    assert proof_of_work.request_check(other) is Verdict.WITHOUT_SCRIPT


def test_with_a_solution_the_budget_without_one_is_not_touched(client, settings):
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 0

    assert proof_of_work.request_check(_post(altcha=altcha_solve(client))) is Verdict.SOLVED
    assert proof_of_work.request_check(_post()) is Verdict.OVER_BUDGET
