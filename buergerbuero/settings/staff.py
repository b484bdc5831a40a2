"""Settings of the identity work: staff accounts, brute-force protection, idle sessions.

Imported at the end of base.py. See docs/identity-staff.md.
"""

import datetime as dt

from .env import env

# None: follow DEMO_MODE at run time (required unless DEMO_MODE) — production.py turns
# DEMO_MODE off after this module is read, so the default cannot be decided here.
_REQUIRE_2FA = (
    (
        env(
            "STAFF_REQUIRE_2FA",
            "",
            "true/false: every staff member must confirm each login with a second factor (an "
            "authenticator app, TOTP); staff pages (/sachbearbeitung/, /kasse/, /admin/) refuse "
            "sessions without it. Empty (default): required unless DEMO_MODE.",
        )
        or ""
    )
    .strip()
    .lower()
)
STAFF_REQUIRE_2FA = None if not _REQUIRE_2FA else _REQUIRE_2FA in {"1", "true", "yes", "on"}
STAFF_IDLE_TIMEOUT_MINUTES = int(
    env(
        "STAFF_IDLE_TIMEOUT_MINUTES",
        "30",
        "Minutes without a request after which a staff member's session ends.",
    )
    or 30
)
CITIZEN_IDLE_TIMEOUT_MINUTES = int(
    env(
        "CITIZEN_IDLE_TIMEOUT_MINUTES",
        "60",
        "Minutes without a request after which a citizen's session ends (drafts are kept).",
    )
    or 60
)
OTP_TOTP_ISSUER = env(
    "STAFF_TOTP_ISSUER",
    "Virtuelles Bürgerbüro",
    "The name staff see for this account in their authenticator app.",
)

# django-axes: a login is refused for 15 minutes after 5 failures of one user name from
# one address (a user name tried from elsewhere, and other users, stay unaffected).
AXES_FAILURE_LIMIT = int(
    env("LOGIN_FAILURE_LIMIT", "5", "Failed logins per user name and address before a lockout.")
    or 5
)
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=int(
        env("LOGIN_LOCKOUT_MINUTES", "15", "Minutes a locked-out login stays refused.") or 15
    )
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# During a lockout, further tries do not extend it: the page's "try again at" stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "buergerbuero.identity.staff.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "buergerbuero.identity.staff.lockout.client_ip"
AXES_VERBOSE = False  # axes' own log lines mask user name and address (sensitive parameters)
LOGIN_TRUSTED_PROXIES = int(
    env(
        "LOGIN_TRUSTED_PROXIES",
        "0",
        "Reverse proxies in front of the app that append to X-Forwarded-For (nginx: 1). "
        "0: the peer address counts and X-Forwarded-For is ignored (it can be forged).",
    )
    or 0
)
