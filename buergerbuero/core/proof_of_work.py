"""ALTCHA proof of work: a browser spends a moment of computation before it may book,
move an appointment or draw a ticket online, instead of solving an image captcha.

How it works (ALTCHA's "PoW v2", ``altcha`` on PyPI, the ``altcha`` 3.x widget on npm):

1. The widget fetches a challenge from :func:`challenge_create` (``/proof-of-work/challenge``):
   random nonce and salt, a secret counter drawn from the upper half of
   ``ALTCHA_MAX_NUMBER``, and the first 16 bytes of PBKDF2-SHA-256(nonce + counter, salt,
   ``ALTCHA_COST`` iterations) as the prefix to find; signed with ``ALTCHA_HMAC_KEY``,
   valid for ``ALTCHA_EXPIRY_SECONDS``.
2. The browser tries counters from 0 until its derived key starts with that prefix and
   puts challenge and solution into the form field ``altcha`` (base64 JSON).
3. The view asks :func:`request_check`: a valid, unexpired, unused solution is accepted
   and remembered in the cache until it would have expired (single use); a submission
   without one is accepted only within ``ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR`` per address —
   a browser without JavaScript can still book, a script that skips the work cannot book
   much.

The server checks a solution without recomputing it: the challenge also carries an HMAC of
the expected key (``keySignature``, under a second key), so a check costs two HMACs.

Usage in a view, after the form is valid and before the service is called::

    verdict = proof_of_work.request_check(request)
    if not verdict.accepted:
        context["proof_refused"] = verdict
        return render(request, template, context, status=verdict.status)

and in the form's template ``{% include "core/_proof_of_work.html" %}`` (the widget) and
``{% include "core/_proof_refused.html" %}`` (the message, if any).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import time

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from .rate_limits import AddressLimit

ALGORITHM = "PBKDF2/SHA-256"
FIELD = "altcha"
NOSCRIPT = AddressLimit("proof-of-work:noscript", window_seconds=3600)


class Verdict(enum.StrEnum):
    SOLVED = "solved"
    WITHOUT_SCRIPT = "without_script"  # no solution, within the address's small budget
    OVER_BUDGET = "over_budget"  # no solution, budget used up
    INVALID = "invalid"  # unreadable, forged signature or wrong solution
    EXPIRED = "expired"
    REPLAYED = "replayed"

    @property
    def accepted(self) -> bool:
        return self in (Verdict.SOLVED, Verdict.WITHOUT_SCRIPT)

    @property
    def status(self) -> int:
        """HTTP status of a refusal: 429 for the used-up budget, 400 for a bad solution."""
        return 429 if self is Verdict.OVER_BUDGET else 400


def _hmac_key() -> str:
    return settings.ALTCHA_HMAC_KEY or salted_hmac("buergerbuero.altcha", "challenge").hexdigest()


def _key_signature_key() -> str:
    # A second key for the fast check: derived from the first, so one setting suffices.
    return salted_hmac("buergerbuero.altcha.key", "derived-key", secret=_hmac_key()).hexdigest()


def challenge_create() -> dict:
    """A new signed challenge as the widget expects it (JSON)."""
    top = max(2, settings.ALTCHA_MAX_NUMBER)
    counter = top // 2 + secrets.randbelow(top - top // 2)
    challenge = altcha.create_challenge(
        algorithm=ALGORITHM,
        cost=settings.ALTCHA_COST,
        counter=counter,
        expires_at=int(time.time()) + settings.ALTCHA_EXPIRY_SECONDS,
        hmac_secret=_hmac_key(),
        hmac_key_secret=_key_signature_key(),
    )
    return challenge.to_dict()


def solution_check(payload: str) -> Verdict:
    """Check one solution from the widget; a valid one is used up by this check."""
    result = altcha.verify_solution(payload, _hmac_key(), hmac_key_secret=_key_signature_key())
    if result.expired:
        return Verdict.EXPIRED
    if not result.verified:
        return Verdict.INVALID
    # Verified means signed by us, so the parameters are ours: the signature is unique per
    # challenge and expiresAt is set. Remember it until then (plus a margin for clocks).
    challenge = altcha.Payload.from_base64(payload).challenge
    remaining = max(1, int(challenge.parameters.expires_at - time.time()) + 60)
    key = "proof-of-work:used:" + hashlib.sha256(challenge.signature.encode()).hexdigest()
    if not cache.add(key, 1, timeout=remaining):
        return Verdict.REPLAYED
    return Verdict.SOLVED


def request_check(request) -> Verdict:
    """The verdict on a form POST: its solution, or the address's budget without one."""
    payload = request.POST.get(FIELD, "").strip()
    if payload:
        return solution_check(payload)
    budget = settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR
    if budget > 0 and NOSCRIPT.hit(request, limit=budget) is None:
        return Verdict.WITHOUT_SCRIPT
    return Verdict.OVER_BUDGET  # (budget 0: a solution is required)
