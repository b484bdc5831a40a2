"""Test helpers: real TOTP codes from a device's key (what an authenticator app shows)."""

from __future__ import annotations

import time

from django_otp.oath import totp


def totp_code(device, *, steps_ahead: int = 0) -> str:
    """The code the app shows now (or ``steps_ahead`` 30-second steps later; the device
    accepts one step of clock difference, and never the same step twice)."""
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=steps_ahead,
    )
    return str(value).zfill(device.digits)


def totp_code_wrong(device) -> str:
    """A six-digit code that is not valid now (nor within the device's tolerance)."""
    valid = {totp_code(device, steps_ahead=step) for step in range(-2, 3)}
    candidate = int(time.time()) % 1_000_000
    while str(candidate).zfill(6) in valid:
        candidate = (candidate + 1) % 1_000_000
    return str(candidate).zfill(6)
