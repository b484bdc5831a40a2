"""Settings of SMS delivery (notifications.sms).

By default SMS go to the log only (``console``); ``SMS_BACKEND=seven`` with
``SMS_API_KEY`` sends them through seven.io. See docs/notifications.md.
"""

from .env import env

SMS_BACKEND = env(
    "SMS_BACKEND",
    "console",
    "SMS gateway: console (log only, the default) or seven (seven.io, needs SMS_API_KEY).",
)
SMS_GATEWAY_URL = env(
    "SMS_GATEWAY_URL",
    "",
    "Base URL of the SMS gateway's API. Empty: the provider's own "
    "(seven: https://gateway.seven.io/api).",
)
SMS_API_KEY = env("SMS_API_KEY", "", "API key at the SMS provider (secret).")
SMS_SENDER = env(
    "SMS_SENDER",
    "",
    "Sender shown on the phone: at most 11 letters/digits (e.g. StadtKoeln) or 16 digits. "
    "Empty: the provider account's default.",
)
SMS_TIMEOUT = float(env("SMS_TIMEOUT", "10", "Seconds to wait for the SMS gateway per request."))
SMS_MAX_ATTEMPTS = int(
    env("SMS_MAX_ATTEMPTS", "5", "Attempts to deliver one SMS before it is marked failed.")
)
SMS_RETRY_DELAY = int(
    env(
        "SMS_RETRY_DELAY",
        "30",
        "Seconds before the second attempt of an SMS; each further wait doubles. Short: an "
        "SMS that a ticket is called is useless an hour later.",
    )
)
