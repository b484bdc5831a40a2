"""Where a citizen goes after paying: the caller's return URL with the payment's id.

The citizen comes back to ``<return_url>?zahlung=<payment uuid>`` whatever the outcome;
the caller then reads the payment (``selectors.payment_for``) and acts on its status.
A return URL is ours — a path on this site or an http(s) URL of a host in
``ALLOWED_HOSTS`` — so a payment can never send a citizen elsewhere.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http.request import validate_host
from django.utils.http import url_has_allowed_host_and_scheme

RETURN_PARAMETER = "zahlung"


def return_url_is_ours(url: str) -> bool:
    """``/antraege/…`` or ``https://<a host in ALLOWED_HOSTS>/…``; nothing else."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        has_userinfo = parts.username is not None or parts.password is not None
    except ValueError:
        return False
    if not parts.scheme and not parts.netloc:
        return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    if parts.scheme not in ("http", "https") or not hostname or has_userinfo:
        return False
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={parts.netloc}):
        return False  # backslashes, control characters and other browser tricks
    host = f"[{hostname}]" if ":" in hostname else hostname
    return validate_host(host, settings.ALLOWED_HOSTS)


def return_url_with_payment(url: str, payment_uuid) -> str:
    """``url`` with ``?zahlung=<uuid>`` (replacing an earlier one, keeping other parameters)."""
    parts = urlsplit(url)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key != RETURN_PARAMETER
    ]
    query.append((RETURN_PARAMETER, str(payment_uuid)))
    return urlunsplit(parts._replace(query=urlencode(query)))
