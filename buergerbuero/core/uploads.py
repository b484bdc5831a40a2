"""Uploads are judged by their content, never by their name or the browser's claim."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SIGNATURES = {
    "video/mp4": lambda head: head[4:8] == b"ftyp",
    "video/webm": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
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
