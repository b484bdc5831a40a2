"""Production settings are safe by default; the base settings run with no environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_with_only_the_payment_warning(tmp_path):
    # Until a real payment provider exists (issue 4), production runs the test provider
    # and `check --deploy` says so; every other deploy check passes.
    result = manage(
        "check",
        "--deploy",
        env={
            "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.production",
            "SECRET_KEY": "a" * 20 + "-production-secret-with-many-different-characters-123",
            "ALLOWED_HOSTS": "buergerbuero.example.de",
            # Configuration only: `check --deploy` does not connect to either service.
            "DATABASE_URL": "postgres://bb:secret@db.example.invalid:5432/buergerbuero",
            "REDIS_URL": "redis://cache.example.invalid:6379/0",
            # A real SMS gateway (without one, notifications.W110 says no SMS leaves).
            "SMS_BACKEND": "seven",
            "SMS_API_KEY": "key-of-the-city",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "1 issue" in output and "payments.W001" in output, output


def test_check_deploy_warns_about_the_embedded_default_parts(tmp_path):
    result = manage(
        "check",
        "--deploy",
        env={
            "DJANGO_SETTINGS_MODULE": "buergerbuero.settings.production",
            "SECRET_KEY": "b" * 20 + "-production-secret-with-many-different-characters-456",
            "ALLOWED_HOSTS": "buergerbuero.example.de",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert "buergerbuero.W001" in result.stderr and "buergerbuero.W002" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "buergerbuero.settings.production"})
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_health_endpoint_reports_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_envdoc_lists_every_variable_with_its_meaning():
    result = manage("envdoc", env={"DJANGO_SETTINGS_MODULE": "buergerbuero.settings.base"})
    assert "| `DATABASE_URL` |" in result.stdout
    assert "| `REDIS_URL` | (empty) | Redis for the channel layer" in result.stdout
