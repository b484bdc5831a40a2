"""The default gateway for development and demos: the SMS goes to the log, not to a phone.

Every message is still stored in the outbox and marked sent, so the development outbox page
(``/entwicklung/postausgang/``) shows what a citizen would have received.
"""

from __future__ import annotations

import logging

from ..models import mask_number
from .base import SmsGateway

logger = logging.getLogger("buergerbuero.notifications")


class ConsoleGateway(SmsGateway):
    name = "console"

    def send(self, *, to: str, text: str, reference: str) -> str:
        logger.info(
            "sms %s to %s (console, not sent to a phone): %s", reference, mask_number(to), text
        )
        return f"console-{reference}"
