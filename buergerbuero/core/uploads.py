"""Uploads are judged by their content, never by their name or the browser's claim.

Every file a citizen uploads goes through :func:`check_upload` before it is stored::

    checked = check_upload(request.FILES["document"], accept=[UploadKind.PDF])
    document.file.save(checked.name, checked.file)  # Django's storage API; the caller's job

What it does, in this order (the cheap checks first, the parsers last):

1. size: an empty file and a file above ``max_bytes`` (default ``UPLOAD_MAX_BYTES``) are
   refused; so is a file the upload handler already cut off while it streamed in
   (:class:`TooLargeUpload`, see ``upload_handlers.py``).
2. type by content: a PDF must begin with ``%PDF-`` at byte 0 (viewers also accept it
   anywhere in the first kilobyte, which is exactly the room polyglot files use); an image
   must carry the JPEG, PNG or WebP signature. The file name and the browser's content type
   are ignored, so a renamed executable is refused whatever it is called.
3. virus scan of the original bytes through clamd (``CLAMAV_URL``; off when empty). The
   scanner being unreachable refuses the upload (fail closed) and logs an error.
4. PDFs are parsed (pypdf, from the temporary file) and refused when encrypted with a
   password, unparseable, or carrying active content (JavaScript, launch and import actions,
   embedded files, XFA forms, HTML in the header or behind the end). Accepted PDFs are stored
   unchanged: rewriting them would break electronic signatures.
5. images are decoded and encoded afresh: the pixel count is checked from the header before
   anything is decoded (decompression bombs), the EXIF orientation is applied, the long side
   is scaled down to ``UPLOAD_IMAGE_MAX_SIDE``, colours are converted to sRGB, and the result
   is written without any metadata (no EXIF/GPS, XMP, ICC, comments, text chunks). Whatever
   a polyglot carried behind or inside the image is gone. JPEG and WebP become JPEG
   (quality 85); PNG stays PNG (screenshots and scans stay sharp); anything with real
   transparency becomes PNG. Animated images keep their first frame.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageFile, ImageOps

logger = logging.getLogger("buergerbuero.uploads")

# Defaults of the settings read below (buergerbuero/settings/env.py holds the real ones).
DEFAULT_MAX_BYTES = 10 * 2**20
DEFAULT_STAFF_MAX_BYTES = 200 * 2**20
DEFAULT_IMAGE_MAX_SIDE = 2500
# A 48-megapixel phone photo (8064 × 6048) passes. As a JPEG it is decoded at half scale
# (see _reencode_image): checking it takes about 80 MB (bench/upload_memory.py); a PNG or
# WebP of that size would take 150-200 MB.
DEFAULT_IMAGE_MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
_CHUNK = 64 * 2**10
_CLAMD_TIMEOUT_SECONDS = 60

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
_SIGNATURES = {
    "application/pdf": lambda head: head[:5] == b"%PDF-",
    # Before video/mp4: HEIF/AVIF images are ISO media files too and would pass as MP4.
    "image/heic": lambda head: head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS,
    "video/mp4": lambda head: head[4:8] == b"ftyp",
    "video/webm": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
    "image/png": lambda head: head[:8] == b"\x89PNG\r\n\x1a\n",
    "image/jpeg": lambda head: head[:3] == b"\xff\xd8\xff",
    "image/webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
}


def sniff_content_type(file) -> str | None:
    """The media type the file's first bytes prove, among those this product knows."""
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


# --- Citizen uploads -------------------------------------------------------------------


class UploadKind(StrEnum):
    """What a form field accepts."""

    PDF = "pdf"
    IMAGE = "image"


_IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed :func:`check_upload`: store ``file`` under ``name``.

    ``file`` lives only as long as the request (it may be the upload's temporary file), so
    store it before the response is sent.
    """

    name: str  # safe display name, extension matching the content ("foto.jpg")
    content_type: str  # "application/pdf" | "image/jpeg" | "image/png"
    file: File  # the bytes to store (re-encoded for images), at position 0
    size: int
    sha256: str


class TooLargeUpload(UploadedFile):
    """A file the upload handler stopped storing because it was larger than ``limit``.

    It stands in ``request.FILES`` where the file would be, so that a form tells "too
    large" apart from "no file": :func:`check_upload` refuses it with the size message.
    It has no content; reading it raises that same ``ValidationError``, so a form field that
    reads the file (``forms.ImageField``) shows the message too, and code that would store
    it without calling :func:`check_upload` fails instead of storing an empty file.
    """

    def __init__(self, *, name: str, content_type: str, size: int, limit: int, **extra):
        self.limit = limit
        super().__init__(
            file=_NoContent(self), name=name, content_type=content_type, size=size, **extra
        )

    def error(self) -> ValidationError:
        return _too_large(limit=self.limit, size=self.size)


class _NoContent(io.RawIOBase):
    def __init__(self, upload: TooLargeUpload):
        super().__init__()
        self._upload = upload

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer):
        raise self._upload.error()

    def seek(self, offset, whence=os.SEEK_SET):
        raise self._upload.error()

    def tell(self):
        raise self._upload.error()


def check_upload(
    uploaded,
    *,
    accept: Iterable[UploadKind] = (UploadKind.PDF, UploadKind.IMAGE),
    max_bytes: int | None = None,
) -> CheckedUpload:
    """Check a citizen's file by its content; raise ``ValidationError`` with a German message.

    ``uploaded`` is a Django ``File`` (usually an ``UploadedFile`` from ``request.FILES``).
    ``accept`` names what the field takes; ``max_bytes`` lowers the limit for one field
    (the default is ``settings.UPLOAD_MAX_BYTES``; the upload handler's limit still applies).
    Error codes: empty, too_large, unsupported_type, heic, virus_found, scan_unavailable,
    pdf_encrypted, pdf_active_content, pdf_broken, image_broken, image_too_large.
    """
    kinds = frozenset(UploadKind(kind) for kind in accept)
    if not kinds:
        raise ValueError("check_upload(accept=...) needs at least one UploadKind.")
    limit = max_bytes if max_bytes is not None else _setting("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)
    if isinstance(uploaded, TooLargeUpload):
        raise _too_large(limit=min(limit, uploaded.limit), size=uploaded.size)

    size = _measure(uploaded)
    if size == 0:
        raise ValidationError(
            _("Die Datei ist leer. Bitte wählen Sie die richtige Datei aus."), code="empty"
        )
    if size > limit:
        raise _too_large(limit=limit, size=size)

    content_type = sniff_content_type(uploaded)
    kind = (
        UploadKind.PDF
        if content_type == "application/pdf"
        else UploadKind.IMAGE
        if content_type in _IMAGE_TYPES
        else None
    )
    if kind not in kinds:
        if content_type == "image/heic" and UploadKind.IMAGE in kinds:
            raise ValidationError(
                _(
                    "Das Foto ist im HEIC-Format (iPhone), das wir nicht öffnen können. Bitte "
                    "laden Sie es als JPEG hoch: Auf dem iPhone wählen Sie dazu unter "
                    "»Einstellungen › Kamera › Formate« die Option »Maximale Kompatibilität«."
                ),
                code="heic",
            )
        logger.info("refused upload: content %s is not among %s", content_type, sorted(kinds))
        raise _unsupported(kinds)

    _scan_for_viruses(uploaded)

    if kind == UploadKind.PDF:
        _check_pdf(uploaded, size)
        name = safe_name(uploaded.name, content_type)
        digest = _sha256(uploaded)
        return CheckedUpload(name, content_type, _as_file(uploaded, name, size), size, digest)
    output, output_type = _reencode_image(uploaded, _IMAGE_TYPES[content_type])
    output_size = output.seek(0, os.SEEK_END)
    name = safe_name(uploaded.name, output_type)
    digest = _sha256(output)
    return CheckedUpload(
        name, output_type, _as_file(output, name, output_size), output_size, digest
    )


def upload_limit_text(limit: int) -> str:
    """A byte count the way the messages show it: "10 MB", "1,5 MB", "500 KB"."""
    for unit, factor in (("MB", 2**20), ("KB", 2**10)):
        if limit >= factor:
            value = limit / factor
            if value == int(value):
                return f"{int(value)} {unit}"
            return f"{number_format(value, decimal_pos=1)} {unit}"
    return f"{limit} Bytes"


def safe_name(original: str | None, content_type: str) -> str:
    """The original base name, cleaned for display, with the extension of the content."""
    name = unicodedata.normalize("NFC", os.path.basename((original or "").replace("\\", "/")))
    stem, dot, _extension = name.rpartition(".")
    stem = stem if dot else name
    stem = re.sub(r"[^\w\s.()+,-]", "", stem)
    stem = re.sub(r"\s+", " ", stem).strip(" .-")[:80] or "Datei"
    extension = _EXTENSIONS[content_type]
    if stem.lower().endswith(extension) or (extension == ".jpg" and stem.lower().endswith(".jpeg")):
        stem = stem.rpartition(".")[0] or "Datei"
    return stem + extension


# --- size and type ---------------------------------------------------------------------


def _setting(name: str, default):
    return getattr(settings, name, default)


def _measure(file) -> int:
    # The stream's real length, not the ``size`` the client or a caller claims.
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _too_large(*, limit: int, size: int) -> ValidationError:
    return ValidationError(
        _(
            "Die Datei ist größer als %(limit)s (Ihre Datei: %(size)s). Bitte verkleinern Sie "
            "sie, zum Beispiel mit einem Foto in geringerer Auflösung oder einem PDF mit "
            "weniger Seiten, oder teilen Sie sie auf mehrere Dateien auf."
        ),
        code="too_large",
        params={"limit": upload_limit_text(limit), "size": upload_limit_text(size)},
    )


def _unsupported(kinds: frozenset[UploadKind]) -> ValidationError:
    if kinds == {UploadKind.PDF}:
        message = _("Die Datei ist kein PDF-Dokument. Bitte laden Sie ein PDF hoch.")
    elif kinds == {UploadKind.IMAGE}:
        message = _(
            "Die Datei ist kein Bild im Format JPEG, PNG oder WebP. Bitte laden Sie ein Foto "
            "oder einen Scan in einem dieser Formate hoch."
        )
    else:
        message = _(
            "Die Datei ist weder ein PDF-Dokument noch ein Bild im Format JPEG, PNG oder WebP. "
            "Bitte laden Sie ein PDF oder ein Foto hoch."
        )
    return ValidationError(message, code="unsupported_type")


def _as_file(stream, name: str, size: int) -> File:
    stream.seek(0)
    wrapped = File(stream, name=name)
    wrapped.size = size
    return wrapped


def _sha256(stream) -> str:
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


# --- virus scan --------------------------------------------------------------------------


class ClamdScanner:
    """clamd (ClamAV's daemon), reached through ``CLAMAV_URL``; scans a stream with INSTREAM.

    ``ClamdScanner.from_url("unix:///run/clamav/clamd.ctl").scan(file)`` returns the name
    of the signature found, or None when the file is clean; it raises
    :class:`VirusScannerUnavailable` when clamd cannot give an answer.
    """

    def __init__(self, client: ClamdUnixSocket | ClamdNetworkSocket, url: str):
        self.client = client
        self.url = url

    @classmethod
    def from_url(cls, url: str) -> ClamdScanner:
        parts = urlsplit(url)
        if parts.scheme == "unix" and parts.path:
            client = ClamdUnixSocket(path=parts.path, timeout=_CLAMD_TIMEOUT_SECONDS)
        elif parts.scheme == "tcp" and parts.hostname and parts.port:
            client = ClamdNetworkSocket(
                host=parts.hostname, port=parts.port, timeout=_CLAMD_TIMEOUT_SECONDS
            )
        else:
            raise ImproperlyConfigured(
                f"CLAMAV_URL={url!r} is not a clamd address: use unix:///run/clamav/clamd.ctl "
                "or tcp://127.0.0.1:3310, or leave it empty to switch the virus scan off."
            )
        return cls(client, url)

    def scan(self, stream) -> str | None:
        stream.seek(0)
        try:
            report = self.client.instream(stream)
        except (ClamdError, OSError) as error:
            raise VirusScannerUnavailable(f"clamd at {self.url}: {error}") from error
        finally:
            stream.seek(0)
        status, detail = report.get("stream", (None, None))
        if status == "OK":
            return None
        if status == "FOUND":
            return detail or "unknown signature"
        raise VirusScannerUnavailable(f"clamd at {self.url} answered {status} {detail}")


class VirusScannerUnavailable(Exception):
    pass


def _scan_for_viruses(uploaded) -> None:
    url = _setting("CLAMAV_URL", "")
    if not url:
        return
    try:
        found = ClamdScanner.from_url(url).scan(uploaded)
    except VirusScannerUnavailable as error:
        logger.error("virus scan failed, upload refused: %s", error)
        raise ValidationError(
            _(
                "Die Datei kann gerade nicht auf Schadsoftware geprüft werden. Bitte versuchen "
                "Sie es später erneut."
            ),
            code="scan_unavailable",
        ) from error
    if found:
        logger.warning("virus scan found %s, upload refused", found)
        raise ValidationError(
            _(
                "In der Datei wurde Schadsoftware gefunden. Wir haben sie nicht angenommen. "
                "Bitte prüfen Sie Ihr Gerät mit einem Virenschutzprogramm."
            ),
            code="virus_found",
        )


# --- PDF ---------------------------------------------------------------------------------

# Action types that run code, open other files or send data somewhere.
_ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/ImportData",
    "/SubmitForm",
    "/GoToE",
    "/Rendition",
    "/RichMediaExecute",
    "/Sound",
    "/Movie",
}
# Keys whose mere presence means scripts, embedded files or dynamic (XFA) forms.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/XFA"}
_ACTIVE_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
# HTML a browser might run if it ever sniffed the file as a web page.
_HTML_MARKERS = re.compile(rb"<\s*(?:script|html|body|iframe|svg|object|embed|!doctype)", re.I)
# Behind %%EOF a real PDF has line breaks at most; HTML or an archive there is a polyglot.
_HIDDEN_PAYLOAD = re.compile(
    _HTML_MARKERS.pattern
    + rb"|PK\x03\x04|MZ\x90\x00|\x7fELF|Rar!\x1a\x07|7z\xbc\xaf\x27\x1c",  # zip, exe, elf, rar, 7z
    re.I,
)
_PDF_TAIL = 64 * 2**10


class _ActivePdf(Exception):
    pass


def _check_pdf(uploaded, size: int) -> None:
    from pypdf import PdfReader

    uploaded.seek(0)
    head = uploaded.read(1024)
    uploaded.seek(max(0, size - _PDF_TAIL))
    tail = uploaded.read(_PDF_TAIL)
    end = tail.rfind(b"%%EOF")
    if end < 0:
        logger.info("refused PDF: no %%EOF in its last %d bytes", _PDF_TAIL)
        raise _pdf_broken()
    if _HTML_MARKERS.search(head) or _HIDDEN_PAYLOAD.search(tail[end:]):
        logger.info("refused PDF: HTML or an archive in its header or behind its end")
        raise _pdf_active()

    uploaded.seek(0)
    # pypdf raises anything from PdfReadError to KeyError, RecursionError or ValueError on a
    # hostile file; every one of them means "cannot be read safely".
    try:
        # A file object, not a path: given a path pypdf reads the whole file into memory.
        reader = PdfReader(uploaded, strict=False)
        if reader.is_encrypted:
            try:  # permissions-only encryption (no password to open) is common and harmless
                opened = reader.decrypt("")
            except Exception:  # e.g. AES without a crypto library installed
                opened = 0
            if not opened:
                raise _pdf_encrypted()
        if len(reader.pages) < 1:
            raise _pdf_broken()
        _refuse_active_content(reader.trailer)
    except ValidationError:
        raise
    except _ActivePdf as finding:
        logger.info("refused PDF: active content %s", finding)
        raise _pdf_active() from None
    except Exception as error:
        logger.info("refused PDF: unreadable (%s: %s)", type(error).__name__, error)
        raise _pdf_broken() from None


def _refuse_active_content(trailer) -> None:
    """Walk every object reachable from the trailer; raise _ActivePdf on active content.

    Stream data is never decoded: the dictionaries are where actions and attachments live.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    pending = [trailer]
    while pending:
        obj = pending.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            if found := _ACTIVE_KEYS.intersection(obj.keys()):
                raise _ActivePdf(sorted(found)[0])
            if obj.get("/S") in _ACTIVE_ACTIONS:
                raise _ActivePdf(obj.get("/S"))
            if obj.get("/Subtype") in _ACTIVE_SUBTYPES:
                raise _ActivePdf(obj.get("/Subtype"))
            pending.extend(value for name, value in obj.items() if name != "/Parent")
        elif isinstance(obj, ArrayObject):
            pending.extend(obj)


def _pdf_encrypted() -> ValidationError:
    return ValidationError(
        _(
            "Das PDF ist mit einem Passwort geschützt. Bitte speichern Sie es ohne "
            "Passwortschutz und laden Sie es erneut hoch."
        ),
        code="pdf_encrypted",
    )


def _pdf_active() -> ValidationError:
    return ValidationError(
        _(
            "Das PDF enthält aktive Inhalte (Skripte, eingebettete Dateien oder ein "
            "dynamisches Formular), die wir aus Sicherheitsgründen nicht annehmen. Bitte "
            "öffnen Sie es, speichern Sie es über »Drucken« als neues PDF und laden Sie diese "
            "Datei hoch."
        ),
        code="pdf_active_content",
    )


def _pdf_broken() -> ValidationError:
    return ValidationError(
        _(
            "Das PDF ist beschädigt oder unvollständig und lässt sich nicht öffnen. Bitte "
            "erstellen Sie es neu oder wählen Sie eine andere Datei."
        ),
        code="pdf_broken",
    )


# --- images ------------------------------------------------------------------------------


def _reencode_image(uploaded, pillow_format: str) -> tuple[tempfile.SpooledTemporaryFile, str]:
    # WeasyPrint switches Pillow to padding truncated images when it is imported; in this
    # process a broken upload must fail, and our PDFs embed only our own intact files.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    max_pixels = _setting("UPLOAD_IMAGE_MAX_PIXELS", DEFAULT_IMAGE_MAX_PIXELS)
    max_side = _setting("UPLOAD_IMAGE_MAX_SIDE", DEFAULT_IMAGE_MAX_SIDE)
    uploaded.seek(0)
    try:
        # Only the one decoder the signature named; Image.open reads the header, no pixels.
        # Pillow's own bomb check (Image.MAX_IMAGE_PIXELS, process-wide) stays as a second
        # net: it raises DecompressionBombError here for what is far above our limit.
        with Image.open(uploaded, formats=[pillow_format]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise _image_too_large(max_pixels)
            scale = max_side / max(width, height)
            if scale < 1 and pillow_format == "JPEG":
                # libjpeg decodes at 1/2, 1/4 or 1/8 scale, as long as the result is still at
                # least the final size: a 48-megapixel photo is decoded at 12 megapixels.
                image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
            if image.mode in ("1", "P") and max(image.size) > max_side:
                # Pillow resizes these nearest-neighbour only: convert to scale them smoothly.
                smooth = "RGBA" if image.has_transparency_data else "RGB"
                image = image.convert("L" if image.mode == "1" else smooth)
            if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):  # 16-bit PNG
                image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
            image.load()
            image = _orientation_applied(image)
            image = _in_srgb(image)
            image, output_format = _output_mode(image, pillow_format)
            image.info = {}  # savers copy comments, ICC and more from here
            # Returned inside the CheckedUpload: closed when the caller's File is.
            output = tempfile.SpooledTemporaryFile(max_size=4 * 2**20)  # noqa: SIM115
            if output_format == "JPEG":
                image.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True)
            else:
                image.save(output, "PNG", optimize=True)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _image_too_large(max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as error:
        logger.info("refused image: %s: %s", type(error).__name__, error)
        raise ValidationError(
            _(
                "Das Bild ist beschädigt oder unvollständig und lässt sich nicht öffnen. Bitte "
                "laden Sie es erneut hoch oder wählen Sie eine andere Datei."
            ),
            code="image_broken",
        ) from None
    return output, "image/jpeg" if output_format == "JPEG" else "image/png"


def _orientation_applied(image: Image.Image) -> Image.Image:
    try:
        ImageOps.exif_transpose(image, in_place=True)  # no copy of the pixels when upright
        return image
    except Exception as error:  # a malformed EXIF block only costs the rotation
        logger.info("image orientation not applied: %s", error)
        return image


def _in_srgb(image: Image.Image) -> Image.Image:
    """Pixels converted from an embedded colour profile (Display P3, CMYK) to sRGB."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image.convert("RGB") if image.mode == "CMYK" else image
    try:
        return ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(profile)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if image.mode == "RGBA" else "RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError) as error:
        logger.info("colour profile not applied: %s", error)
        return image.convert("RGBA" if image.mode == "RGBA" else "RGB")


def _output_mode(image: Image.Image, source_format: str) -> tuple[Image.Image, str]:
    if image.has_transparency_data:
        image = image.convert("LA" if image.mode in ("L", "LA") else "RGBA")
        if image.getchannel("A").getextrema()[0] < 255:
            return image, "PNG"
        image = image.convert("L" if image.mode == "LA" else "RGB")
    if source_format == "PNG":
        return (image if image.mode in ("1", "L", "P", "RGB") else image.convert("RGB")), "PNG"
    return (image if image.mode in ("L", "RGB") else image.convert("RGB")), "JPEG"


def _image_too_large(max_pixels: int) -> ValidationError:
    return ValidationError(
        _(
            "Das Bild hat mehr als %(megapixels)s Megapixel. Bitte laden Sie ein kleineres "
            "Bild hoch, zum Beispiel ein Foto in geringerer Auflösung."
        ),
        code="image_too_large",
        params={"megapixels": number_format(max_pixels / 1_000_000, decimal_pos=0)},
    )
