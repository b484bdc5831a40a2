"""Uploads are judged by their content, never by their name or the browser's claim."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SIGNATURES = {
    "video/mp4": lambda head: head[4:8] == b"ftyp",
    "video/webm": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
    "image/png": lambda head: head[:8] == b"\x89PNG\r\n\x1a\n",
    "image/jpeg": lambda head: head[:3] == b"\xff\xd8\xff",
    "image/webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
}


def sniff_content_type(file) -> str | None:
    """The media type the file's first bytes prove, among those this product accepts."""
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(64)
    file.seek(position)
    for content_type, matches in _SIGNATURES.items():
        if matches(head):
            return content_type
    return None


def validate_video(file) -> None:
    if sniff_content_type(file) not in {"video/mp4", "video/webm"}:
        raise ValidationError(
            _("Die Datei ist kein MP4- oder WebM-Video. Bitte laden Sie eine Videodatei hoch."),
            code="not_a_video",
        )


def validate_raster_image(file) -> None:
    """PNG, JPEG or WebP only: an SVG could carry script and is refused."""
    if sniff_content_type(file) not in {"image/png", "image/jpeg", "image/webp"}:
        raise ValidationError(
            _("Die Datei ist kein PNG-, JPEG- oder WebP-Bild. Bitte laden Sie ein Bild hoch."),
            code="not_an_image",
        )
