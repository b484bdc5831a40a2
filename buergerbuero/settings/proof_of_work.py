"""Settings of the ALTCHA proof of work on the forms that hand out something scarce:
booking and moving an appointment, drawing a ticket online (docs/appointments.md,
section Fairness; buergerbuero/core/proof_of_work.py)."""

from .env import env

ALTCHA_HMAC_KEY = env(
    "ALTCHA_HMAC_KEY",
    "",
    "Key that signs the proof-of-work challenges. Empty: derived from SECRET_KEY (then "
    "rotating SECRET_KEY also invalidates the challenges of open pages).",
)
ALTCHA_MAX_NUMBER = int(
    env(
        "ALTCHA_MAX_NUMBER",
        "2000",
        "Upper bound of the secret counter a browser searches for (it is drawn from the "
        "upper half, so a browser tries between half of it and all of it, on average three "
        "quarters). Together with ALTCHA_COST it sets the work per submission.",
    )
    or 2000
)
ALTCHA_COST = int(
    env(
        "ALTCHA_COST",
        "500",
        "PBKDF2-SHA-256 iterations per counter tried: the price of one guess, for the "
        "browser and once per challenge for the server.",
    )
    or 500
)
ALTCHA_EXPIRY_SECONDS = int(
    env(
        "ALTCHA_EXPIRY_SECONDS",
        "600",
        "How long a challenge may be solved and submitted; a solved challenge is remembered "
        "in the cache for as long, so it is accepted once only.",
    )
    or 600
)
ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = int(
    env(
        "ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR",
        "3",
        "Submissions without a proof-of-work solution (browsers without JavaScript, and "
        "scripts that skip the work) accepted per client address and hour, over all "
        "protected forms together; 0 accepts none (JavaScript becomes a requirement).",
    )
    or 0
)
