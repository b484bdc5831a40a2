"""Reading settings from the environment, once each, with a default and a help text.

Every variable the product reads is declared here through :func:`env`, so that
``python manage.py envdoc`` can print the full reference for an operator (run it with
``DJANGO_SETTINGS_MODULE=buergerbuero.settings.production`` to include production's).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class EnvVar:
    name: str
    default: str | None
    help: str


REGISTRY: dict[str, EnvVar] = {}


def env(name: str, default: str | None, help: str) -> str | None:
    """Return the variable ``name`` (or ``default``) and record it for the reference."""
    REGISTRY[name] = EnvVar(name, default, help)
    return os.environ.get(name, default)


def env_bool(name: str, default: bool, help: str) -> bool:
    raw = (env(name, "true" if default else "false", help) or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{name}={raw!r} is not a boolean; use true or false.")


def env_list(name: str, default: str, help: str) -> list[str]:
    return [item.strip() for item in (env(name, default, help) or "").split(",") if item.strip()]
