"""Return URLs: only ours, and the payment's id appended."""

import pytest

from buergerbuero.payments.return_urls import return_url_is_ours, return_url_with_payment


@pytest.mark.parametrize(
    ("url", "ours"),
    [
        ("/antraege/1/", True),
        ("/en/antraege/1/?schritt=3", True),
        ("http://localhost/antraege/1/", True),
        ("https://localhost:8000/antraege/1/", True),
        ("http://[::1]/antraege/1/", True),
        ("https://buergerbuero.example.de/antraege/1/", False),
        ("//evil.example/", False),
        ("/\\evil.example/", False),
        ("https://localhost@evil.example/", False),
        ("ftp://localhost/", False),
        ("javascript:alert(1)", False),
        ("antraege/1/", False),
        ("", False),
        ("http://[broken/", False),
    ],
)
def test_return_url_is_ours(url, ours, settings):
    settings.ALLOWED_HOSTS = ["localhost", "[::1]"]
    assert return_url_is_ours(url) is ours


def test_a_wildcard_host_pattern_is_honoured(settings):
    settings.ALLOWED_HOSTS = [".example.de"]
    assert return_url_is_ours("https://buergerbuero.example.de/antraege/1/")


def test_the_payment_id_is_appended_once():
    assert return_url_with_payment("/a/?x=1&zahlung=old", "u1") == "/a/?x=1&zahlung=u1"
    assert return_url_with_payment("https://h/a/", "u1") == "https://h/a/?zahlung=u1"
