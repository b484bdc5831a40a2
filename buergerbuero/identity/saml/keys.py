"""Key pairs for SAML: the configured files, or in demo mode pairs generated at first use.

A production service provider names its key and certificate files in settings
(``SAML_SP_SIGNING_KEY`` …). In demo mode, files that are not set are generated into
``SAML_KEY_DIR`` (var/saml/, never committed) once and reused afterwards, so the SP
metadata the development IdP trusts stays the same across restarts::

    pair = key_pair("sp-signing")        # KeyPair(key=Path(...key.pem), cert=Path(...crt.pem))
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Which setting names the files of each pair a production operator provides.
CONFIGURED = {
    "sp-signing": ("SAML_SP_SIGNING_KEY", "SAML_SP_SIGNING_CERT"),
    "sp-encryption": ("SAML_SP_ENCRYPTION_KEY", "SAML_SP_ENCRYPTION_CERT"),
}


@dataclass(frozen=True)
class KeyPair:
    key: Path
    cert: Path

    def cert_pem(self) -> str:
        return self.cert.read_text()

    def cert_base64(self) -> str:
        """The certificate's DER in base64, as metadata and KeyInfo carry it."""
        lines = self.cert_pem().strip().splitlines()
        return "".join(line for line in lines if not line.startswith("-----"))


def key_pair(name: str) -> KeyPair:
    """The key pair ``name`` ("sp-signing", "sp-encryption", "devidp-signing")."""
    key_setting, cert_setting = CONFIGURED.get(name, ("", ""))
    key_file = getattr(settings, key_setting, "") if key_setting else ""
    cert_file = getattr(settings, cert_setting, "") if cert_setting else ""
    if key_file or cert_file:
        if not (key_file and cert_file):
            raise ImproperlyConfigured(f"Set both {key_setting} and {cert_setting}.")
        return KeyPair(Path(key_file), Path(cert_file))
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured(
            f"Set {key_setting} and {cert_setting} to the service provider's key and "
            "certificate (PEM files). Keys are generated only in demo mode."
        )
    return generated_pair(Path(settings.SAML_KEY_DIR), name)


def generated_pair(directory: Path, name: str, *, common_name: str = "") -> KeyPair:
    """The pair ``name`` in ``directory``, generated there (under a file lock, so parallel
    processes agree on one pair) if it is not there yet."""
    pair = KeyPair(directory / f"{name}.key.pem", directory / f"{name}.crt.pem")
    if pair.key.exists() and pair.cert.exists():
        return pair
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (pair.key.exists() and pair.cert.exists()):
            key_pem, cert_pem = self_signed(common_name or f"buergerbuero {name} (demo)")
            _write(pair.key, key_pem, mode=0o600)
            _write(pair.cert, cert_pem, mode=0o644)
    return pair


def self_signed(common_name: str, *, days: int = 3650) -> tuple[bytes, bytes]:
    """A 3072-bit RSA key and a self-signed certificate for it, both PEM. SAML metadata
    pins the certificate itself; no CA is involved."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, content: bytes, *, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(tmp, path)
