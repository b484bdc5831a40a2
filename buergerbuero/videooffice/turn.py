"""STUN/TURN for the call pages: the ICE configuration and ephemeral TURN credentials.

A TURN server relays media for anyone who holds valid credentials, so long-lived ones in a
page would be an open relay for whoever reads the page source. Instead every call page gets
credentials that expire after ``VIDEO_TURN_TTL`` seconds, made with the secret shared with
the TURN server — the scheme coturn calls ``use-auth-secret`` (the "TURN REST API" draft)::

    username   = "<unix expiry>:<opaque id>"
    credential = base64(HMAC-SHA1(secret, username))

coturn recomputes the credential from the username and refuses it after the expiry, so the
portal and the TURN server never talk to each other. What a call page gets from
:func:`ice_configuration`::

    {"iceServers": [{"urls": ["stun:turn.example.org:3478"]},
                    {"urls": ["turn:turn.example.org:3478?transport=udp"],
                     "username": "1767225600:9f2c4e6a1b3d5f70", "credential": "q3…="}],
     "iceTransportPolicy": "all"}

The opaque id is random (16 hex digits, fresh for every issue), not derived from the user:
the TURN server — often run by a data centre or a neighbouring municipality — logs usernames,
and should learn nothing about who calls. An HMAC of the user id would be a stable pseudonym
that links all calls of one person in those logs, and user ids are few enough to be tried
one by one by anyone holding the key.

The system check below says at start-up when the settings cannot work (deploy/coturn/ has a
server example, docs/videooffice.md the operator's side).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.core.checks import Error, register

TRANSPORT_POLICIES = ("all", "relay")


def turn_credentials(
    secret: str, ttl: int, *, now: float | None = None, opaque_id: str | None = None
) -> tuple[str, str]:
    """Return ``(username, credential)`` valid until ``now + ttl`` (unix seconds).

    ``opaque_id`` is the part after the colon; leave it out for a fresh random one (see the
    module docstring for why it must not name the user).
    """
    expiry = int(time.time() if now is None else now) + ttl
    username = f"{expiry}:{opaque_id or secrets.token_hex(8)}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_configuration() -> dict:
    """The ``RTCConfiguration`` for ``new RTCPeerConnection(...)``, with fresh TURN credentials.

    Servers that are not configured are left out; TURN also when its secret is missing (the
    system check reports that), since credentials cannot be made without it.
    """
    servers = []
    if settings.VIDEO_STUN_URLS:
        servers.append({"urls": list(settings.VIDEO_STUN_URLS)})
    if settings.VIDEO_TURN_URLS and settings.VIDEO_TURN_SECRET:
        username, credential = turn_credentials(settings.VIDEO_TURN_SECRET, settings.VIDEO_TURN_TTL)
        servers.append(
            {
                "urls": list(settings.VIDEO_TURN_URLS),
                "username": username,
                "credential": credential,
            }
        )
    return {"iceServers": servers, "iceTransportPolicy": settings.VIDEO_ICE_TRANSPORT_POLICY}


@register()
def turn_settings(app_configs, **kwargs):
    """Said at every start instead of found out when the first call does not connect."""
    problems = []
    policy = settings.VIDEO_ICE_TRANSPORT_POLICY
    turn_usable = bool(settings.VIDEO_TURN_URLS and settings.VIDEO_TURN_SECRET)
    if settings.VIDEO_TURN_URLS and not settings.VIDEO_TURN_SECRET:
        problems.append(
            Error(
                "VIDEO_TURN_URLS is set but VIDEO_TURN_SECRET is empty: no TURN credentials "
                "can be issued, so calls get no relay.",
                hint="Set VIDEO_TURN_SECRET to the TURN server's static-auth-secret "
                "(deploy/coturn/turnserver.conf).",
                id="videooffice.E101",
            )
        )
    if policy not in TRANSPORT_POLICIES:
        problems.append(
            Error(
                f"VIDEO_ICE_TRANSPORT_POLICY={policy!r} is unknown.",
                hint="Use 'all' (direct where possible) or 'relay' (always through TURN).",
                id="videooffice.E102",
            )
        )
    elif policy == "relay" and not turn_usable:
        problems.append(
            Error(
                "VIDEO_ICE_TRANSPORT_POLICY is 'relay' but no TURN server is usable: "
                "no call could ever connect.",
                hint="Set VIDEO_TURN_URLS and VIDEO_TURN_SECRET, or use the policy 'all'.",
                id="videooffice.E103",
            )
        )
    return problems
