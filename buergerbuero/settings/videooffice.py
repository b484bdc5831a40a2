"""Settings of the video office (issue 6): ICE servers for WebRTC and the grace periods.

STUN/TURN: with VIDEO_TURN_URLS and VIDEO_TURN_SECRET every call page gets TURN
credentials valid for VIDEO_TURN_TTL seconds, made with the shared secret the way coturn's
``use-auth-secret`` checks them (docs/videooffice.md, deploy/coturn/turnserver.conf).
"""

from .env import env, env_list

VIDEO_STUN_URLS = env_list(
    "VIDEO_STUN_URLS",
    "",
    "STUN servers for WebRTC, comma-separated, e.g. stun:turn.example.org:3478. Empty: "
    "none (calls inside one network, or through TURN).",
)
VIDEO_TURN_URLS = env_list(
    "VIDEO_TURN_URLS",
    "",
    "TURN servers, comma-separated, e.g. turn:turn.example.org:3478?transport=udp,"
    "turns:turn.example.org:5349. Empty: no relay.",
)
VIDEO_TURN_SECRET = env(
    "VIDEO_TURN_SECRET",
    "",
    "Shared secret of the TURN server (coturn static-auth-secret) for ephemeral "
    "credentials (secret).",
)
VIDEO_TURN_TTL = int(
    env("VIDEO_TURN_TTL", "3600", "Lifetime of issued TURN credentials in seconds.") or 3600
)
VIDEO_ICE_TRANSPORT_POLICY = env(
    "VIDEO_ICE_TRANSPORT_POLICY",
    "all",
    "'all' (direct where possible) or 'relay' (always through TURN: hides addresses).",
)
# How long a waiting citizen may be gone (page closed, network lost) and keep the place.
VIDEO_WAITING_GRACE_SECONDS = int(
    env("VIDEO_WAITING_GRACE_SECONDS", "120", "Seconds a waiting citizen keeps the place.") or 120
)
# How long a call waits for a caseworker whose page dropped before the citizen goes back to
# the head of the queue.
VIDEO_CASEWORKER_GRACE_SECONDS = int(
    env("VIDEO_CASEWORKER_GRACE_SECONDS", "20", "Seconds a call waits for a lost caseworker.") or 20
)
# What a citizen wrote at the door (concern, a decline message) is erased this many days
# after the knock ended; the privacy notice on the office page says so.
VIDEO_KNOCK_RETENTION_DAYS = int(
    env(
        "VIDEO_KNOCK_RETENTION_DAYS",
        "30",
        "Days after which the concern written at a knock is erased.",
    )
    or 30
)
VIDEO_KNOCKS_PER_CLIENT = int(
    env("VIDEO_KNOCKS_PER_CLIENT", "10", "Knocks one client address may make per hour.") or 10
)
# A video appointment's waiting room opens this many minutes before its start.
VIDEO_APPOINTMENT_EARLY_MINUTES = int(
    env(
        "VIDEO_APPOINTMENT_EARLY_MINUTES",
        "10",
        "Minutes before a video appointment at which its waiting room opens.",
    )
    or 10
)
