"""Settings of the identity work: citizens' local accounts (imported at the end of base.py).

See docs/identity-accounts.md for what each one does to the citizen.
"""

from .env import env

ACCOUNT_VERIFICATION_HOURS = int(
    env(
        "ACCOUNT_VERIFICATION_HOURS",
        "72",
        "Hours the confirmation link of a new citizen account stays valid (default 72).",
    )
    or 72
)
# Django's password reset links (PasswordResetTokenGenerator) expire after this many seconds.
PASSWORD_RESET_TIMEOUT = int(
    env(
        "PASSWORD_RESET_TIMEOUT",
        str(24 * 3600),
        "Seconds a password reset link stays valid (default 86400, one day). A link also "
        "stops working once it was used or the password changed.",
    )
    or 24 * 3600
)
ACCOUNT_LOGIN_CODE_MINUTES = int(
    env(
        "ACCOUNT_LOGIN_CODE_MINUTES",
        "5",
        "Minutes between a correct password and the second-factor code of a citizen login "
        "(default 5); after that the password is asked again.",
    )
    or 5
)
