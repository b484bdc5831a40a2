"""The appointments part of the JSON API (buergerbuero/api.py mounts it)."""

from ninja import Router

router = Router(tags=["appointments"])
