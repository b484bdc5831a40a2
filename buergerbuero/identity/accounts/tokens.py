"""Signed links in the account emails.

The confirmation link of a new account carries the account id and a hash of the address
it was sent to, signed with ``SECRET_KEY`` and a timestamp::

    token = verification_token_make(user)
    user = verification_token_check(token)   # None: forged, expired or for another address

Password reset links are Django's (``default_token_generator``): they stop working once
used, because the password hash is part of them.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing

_SALT = "buergerbuero.identity.account-verification"


class TokenExpired(Exception):
    """The link was genuine but is too old; the citizen can ask for a new one."""


def _address_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def verification_token_make(user) -> str:
    return signing.dumps({"u": user.pk, "e": _address_hash(user.email)}, salt=_SALT, compress=True)


def verification_token_check(token: str):
    """The account a confirmation link stands for, or None for a forged link or one sent to
    an address the account no longer has. Raises :class:`TokenExpired` for an old link."""
    max_age = settings.ACCOUNT_VERIFICATION_HOURS * 3600
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenExpired from None
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user = get_user_model().objects.filter(pk=data.get("u")).first()
    if user is None or not user.email or _address_hash(user.email) != data.get("e"):
        return None
    return user
