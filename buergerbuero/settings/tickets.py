"""Settings of the walk-in queue (issue 7): when a ticket holder is told by SMS
(docs/tickets.md)."""

from .env import env

TICKETS_FEW_AHEAD = int(
    env(
        "TICKETS_FEW_AHEAD",
        "3",
        "A ticket with a mobile number gets the 'almost your turn' SMS once this many or "
        "fewer people are ahead of it.",
    )
    or 3
)
