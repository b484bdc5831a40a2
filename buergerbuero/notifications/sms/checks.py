"""System checks of the SMS configuration: said at every start instead of found out when a
citizen's phone stays silent."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .registry import GATEWAYS, NEEDS_API_KEY, backend_name

# GSM sender ids: up to 11 letters and digits, or up to 16 digits (a phone number).
_SENDER = re.compile(r"^(?:[A-Za-z0-9 ]{1,11}|\+?[0-9]{1,16})$")


@register()
def sms_configuration(app_configs, **kwargs):
    name = backend_name()
    if name not in GATEWAYS:
        return [
            Error(
                f"SMS_BACKEND={name!r} names no SMS gateway.",
                hint=f"Choose one of: {', '.join(GATEWAYS)}.",
                id="notifications.E110",
            )
        ]
    problems = []
    if name in NEEDS_API_KEY and not settings.SMS_API_KEY:
        problems.append(
            Error(
                f"SMS_BACKEND={name!r} sends through a provider, but SMS_API_KEY is empty: "
                "every SMS would be refused.",
                hint="Set SMS_API_KEY to the provider's API key (docs/notifications.md), or "
                "SMS_BACKEND=console.",
                id="notifications.E111",
            )
        )
    if settings.SMS_SENDER and not _SENDER.match(settings.SMS_SENDER):
        problems.append(
            Error(
                f"SMS_SENDER={settings.SMS_SENDER!r} is no valid sender id.",
                hint="At most 11 letters and digits (e.g. StadtKoeln) or 16 digits.",
                id="notifications.E112",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def sms_in_production(app_configs, **kwargs):
    problems = []
    if backend_name() == "console":
        problems.append(
            Warning(
                "SMS_BACKEND is 'console': text messages (ticket called, appointment "
                "reminders) are only written to the log, no citizen receives them.",
                hint="Set SMS_BACKEND and SMS_API_KEY (docs/notifications.md).",
                id="notifications.W110",
            )
        )
    url = settings.SMS_GATEWAY_URL
    if url and not url.startswith("https://") and not settings.DEBUG:
        problems.append(
            Error(
                "SMS_GATEWAY_URL does not use https: the API key and citizens' numbers "
                "would travel unencrypted.",
                id="notifications.E113",
            )
        )
    return problems
