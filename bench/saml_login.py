"""Benchmark of a BundID-style SAML login: what the service provider spends per login.

Run from the checkout::

    .venv/bin/python bench/saml_login.py [--runs N] [--warmup W]

Drives the real flow in this process against a fresh SQLite file, with the development IdP
answering (signed response and assertion, AES-256-GCM encryption, by Debian's xmlsec1):

- *request*: GET /auth/saml/login/ — the SP builds and signs the AuthnRequest;
- *answer*: the development IdP checks the request's signature, signs and encrypts its
  response (the IdP's cost, not ours);
- *acs*: the cross-site POST parks the response, the same-site GET verifies the signature,
  decrypts, checks InResponseTo, audience, validity, replay cache and levels, and logs in.

Prints min / median / p95 / max in ms per phase. It measures; it asserts nothing. The cost
is dominated by xmlsec1 process starts (one to sign, two to decrypt and verify).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the checkout
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerbuero.settings.test")
WORKDIR = Path(tempfile.mkdtemp(prefix="bb-bench-saml-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'db.sqlite3'}"
os.environ.setdefault("SAML_KEY_DIR", str(WORKDIR / "saml"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from buergerbuero.identity.devidp.idp import authn_request_read, authn_response  # noqa: E402
from buergerbuero.identity.devidp.persons import TEST_PERSONS  # noqa: E402
from buergerbuero.identity.devidp.testing import (  # noqa: E402
    posted_fields,
    saml_answer_deliver,
)

LOGIN_URL = "/auth/saml/login/?next=/mein-buergerbuero/&niveau=substantial&idp=dev"


def one_login() -> tuple[float, float, float]:
    browser = Client()
    started = time.perf_counter()
    page = browser.get(LOGIN_URL)
    requested = time.perf_counter()
    _action, fields = posted_fields(page)
    seen = authn_request_read(fields["SAMLRequest"], relay_state=fields.get("RelayState", ""))
    answer = authn_response(seen, TEST_PERSONS["anna"], "substantial")
    answered = time.perf_counter()
    finish = saml_answer_deliver(browser, answer)
    done = time.perf_counter()
    assert finish.status_code == 303 and finish["Location"] == "/mein-buergerbuero/", finish
    return (requested - started) * 1000, (answered - requested) * 1000, (done - answered) * 1000


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name:8} min {ordered[0]:7.1f}  median {statistics.median(ordered):7.1f}  "
        f"p95 {p95:7.1f}  max {ordered[-1]:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    options = parser.parse_args()

    setup_test_environment()
    call_command("migrate", verbosity=0)
    for _ in range(options.warmup):
        one_login()
    phases = {"request": [], "answer": [], "acs": []}
    for _ in range(options.runs):
        for name, value in zip(phases, one_login(), strict=True):
            phases[name].append(value)

    xmlsec1 = subprocess.run(["xmlsec1", "--version"], capture_output=True, text=True).stdout
    print(f"SAML login, {options.runs} runs after {options.warmup} warm-up")
    print(f"python {platform.python_version()}, {xmlsec1.strip()}, {os.cpu_count()} CPUs")
    for name, values in phases.items():
        print(summary(name, values))
    total = [sum(parts) for parts in zip(phases["request"], phases["acs"], strict=True)]
    print(summary("SP total", total))


if __name__ == "__main__":
    main()
