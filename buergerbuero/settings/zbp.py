"""Settings of the BundID inbox (Zentrales Bürgerpostfach, ZBP) adapter.

Inbox delivery switches on with ZBP_URL; without it notices and status messages go by email
only. Authentication is OAuth2 client credentials (ZBP_TOKEN_URL, ZBP_CLIENT_ID,
ZBP_CLIENT_SECRET), a BPKI client certificate (ZBP_CLIENT_CERT, ZBP_CLIENT_KEY), or both, as
the operator's connection to the ZBP requires. See docs/identity-zbp.md.
"""

from .env import env

ZBP_URL = env(
    "ZBP_URL",
    "",
    "Base URL of the BundID inbox (ZBP) REST interface, e.g. https://zbp.example/api/v6. "
    "Empty: no inbox delivery, citizens get emails only.",
)
ZBP_TOKEN_URL = env(
    "ZBP_TOKEN_URL",
    "",
    "OAuth2 token endpoint for the ZBP (client credentials grant). Empty: no bearer token "
    "is sent (mutual TLS only).",
)
ZBP_CLIENT_ID = env("ZBP_CLIENT_ID", "", "OAuth2 client id of this online service at the ZBP.")
ZBP_CLIENT_SECRET = env(
    "ZBP_CLIENT_SECRET", "", "OAuth2 client secret of this online service at the ZBP (secret)."
)
ZBP_OAUTH_SCOPE = env("ZBP_OAUTH_SCOPE", "", "OAuth2 scope to request for the ZBP, if any.")
ZBP_CLIENT_CERT = env(
    "ZBP_CLIENT_CERT",
    "",
    "Path of the PEM client certificate (BPKI) for mutual TLS with the ZBP. Empty: none.",
)
ZBP_CLIENT_KEY = env(
    "ZBP_CLIENT_KEY", "", "Path of the PEM private key belonging to ZBP_CLIENT_CERT (secret)."
)
ZBP_CA_BUNDLE = env(
    "ZBP_CA_BUNDLE",
    "",
    "Path of a PEM CA bundle to verify the ZBP's server certificate. Empty: the system's.",
)
ZBP_SENDER = env(
    "ZBP_SENDER",
    "",
    "Sender name shown in the citizen's inbox. Empty: the municipality's name.",
)
ZBP_ONLINE_SERVICE_ID = env(
    "ZBP_ONLINE_SERVICE_ID",
    "",
    "Identifier of this online service at BundID/ZBP (Onlinedienst-ID), sent with each message.",
)
ZBP_TIMEOUT = float(env("ZBP_TIMEOUT", "15", "Seconds to wait for the ZBP per request."))
ZBP_MAX_ATTEMPTS = int(
    env("ZBP_MAX_ATTEMPTS", "6", "Attempts to deliver one inbox message before giving up.")
)
ZBP_RETRY_DELAY = int(
    env(
        "ZBP_RETRY_DELAY",
        "300",
        "Seconds before the first retry of an inbox message; doubled after each failure.",
    )
)
