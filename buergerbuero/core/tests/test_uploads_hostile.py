"""Hostile uploads: a citizen's file is judged by its content, and what is stored is harmless.

Every input is generated here (Pillow, pypdf, a few hand-made bytes); nothing binary is
committed. The virus scan runs against a real clamd started from a fixture with a one-line
signature database; it is skipped only where the clamd binary is missing (Debian package
clamav-daemon).
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import socket
import struct
import subprocess
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.urls import path
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from buergerbuero.core.uploads import UploadKind, check_upload

HANDLER = "buergerbuero.core.upload_handlers.SizeLimitedUploadHandler"
SCRIPT = b"<script>alert(document.cookie)</script>"
# What the test clamd reports as a virus; letters and digits only, as pypdf escapes the rest.
MARKER = b"BuergerbueroTestSignature2f9c"


# --- inputs ------------------------------------------------------------------------------


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type)


def jpeg(size=(400, 200), *, exif=None, comment=b"", colour=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", size, colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif or Image.Exif(), comment=comment)
    return buffer.getvalue()


def png(size=(300, 200), mode="RGB", colour=(20, 120, 200), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, "PNG", **save)
    return buffer.getvalue()


def pdf(build=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if build:
        build(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload/evil.class", b"\xca\xfe\xba\xbe" + b"x" * 100)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int, idat: bytes) -> bytes:
    """A 1-bit greyscale PNG with the given header and raw IDAT bytes."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def png_bomb(side: int) -> bytes:
    """A valid, all-white 1-bit PNG of side × side pixels: tiny on disk, huge decoded."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)  # filter byte + pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return png_declaring(side, side, idat)


def jpeg_markers(data: bytes) -> list[int]:
    """The marker of every JPEG segment before the image data (APP0 = 0xE0, APP1 = 0xE1 …)."""
    markers, position = [], 2
    while position < len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return markers


def png_chunk_types(data: bytes) -> list[bytes]:
    kinds, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kinds.append(data[position + 4 : position + 8])
        position += 12 + length
    return kinds


def refused(file, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_upload(file, **kwargs)
    return caught.value


def stored_bytes(checked) -> bytes:
    data = checked.file.read()
    checked.file.seek(0)
    return data


@pytest.fixture
def uploads_log(caplog):
    """caplog for the uploads logger ("buergerbuero" does not propagate to the root)."""
    logger = logging.getLogger("buergerbuero.uploads")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="buergerbuero.uploads"):
            yield caplog
    finally:
        logger.removeHandler(caplog.handler)


# --- size ------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    error = refused(upload("antrag.pdf", b"", "application/pdf"))
    assert error.code == "empty"
    assert error.messages == ["Die Datei ist leer. Bitte wählen Sie die richtige Datei aus."]


def padded(data: bytes, size: int) -> bytes:
    return data + b"\n" * (size - len(data))


def test_a_file_above_the_fields_limit_is_refused_with_both_sizes():
    error = refused(upload("antrag.pdf", padded(pdf(), 250 * 1024)), max_bytes=100 * 1024)
    assert error.code == "too_large"
    assert error.messages == [
        "Die Datei ist größer als 100 KB (Ihre Datei: 250 KB). Bitte verkleinern Sie sie, zum "
        "Beispiel mit einem Foto in geringerer Auflösung oder einem PDF mit weniger Seiten, "
        "oder teilen Sie sie auf mehrere Dateien auf."
    ]


def test_the_default_limit_comes_from_the_setting(settings):
    settings.UPLOAD_MAX_BYTES = 2 * 2**20
    error = refused(upload("foto.jpg", jpeg() + b"\0" * (2 * 2**20)))
    assert error.code == "too_large"
    assert "größer als 2 MB" in error.messages[0]


# --- type by content -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("antrag.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200),  # Windows .exe
        ("scan.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),  # Linux executable
        ("unterlagen.pdf", zip_archive()),
        ("foto.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("bild.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" + zip_archive()),  # GIFAR-like
        ("antrag.pdf", b"<html>" + SCRIPT + b"</html>\n" + pdf()),  # %PDF- not at byte 0
        ("antrag.pdf", b"\xef\xbb\xbf" + pdf()),  # even a byte-order mark is too much
    ],
)
def test_a_file_is_judged_by_its_content_not_its_name(name, data):
    error = refused(upload(name, data, "application/pdf"))
    assert error.code == "unsupported_type"
    assert error.messages[0].startswith(
        "Die Datei ist weder ein PDF-Dokument noch ein Bild im Format JPEG, PNG oder WebP."
    )


def test_the_message_names_only_what_the_field_accepts():
    exe = upload("antrag.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    assert refused(exe, accept=[UploadKind.PDF]).messages == [
        "Die Datei ist kein PDF-Dokument. Bitte laden Sie ein PDF hoch."
    ]
    photo_for_a_pdf_field = refused(upload("scan.pdf", jpeg()), accept=[UploadKind.PDF])
    assert photo_for_a_pdf_field.code == "unsupported_type"
    assert (
        refused(upload("foto.jpg", pdf()), accept=["image"])
        .messages[0]
        .startswith("Die Datei ist kein Bild im Format JPEG, PNG oder WebP.")
    )


def test_an_iphone_heic_photo_gets_a_hint_how_to_send_a_jpeg():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    error = refused(upload("IMG_0001.HEIC", heic, "image/heic"))
    assert error.code == "heic"
    assert "»Maximale Kompatibilität«" in error.messages[0]


@pytest.mark.parametrize(
    ("original", "data", "expected"),
    [
        ("Mein Foto (1).JPEG", jpeg(), "Mein Foto (1).jpg"),
        ("scan.pdf", png(), "scan.png"),  # a PNG called .pdf is stored as what it is
        ("rechnung.pdf.exe", pdf(), "rechnung.pdf"),
        ("<img src=x onerror=alert(1)>Antrag.png", png(), "img srcx onerroralert(1)Antrag.png"),
        ("Ausweis\u202egpj.exe", jpeg(), "Ausweisgpj.jpg"),  # right-to-left override dropped
        ("***.pdf", pdf(), "Datei.pdf"),
    ],
)
def test_the_stored_name_is_cleaned_and_its_extension_follows_the_content(original, data, expected):
    assert check_upload(upload(original, data)).name == expected


# --- PDF ---------------------------------------------------------------------------------


def test_a_plain_pdf_is_stored_unchanged():
    data = pdf()
    checked = check_upload(upload("Meldebescheinigung.pdf", data, "text/html"))
    assert (checked.name, checked.content_type, checked.size) == (
        "Meldebescheinigung.pdf",
        "application/pdf",
        len(data),
    )
    assert stored_bytes(checked) == data
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


def test_ordinary_links_and_an_opening_view_are_not_active_content():
    def link_and_open_view(writer):
        writer.open_destination = writer.pages[0]
        writer.pages[0][NameObject("/Annots")] = ArrayObject(
            [annotation("/Link", {"/S": "/URI", "/URI": "https://www.stadt-koeln.de/"})]
        )

    assert check_upload(upload("info.pdf", pdf(link_and_open_view))).content_type == (
        "application/pdf"
    )


def annotation(subtype: str, action: dict[str, str]) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject(subtype),
            NameObject("/Rect"): ArrayObject([]),
            NameObject("/A"): _pdf_dict(action),
        }
    )


def _pdf_dict(entries: dict[str, str]) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject(key): NameObject(value) if value.startswith("/") else TextStringObject(value)
            for key, value in entries.items()
        }
    )


def _javascript_on_open(writer):
    writer.add_open_action(JavaScript("app.launchURL('https://example.org/?' + this.path);"))


def _launch_on_open(writer):
    writer.root_object[NameObject("/OpenAction")] = _pdf_dict({"/S": "/Launch", "/F": "cmd.exe"})


def _javascript_link(writer):
    writer.pages[0][NameObject("/Annots")] = ArrayObject(
        [annotation("/Link", {"/S": "/JavaScript", "/JS": "app.alert(1)"})]
    )


def _embedded_file(writer):
    writer.add_attachment("rechnung.exe", b"MZ\x90\x00")


def _xfa_form(writer):
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject(),
            NameObject("/XFA"): ArrayObject([TextStringObject("template"), TextStringObject("")]),
        }
    )


@pytest.mark.parametrize(
    "build",
    [_javascript_on_open, _launch_on_open, _javascript_link, _embedded_file, _xfa_form],
    ids=["javascript-on-open", "launch", "javascript-link", "embedded-file", "xfa"],
)
def test_a_pdf_with_active_content_is_refused(build, uploads_log):
    error = refused(upload("antrag.pdf", pdf(build)))
    assert error.code == "pdf_active_content"
    assert error.messages[0].startswith("Das PDF enthält aktive Inhalte")
    assert "über »Drucken« als neues PDF" in error.messages[0]
    assert "refused PDF: active content" in uploads_log.text


def test_a_pdf_that_is_also_a_web_page_is_refused():
    # %PDF- at byte 0, then HTML a browser could run if it ever sniffed the file.
    data = pdf()
    first_line_end = data.index(b"\n") + 1
    html_in_header = data[:first_line_end] + b"%" + SCRIPT + b"\n" + data[first_line_end:]
    html_behind_the_end = data + b"\n<html><body>" + SCRIPT + b"</body></html>\n"
    for hostile in (html_in_header, html_behind_the_end):
        assert refused(upload("antrag.pdf", hostile)).code == "pdf_active_content"


def test_a_pdf_with_an_archive_behind_its_end_is_refused():
    assert refused(upload("antrag.pdf", pdf() + zip_archive())).code == "pdf_active_content"


def test_a_pdf_that_needs_a_password_is_refused():
    def with_password(writer):
        writer.encrypt(user_password="geheim", owner_password="owner", algorithm="RC4-128")

    error = refused(upload("kontoauszug.pdf", pdf(with_password)))
    assert error.code == "pdf_encrypted"
    assert error.messages[0].startswith("Das PDF ist mit einem Passwort geschützt.")


def test_a_pdf_that_only_restricts_printing_or_copying_is_accepted():
    # Banks and insurers send these: they open without a password.
    def permissions_only(writer):
        writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")

    data = pdf(permissions_only)
    assert stored_bytes(check_upload(upload("kontoauszug.pdf", data))) == data


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n",  # no objects at all
        pdf()[: len(pdf()) * 2 // 3],  # cut off in transit
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R "
        b">>\n%%EOF\n",  # a catalog without pages
    ],
    ids=["garbage", "truncated", "no-pages"],
)
def test_a_pdf_that_cannot_be_read_is_refused(data):
    error = refused(upload("antrag.pdf", data))
    assert error.code == "pdf_broken"
    assert error.messages[0].startswith("Das PDF ist beschädigt oder unvollständig")


# --- images --------------------------------------------------------------------------------


def test_a_photo_loses_its_gps_position_and_every_other_metadata_and_is_turned_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was held upright, rotate 90° clockwise
    exif[0x010F] = "Handyhersteller"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (50.0, 56.0, 19.5), 3: "E", 4: (6.0, 57.0, 29.0)})  # Kölner Dom
    image = Image.new("RGB", (400, 200), (220, 20, 20))
    image.paste((20, 20, 220), (200, 0, 400, 200))  # left half red, right half blue
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"Max Mustermann, Domkloster 4")
    original = buffer.getvalue()
    assert b"Mustermann" in original and Image.open(io.BytesIO(original)).getexif()

    checked = check_upload(upload("IMG_2041.jpg", original, "image/jpeg"))
    stored = stored_bytes(checked)
    result = Image.open(io.BytesIO(stored))
    assert (checked.content_type, checked.name) == ("image/jpeg", "IMG_2041.jpg")
    assert dict(result.getexif()) == {}
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(result.info)
    assert b"Mustermann" not in stored and b"Handyhersteller" not in stored
    assert jpeg_markers(stored)[:2] == [0xE0, 0xDB]  # JFIF header, then straight to the image
    assert not {0xE1, 0xE2, 0xED, 0xFE} & set(jpeg_markers(stored))  # no EXIF/ICC/IPTC/COM
    assert result.size == (200, 400)  # upright
    red, blue = result.getpixel((100, 50)), result.getpixel((100, 350))
    assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]
    assert checked.size == len(stored)
    assert checked.sha256 == hashlib.sha256(stored).hexdigest()


@pytest.mark.parametrize(
    ("size", "expected"),
    [((4000, 3000), (2500, 1875)), ((6000, 4000), (2500, 1667)), ((1200, 9000), (333, 2500))],
)
def test_a_large_photo_is_scaled_down_to_the_long_side_limit(size, expected):
    checked = check_upload(upload("foto.jpg", jpeg(size)))
    assert Image.open(checked.file).size == expected


def test_the_long_side_limit_is_a_setting(settings):
    settings.UPLOAD_IMAGE_MAX_SIDE = 800
    checked = check_upload(upload("scan.png", png((1000, 3000))))
    assert Image.open(checked.file).size == (267, 800)


def test_a_png_with_transparency_stays_a_png_with_its_alpha_channel():
    data = png((200, 100), "RGBA", (0, 0, 0, 0))
    checked = check_upload(upload("unterschrift.png", data))
    result = Image.open(checked.file)
    assert (checked.content_type, result.mode) == ("image/png", "RGBA")
    assert result.getpixel((10, 10))[3] == 0


def test_a_webp_photo_is_stored_as_jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 160, 60)).save(buffer, "WEBP", quality=80)
    checked = check_upload(upload("bild.webp", buffer.getvalue(), "image/webp"))
    assert (checked.name, checked.content_type) == ("bild.jpg", "image/jpeg")
    assert Image.open(checked.file).format == "JPEG"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("foto.jpg", jpeg() + zip_archive()),  # JPEG + ZIP polyglot (a "JAR-photo")
        ("foto.jpg", jpeg() + b"\n<html>" + SCRIPT),  # JPEG with HTML appended
        ("foto.jpg", jpeg(comment=SCRIPT)),  # script in a JPEG comment segment
        ("bild.png", png() + zip_archive()),  # PNG + ZIP, the GIFAR of PNG
        ("bild.png", png()[:33] + png_chunk(b"tEXt", b"Comment\0" + SCRIPT) + png()[33:]),
    ],
    ids=["jpeg+zip", "jpeg+html", "jpeg-comment", "png+zip", "png-text-chunk"],
)
def test_a_polyglot_image_is_stored_without_its_payload(name, data):
    checked = check_upload(upload(name, data))
    stored = stored_bytes(checked)
    assert b"<script" not in stored and b"PK\x03\x04" not in stored and b"evil" not in stored
    if checked.content_type == "image/png":
        assert set(png_chunk_types(stored)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    Image.open(io.BytesIO(stored)).load()  # and it is still the picture


def test_a_png_decompression_bomb_is_refused():
    bomb = png_bomb(20_000)  # 400 megapixels: about 1.6 GB once decoded as RGBA
    assert len(bomb) < 100_000
    error = refused(upload("foto.png", bomb))
    assert error.code == "image_too_large"
    assert error.messages == [
        "Das Bild hat mehr als 50 Megapixel. Bitte laden Sie ein kleineres Bild hoch, zum "
        "Beispiel ein Foto in geringerer Auflösung."
    ]


def test_a_header_declaring_100000_by_100000_pixels_is_refused_without_decoding():
    error = refused(upload("foto.png", png_declaring(100_000, 100_000, b"not even zlib")))
    assert error.code == "image_too_large"


def test_the_pixel_count_is_checked_before_any_pixel_is_decoded(settings):
    # The IDAT is garbage: had the image been decoded, the answer would be "broken".
    settings.UPLOAD_IMAGE_MAX_PIXELS = 1_000_000
    error = refused(upload("foto.png", png_declaring(2000, 2000, b"garbage")))
    assert error.code == "image_too_large"
    assert "mehr als 1 Megapixel" in error.messages[0]


@pytest.mark.parametrize(
    "data",
    [jpeg((800, 600))[:1500], png_declaring(100, 100, b"garbage"), b"RIFF\0\0\0\0WEBPVP8 junk"],
    ids=["truncated-jpeg", "png-garbage", "webp-garbage"],
)
def test_a_broken_image_is_refused(data):
    error = refused(upload("foto.jpg", data))
    assert error.code == "image_broken"
    assert error.messages[0].startswith("Das Bild ist beschädigt oder unvollständig")


# --- virus scan ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def clamd(tmp_path_factory):
    """A real clamd on a Unix socket whose only signature matches MARKER; its CLAMAV_URL."""
    binary = shutil.which("clamd") or (
        "/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None
    )
    if binary is None:
        pytest.skip("clamd is not installed (Debian package clamav-daemon)")
    root = tmp_path_factory.mktemp("clamd")
    (root / "db").mkdir()
    # An extended signature (.ndb): name, any file type, match anywhere, hex bytes.
    (root / "db" / "buergerbuero-test.ndb").write_text(f"Buergerbuero.Test:0:*:{MARKER.hex()}\n")
    sock = root / "clamd.sock"
    (root / "clamd.conf").write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {root / 'db'}\nTemporaryDirectory {root}\n"
        f"LogFile {root / 'clamd.log'}\nForeground yes\n"
    )
    process = subprocess.Popen(
        [binary, "--config-file", str(root / "clamd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not _answers_ping(sock):
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "clamd.log").read_text() if (root / "clamd.log").exists() else ""
                pytest.fail(f"clamd did not start:\n{log}")
            time.sleep(0.05)
        yield f"unix://{sock}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers_ping(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(1)
            client.connect(str(sock))
            client.sendall(b"nPING\n")
            return client.recv(16) == b"PONG\n"
    except OSError:
        return False


def _pdf_with_marker(writer):
    writer.add_metadata({"/Title": MARKER.decode()})


def test_with_the_scan_on_a_clean_file_passes(clamd, settings):
    settings.CLAMAV_URL = clamd
    data = pdf()
    assert stored_bytes(check_upload(upload("antrag.pdf", data))) == data


def test_an_infected_pdf_is_refused_and_the_operator_sees_the_signature(
    clamd, settings, uploads_log
):
    settings.CLAMAV_URL = clamd
    error = refused(upload("antrag.pdf", pdf(_pdf_with_marker)))
    assert error.code == "virus_found"
    assert error.messages[0].startswith("In der Datei wurde Schadsoftware gefunden")
    assert "Buergerbuero.Test" in uploads_log.text


def test_the_scan_sees_the_original_bytes_not_the_cleaned_image(clamd, settings):
    # Re-encoding would drop the comment; the scan runs first, on what was sent.
    settings.CLAMAV_URL = clamd
    assert refused(upload("foto.jpg", jpeg(comment=MARKER))).code == "virus_found"


@pytest.mark.parametrize("url", ["unix:///nonexistent/clamd.ctl", "tcp://127.0.0.1:1"])
def test_an_unreachable_scanner_refuses_the_upload_and_logs_an_error(url, settings, uploads_log):
    settings.CLAMAV_URL = url
    error = refused(upload("antrag.pdf", pdf()))
    assert error.code == "scan_unavailable"
    assert error.messages == [
        "Die Datei kann gerade nicht auf Schadsoftware geprüft werden. Bitte versuchen Sie es "
        "später erneut."
    ]
    errors = {r.getMessage() for r in uploads_log.records if r.levelname == "ERROR"}
    assert any(message.startswith("virus scan failed") for message in errors)


def test_without_a_scanner_url_nothing_is_scanned(settings):
    settings.CLAMAV_URL = ""
    assert check_upload(upload("antrag.pdf", pdf(_pdf_with_marker))).size > 0


# --- through HTTP: the streaming upload handler --------------------------------------------


class DocumentForm(forms.Form):
    remark = forms.CharField(required=False)
    document = forms.FileField(error_messages={"required": "Bitte wählen Sie eine Datei aus."})

    def clean_document(self):
        return check_upload(self.cleaned_data["document"])


def document_upload(request):
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        checked = form.cleaned_data["document"]
        name = default_storage.save(f"test-uploads/{checked.name}", checked.file)
        return HttpResponse(f"Gespeichert: {name}")
    errors = " ".join(form.errors.get("document", []))
    return HttpResponse(f"Fehler: {errors}\nBemerkung: {form['remark'].value()}")


class PhotoForm(forms.Form):
    photo = forms.ImageField()


def photo_upload(request):
    form = PhotoForm(request.POST, request.FILES)
    return HttpResponse("ok" if form.is_valid() else " ".join(form.errors["photo"]))


def received_size(request):
    return HttpResponse(str(len(request.FILES["document"].read())))


urlpatterns = [
    path("hochladen/", document_upload),
    path("foto/", photo_upload),
    path("groesse/", received_size),
]


@pytest.fixture
def small_limit(settings):
    settings.FILE_UPLOAD_HANDLERS = [HANDLER]
    settings.UPLOAD_MAX_BYTES = 100 * 1024
    settings.UPLOAD_STAFF_MAX_BYTES = 1024 * 1024


def _post(client, url, data, name="scan.pdf"):
    # The remark comes after the file in the body: it must arrive even when the file did not.
    return client.post(url, {"document": upload(name, data), "remark": "Bitte bis Freitag"})


@pytest.mark.urls(__name__)
def test_a_file_above_the_limit_gets_the_size_message_and_keeps_the_other_fields(
    client, small_limit, monkeypatch
):
    written = []
    monkeypatch.setattr(
        "django.core.files.uploadedfile.TemporaryUploadedFile.write",
        lambda self, data: written.append(len(data)) or self.file.write(data),
        raising=False,
    )
    response = _post(client, "/hochladen/", padded(pdf(), 600 * 1024))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Fehler: Die Datei ist größer als 100 KB (Ihre Datei: 600 KB)." in text
    assert "Bemerkung: Bitte bis Freitag" in text
    assert sum(written) <= 100 * 1024  # the handler stopped storing at the limit
    assert not default_storage.exists("test-uploads/scan.pdf")


@pytest.mark.urls(__name__)
def test_no_file_and_a_too_large_file_get_different_messages(client, small_limit):
    no_file = client.post("/hochladen/", {"remark": "ohne Datei"}).content.decode()
    too_large = _post(client, "/hochladen/", padded(pdf(), 200 * 1024)).content.decode()
    assert "Fehler: Bitte wählen Sie eine Datei aus." in no_file
    assert "größer als" not in no_file
    assert "Fehler: Die Datei ist größer als 100 KB" in too_large
    assert "Bitte wählen Sie eine Datei aus." not in too_large


@pytest.mark.urls(__name__)
def test_a_file_within_the_limit_arrives_checked_and_is_stored_clean(client, small_limit):
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (50.0, 56.0, 19.5)})
    response = _post(client, "/hochladen/", jpeg(exif=exif), name="foto.jpeg")
    text = response.content.decode()
    assert text.startswith("Gespeichert: test-uploads/foto")
    name = text.removeprefix("Gespeichert: ")
    with default_storage.open(name) as stored:
        assert dict(Image.open(stored).getexif()) == {}
    default_storage.delete(name)


@pytest.mark.urls(__name__)
def test_a_form_that_reads_the_file_itself_shows_the_size_message_too(client, small_limit):
    response = client.post("/foto/", {"photo": upload("foto.jpg", jpeg() + b"\0" * 200_000)})
    assert response.status_code == 200
    assert response.content.decode().startswith("Die Datei ist größer als 100 KB")


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_staff_may_send_larger_files_than_citizens(client, admin_client, small_limit):
    data = b"x" * 300_000
    assert admin_client.post("/groesse/", {"document": upload("dgs.mp4", data)}).content == (
        b"300000"
    )
    with pytest.raises(ValidationError):  # the citizen's copy was cut off while streaming
        client.post("/groesse/", {"document": upload("dgs.mp4", data)})
