"""The QR code on a ticket: the status page's address, as inline SVG (no image request,
readable offline once the kiosk page is shown)."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str, *, title: str) -> SafeString:
    """``url`` as an inline SVG QR code with ``title`` for screen readers. segno escapes the
    title; the rest is generated, so the markup is safe."""
    svg = segno.make(url, error="m").svg_inline(
        scale=6, border=2, title=title, svgclass="ticket-qr", omitsize=True
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308
