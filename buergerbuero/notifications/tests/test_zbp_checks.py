"""The system checks tell the operator at start when the inbox configuration cannot work."""

from django.core.checks import run_checks


def check_ids() -> set[str]:
    return {message.id for message in run_checks() if message.id.startswith("notifications.")}


def test_no_zbp_configured_is_no_error(settings):
    settings.ZBP_URL = ""
    assert not check_ids() & {"notifications.W102", "notifications.E101", "notifications.E102"}


def test_a_zbp_without_credentials_is_warned_about(settings):
    settings.ZBP_URL = "https://zbp.example/api/v6"
    settings.ZBP_TOKEN_URL = ""
    settings.ZBP_CLIENT_CERT = ""
    assert "notifications.W102" in check_ids()


def test_incomplete_oauth_credentials_and_missing_files_are_errors(settings, tmp_path):
    settings.ZBP_URL = "https://zbp.example/api/v6"
    settings.ZBP_TOKEN_URL = "https://zbp.example/token"
    settings.ZBP_CLIENT_ID = "koeln"
    settings.ZBP_CLIENT_SECRET = ""
    settings.ZBP_CLIENT_CERT = str(tmp_path / "missing.pem")
    assert {"notifications.E101", "notifications.E102"} <= check_ids()


def test_plain_http_is_refused_in_production(settings):
    settings.ZBP_URL = "http://zbp.example/api/v6"
    settings.DEBUG = False
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert "notifications.E103" in ids
