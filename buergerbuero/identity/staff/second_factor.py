"""The staff's second factor: a TOTP authenticator app plus one-time backup codes.

A staff member has at most one confirmed TOTP device ("Authenticator-App") and one set of
backup codes. Setting one up creates an *unconfirmed* device, shows its QR code and
secret, and confirms it only when the person types a code their app shows — so a device
nobody could read never locks anybody out. Confirming replaces any earlier device and
hands out new backup codes (shown once).

Example::

    device = totp_device_start(user)               # unconfirmed, for the QR code
    codes = totp_device_confirm(device, "123456")  # None if the code is wrong
"""

from __future__ import annotations

import base64
import logging

import segno
from django.conf import settings
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..trust import LoginMethod, TrustLevel, login_with_level

logger = logging.getLogger("buergerbuero.identity")

DEVICE_NAME = "Authenticator-App"
BACKUP_NAME = "Backup-Codes"
BACKUP_CODE_COUNT = 10


def second_factor_required(user=None) -> bool:
    """Whether staff must confirm every login with a second factor (production: yes).

    ``STAFF_REQUIRE_2FA`` decides when set; otherwise it is required unless DEMO_MODE.
    Only staff accounts are concerned (``user`` given and not staff: False).
    """
    if user is not None and not user.is_staff:
        return False
    explicit = getattr(settings, "STAFF_REQUIRE_2FA", None)
    if explicit is not None:
        return bool(explicit)
    return not settings.DEMO_MODE


def has_second_factor(user) -> bool:
    return user_has_device(user, confirmed=True)


def totp_device_of(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_device_start(user) -> TOTPDevice:
    """The unconfirmed device being set up (one per user; reused while the page reloads)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm ``device`` with a code from the app. Returns the new backup codes (to show
    once), or None when the code does not match."""
    if not device.verify_token(token):
        return None
    user = device.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_renew(user)
    logger.info("second factor set up for user %s", user.pk)
    return codes


@transaction.atomic
def backup_codes_renew(user) -> list[str]:
    """Replace the user's backup codes with new ones; each works once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def second_factor_remove(user) -> None:
    """Remove every device (after a lost phone; an administrator does it for someone else)."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    logger.info("second factor removed for user %s", user.pk)


def _devices_for_code(user, code: str, *, for_verify: bool = False) -> list:
    """The devices a code is meant for: six digits are the app's, anything else is a
    backup code. (Trying a backup code on the app would count as a wrong app code.)"""
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    devices = model.objects.filter(user=user, confirmed=True)
    return list(devices.select_for_update() if for_verify else devices)


def token_verify(user, token: str):
    """The confirmed device (TOTP or backup codes) that accepts ``token``, else None.

    Devices throttle themselves: after each failure the next try must wait longer.
    """
    code = "".join((token or "").split()).lower()
    if not code:
        return None
    with transaction.atomic():
        for device in _devices_for_code(user, code, for_verify=True):
            if device.verify_token(code):
                return device
    return None


def wait_seconds(devices) -> int:
    """How long until the devices accept another try (django-otp doubles the wait after
    each wrong code: 1, 2, 4 … seconds); 0 when they do now."""
    from django.utils import timezone

    wait = 0.0
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            wait = max(wait, (data["locked_until"] - timezone.now()).total_seconds())
    return int(wait) + 1 if wait > 0 else 0


def login_wait_seconds(user, token: str) -> int:
    code = "".join((token or "").split()).lower()
    return wait_seconds(_devices_for_code(user, code)) if code else 0


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret as the apps ask for it (base32), in groups of four for typing."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice, *, title: str) -> SafeString:
    """The otpauth:// URL as an inline SVG QR code (no external image, no script), with a
    ``<title>`` for screen readers. segno escapes the title; the rest is generated."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=4, light="#fff", title=title, svgclass="totp-qr", omitsize=False
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


def login_local(request, user, *, device=None) -> None:
    """Log in by password (and ``device``, the second factor that accepted a code, if any):
    level low, or the account's verified level with a second factor (trust.session_identity).
    Both the citizens' and the staff login end here."""
    login_with_level(
        request,
        user,
        level=TrustLevel.LOW,
        method=LoginMethod.LOCAL,
        second_factor=device is not None,
    )
    if device is not None:
        otp_login(request, device)
