"""STUN/TURN: the credentials a call page gets are the ones coturn accepts, and the system
check says at start-up when the settings cannot work. (tests/e2e/test_video_turn_relay.py
proves them against a real coturn.)"""

import base64
import hashlib
import hmac
import time

from buergerbuero.videooffice.turn import ice_configuration, turn_credentials, turn_settings

SECRET = "north-wind-9"
TURN_URLS = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]


def coturn_accepts(username: str, credential: str, secret: str) -> bool:
    """What coturn does with ``use-auth-secret``: recompute the password, check the expiry."""
    expected = base64.b64encode(
        hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    ).decode()
    expiry = int(username.split(":", 1)[0])
    return hmac.compare_digest(expected, credential) and expiry > time.time()


def problem_ids():
    return sorted(problem.id for problem in turn_settings(None))


def test_credentials_verify_the_way_coturn_checks_them():
    username, credential = turn_credentials(SECRET, 3600)
    assert coturn_accepts(username, credential, SECRET)
    assert not coturn_accepts(username, credential, "another-secret")


def test_username_carries_the_expiry_now_plus_ttl():
    username, _ = turn_credentials(SECRET, 600, now=1_767_225_600.7)
    assert username.split(":")[0] == "1767226200"


def test_expired_credentials_are_refused():
    username, credential = turn_credentials(SECRET, 60, now=time.time() - 120)
    assert not coturn_accepts(username, credential, SECRET)


def test_known_vector():
    # Computed independently:
    # printf 1767226200:abc | openssl dgst -sha1 -hmac north-wind-9 -binary | base64
    username, credential = turn_credentials(SECRET, 600, now=1_767_225_600, opaque_id="abc")
    assert username == "1767226200:abc"
    assert credential == "2NgBF2cMSCD/5JTPmWiPsq7+Gt8="


def test_opaque_id_is_random_and_fresh_for_every_issue():
    first, _ = turn_credentials(SECRET, 600, now=1_767_225_600)
    second, _ = turn_credentials(SECRET, 600, now=1_767_225_600)
    assert first != second
    opaque = first.split(":", 1)[1]
    assert len(opaque) == 16 and int(opaque, 16) >= 0


def test_nothing_configured_gives_no_servers(settings):
    settings.VIDEO_STUN_URLS = []
    settings.VIDEO_TURN_URLS = []
    settings.VIDEO_ICE_TRANSPORT_POLICY = "all"
    assert ice_configuration() == {"iceServers": [], "iceTransportPolicy": "all"}


def test_stun_only(settings):
    settings.VIDEO_STUN_URLS = ["stun:turn.example.org:3478"]
    settings.VIDEO_TURN_URLS = []
    assert ice_configuration()["iceServers"] == [{"urls": ["stun:turn.example.org:3478"]}]


def test_turn_comes_with_fresh_working_credentials(settings):
    settings.VIDEO_STUN_URLS = ["stun:turn.example.org:3478"]
    settings.VIDEO_TURN_URLS = TURN_URLS
    settings.VIDEO_TURN_SECRET = SECRET
    settings.VIDEO_TURN_TTL = 900
    stun, turn = ice_configuration()["iceServers"]
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    assert turn["urls"] == TURN_URLS
    assert coturn_accepts(turn["username"], turn["credential"], SECRET)
    assert abs(int(turn["username"].split(":")[0]) - (time.time() + 900)) < 5
    assert ice_configuration()["iceServers"][1]["username"] != turn["username"]


def test_relay_policy_is_passed_on(settings):
    settings.VIDEO_TURN_URLS = TURN_URLS
    settings.VIDEO_TURN_SECRET = SECRET
    settings.VIDEO_ICE_TRANSPORT_POLICY = "relay"
    assert ice_configuration()["iceTransportPolicy"] == "relay"


def test_turn_without_secret_is_left_out_and_reported(settings):
    settings.VIDEO_STUN_URLS = []
    settings.VIDEO_TURN_URLS = TURN_URLS
    settings.VIDEO_TURN_SECRET = ""
    settings.VIDEO_ICE_TRANSPORT_POLICY = "all"
    assert ice_configuration()["iceServers"] == []
    assert problem_ids() == ["videooffice.E101"]


def test_relay_policy_without_turn_is_reported(settings):
    settings.VIDEO_TURN_URLS = []
    settings.VIDEO_ICE_TRANSPORT_POLICY = "relay"
    (problem,) = turn_settings(None)
    assert problem.id == "videooffice.E103"
    assert "no call could ever connect" in problem.msg


def test_unknown_policy_is_reported(settings):
    settings.VIDEO_ICE_TRANSPORT_POLICY = "direct"
    (problem,) = turn_settings(None)
    assert problem.id == "videooffice.E102"
    assert "'direct'" in problem.msg


def test_sound_settings_pass(settings):
    settings.VIDEO_STUN_URLS = []
    settings.VIDEO_TURN_URLS = TURN_URLS
    settings.VIDEO_TURN_SECRET = SECRET
    settings.VIDEO_ICE_TRANSPORT_POLICY = "relay"
    assert problem_ids() == []
