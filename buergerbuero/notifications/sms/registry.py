"""The SMS gateways by name, and the one the settings select (``SMS_BACKEND``).

A gateway is registered with a factory that builds it from the settings::

    GATEWAYS["mygateway"] = lambda: MyGateway(api_key=settings.SMS_API_KEY)

Tests may put their own gateway in :data:`GATEWAYS` (``monkeypatch.setitem``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from .base import SmsGateway
from .console import ConsoleGateway
from .seven import DEFAULT_URL, SevenConfig, SevenGateway


def _seven() -> SevenGateway:
    return SevenGateway(
        SevenConfig(
            api_key=settings.SMS_API_KEY,
            url=settings.SMS_GATEWAY_URL or DEFAULT_URL,
            sender=settings.SMS_SENDER,
            timeout=settings.SMS_TIMEOUT,
        )
    )


GATEWAYS: dict[str, Callable[[], SmsGateway]] = {
    "console": ConsoleGateway,
    "seven": _seven,
}
# Gateways that send through a provider and need its API key.
NEEDS_API_KEY = {"seven"}


def backend_name() -> str:
    return (getattr(settings, "SMS_BACKEND", "") or "console").strip().lower()


def sms_gateway() -> SmsGateway:
    """The gateway ``SMS_BACKEND`` names (the system check reports an unknown name)."""
    name = backend_name()
    try:
        factory = GATEWAYS[name]
    except KeyError:
        raise LookupError(
            f"SMS_BACKEND={name!r} names no SMS gateway; choose one of {', '.join(GATEWAYS)}"
        ) from None
    return factory()
