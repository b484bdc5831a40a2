"""PDF documents: receipt, notice and permit render what the caller gives them, escaped,
with the city's letterhead, the Rechtsbehelfsbelehrung and a QR code that scans.

The text is read back from the PDF with pypdf. The QR code is decoded from the rendered
page where Debian's poppler-utils (pdftoppm) and zbar-tools (zbarimg) are installed.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.safestring import mark_safe
from pypdf import PdfReader

from buergerbuero.core.documents import (
    DEFAULT_REMEDY_TEXT,
    KOELN_ADMINISTRATIVE_COURT,
    LocalFilesFetcher,
    ResourceRefused,
    default_remedy_html,
    format_euro,
    local_file_for,
    qr_code_svg,
    render_pdf,
)
from buergerbuero.core.models import Municipality

BERLIN = ZoneInfo("Europe/Berlin")
SCRIPT = "<script>alert(1)</script>"
VERIFY_URL = "https://buergerbuero.stadt-koeln.de/bescheid-pruefen/K-2026-000123/"


def koeln() -> Municipality:
    """The demo city as an unsaved record: documents need no database."""
    return Municipality(
        name="Stadt Köln",
        short_name="Köln",
        primary_colour="#1d4f91",
        contact_email="buergerbuero@stadt-koeln.de",
        contact_phone="0221 221-0",
        contact_address="Rathausplatz 2\n50667 Köln",
        website="https://www.stadt-koeln.de/",
    )


def receipt_context(**changes) -> dict:
    context = {
        "municipality": koeln(),
        "reference": "K-2026-000123",
        "service_name": "Wohnsitz anmelden",
        "department_name": "Amt für Bürgerdienste",
        "submitted_at": datetime(2026, 11, 23, 14, 5, tzinfo=BERLIN),
        "applicant": {"name": "Aylin Yılmaz", "address_lines": ["Venloer Straße 12", "50672 Köln"]},
        "sections": [
            {
                "title": "Neue Wohnung",
                "rows": [
                    {"label": "Einzugsdatum", "value": "1. November 2026"},
                    {"label": "Anschrift", "value": "Venloer Straße 12\n50672 Köln"},
                    {"label": "Bemerkung", "value": SCRIPT},
                    {"label": "Hinweis <b>fett</b>", "value": "Wert mit <b>Tag</b>"},
                ],
            },
            {
                "title": "Personen",
                "rows": [
                    {
                        "label": "Person",
                        "value": "",
                        "group_items": [
                            [
                                {"label": "Name", "value": "Aylin Yılmaz"},
                                {"label": "Geburtsdatum", "value": "12.03.1988"},
                            ],
                            [
                                {"label": "Name", "value": "Deniz Yılmaz"},
                                {"label": "Geburtsdatum", "value": "02.07.2019"},
                            ],
                        ],
                    }
                ],
            },
        ],
        "documents": [{"name": "Wohnungsgeberbestaetigung.pdf", "size": 184_320}],
        "fee": {
            "total_cents": 17400,
            "lines": [
                {"label": "Bearbeitungsgebühr", "amount_cents": 15000},
                {"label": "Zustellung", "amount_cents": 2400},
            ],
            "paid_at": datetime(2026, 11, 23, 14, 7, tzinfo=BERLIN),
        },
    }
    return {**context, **changes}


def notice_context(**changes) -> dict:
    context = {
        "municipality": koeln(),
        "reference": "K-2026-000123",
        "service_name": "Hund anmelden (Hundesteuer)",
        "department_name": "Kämmerei – Steueramt",
        "issued_at": datetime(2026, 11, 30, 9, 30, tzinfo=BERLIN),
        "recipient": {"name": "Jonas Becker", "address_lines": ["Aachener Straße 5", "50674 Köln"]},
        "caseworker_name": "Frau Schmitz",
        "title": "Bescheid über die Anmeldung zur Hundesteuer",
        "decision": "approved",
        "body_html": mark_safe(
            "<p>Ihr Hund <strong>Bello</strong> ist ab dem 1. Dezember 2026 zur Hundesteuer "
            "angemeldet.</p><ul><li>Steuermarke: 4711</li></ul>"
        ),
        "fee": {
            "total_cents": 17400,
            "lines": [{"label": "Hundesteuer 2026 (anteilig)", "amount_cents": 17400}],
            "paid_at": None,
        },
        "remedy_html": default_remedy_html(city="Stadt Köln", court=KOELN_ADMINISTRATIVE_COURT),
        "verification_url": VERIFY_URL,
        "verification_code": "7Q4K-M2XD",
    }
    return {**context, **changes}


def permit_context(**changes) -> dict:
    context = notice_context(
        service_name="Bewohnerparkausweis beantragen",
        department_name="Amt für Straßen und Radwegebau",
        title="Bescheid über die Erteilung eines Bewohnerparkausweises",
        body_html=mark_safe("<p>Ihnen wird ein Bewohnerparkausweis erteilt.</p>"),
        permit={
            "title": "Bewohnerparkausweis",
            "fields": [
                {"label": "Zone", "value": "Ehrenfeld 3"},
                {"label": "Kennzeichen", "value": "K-AB 1234"},
            ],
            "valid_from": date(2026, 12, 1),
            "valid_until": date(2027, 11, 30),
        },
    )
    return {**context, **changes}


def pdf_text(pdf: bytes) -> str:
    """All pages' text, whitespace (line breaks, no-break spaces) folded to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def pdf_fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return {
        font.get_object()["/BaseFont"]
        for page in reader.pages
        for font in page["/Resources"].get("/Font", {}).values()
    }


def folded(value: str) -> str:
    return re.sub(r"\s+", " ", value)


# ------------------------------------------------------------------------------ receipt


def test_the_receipt_shows_everything_the_citizen_submitted():
    context = receipt_context()

    text = pdf_text(render_pdf("documents/receipt.html", context))

    assert "Eingangsbestätigung" in text
    for expected in ("K-2026-000123", "Wohnsitz anmelden", "Aylin Yılmaz", "Amt für Bürgerdienste"):
        assert expected in text
    for section in context["sections"]:
        assert section["title"] in text
        for row in section["rows"]:
            assert folded(row["label"]) in text
            assert folded(row["value"]) in text
            for group in row.get("group_items", []):
                for item in group:
                    assert item["label"] in text and item["value"] in text
    assert "Person 1" in text and "Person 2" in text  # repeated groups are numbered
    assert "Wohnungsgeberbestaetigung.pdf" in text and "180,0 KB" in text
    assert "150,00 €" in text and "24,00 €" in text and "174,00 €" in text
    assert "Bezahlt am 23. November 2026" in text
    assert "23. November 2026 um 14:05 Uhr" in text


def test_text_fields_are_printed_as_text_never_as_markup():
    pdf = render_pdf("documents/receipt.html", receipt_context())

    text = pdf_text(pdf)
    assert "<script>alert(1)</script>" in text
    # the <b> of a label and a value is printed, not obeyed
    assert "Hinweis <b>fett</b>" in text and "Wert mit <b>Tag</b>" in text


def test_an_application_without_fee_and_uploads_says_so():
    context = receipt_context(fee=None, documents=[])

    text = pdf_text(render_pdf("documents/receipt.html", context))

    assert "Sie haben keine Unterlagen hochgeladen." in text
    assert "Gebühren" not in text and "€" not in text


# ------------------------------------------------------------------------------- notice


def test_the_notice_has_letterhead_fee_remedy_and_verification():
    text = pdf_text(render_pdf("documents/notice.html", notice_context()))

    for expected in (
        "Stadt Köln",
        "Stadt Köln · Rathausplatz 2 · 50667 Köln",  # sender line above the address
        "Jonas Becker",
        "Aachener Straße 5 50674 Köln",
        "K-2026-000123",
        "Bescheid über die Anmeldung zur Hundesteuer",
        "Ergebnis: Ihr Antrag wird bewilligt.",
        "Ihr Hund Bello ist ab dem 1. Dezember 2026 zur Hundesteuer angemeldet.",
        "Frau Schmitz",
        "30. November 2026",
        "174,00 €",
        "Noch nicht bezahlt.",
        "Rechtsbehelfsbelehrung",
        "innerhalb eines Monats nach seiner Bekanntgabe Klage",
        "Verwaltungsgericht Köln, Appellhofplatz, 50667 Köln",
        "§ 55a",
        f"Echtheit prüfen: {VERIFY_URL}",
        "Prüfcode 7Q4K-M2XD",
        "Seite 1 von 2",
        "Seite 2 von 2",
    ):
        assert expected in text, expected


def test_a_rejection_says_so():
    context = notice_context(decision="rejected", fee=None)

    text = pdf_text(render_pdf("documents/notice.html", context))

    assert "Ergebnis: Ihr Antrag wird abgelehnt." in text and "bewilligt" not in text


def test_the_notice_body_is_the_callers_sanitised_html_and_plain_strings_are_escaped():
    context = notice_context(body_html="<p>Kein <b>sicherer</b> Text</p>")  # not a SafeString

    text = pdf_text(render_pdf("documents/notice.html", context))

    assert "<p>Kein <b>sicherer</b> Text</p>" in text


def test_the_pdf_is_tagged_with_title_author_and_language():
    pdf = render_pdf("documents/notice.html", notice_context())

    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert reader.metadata.title == "Bescheid über die Anmeldung zur Hundesteuer – K-2026-000123"
    assert reader.metadata.author == "Stadt Köln"
    assert root["/Lang"] == "de"
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert b'pdfuaid:part="1"' in reader.xmp_metadata.stream.get_data()  # PDF/UA-1
    assert {font.split("+")[1] for font in pdf_fonts(pdf)} <= {"Fira-Sans", "Fira-Sans-Semi-Bold"}


def test_the_municipality_comes_from_the_database_unless_given(db, settings, tmp_path):
    """The demo city, with its logo from MEDIA (the only media files a document may use)."""
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "branding").mkdir()
    logo = tmp_path / "branding" / "wappen.png"
    logo.write_bytes(
        # 1×1 pixel PNG
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
        b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
        b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    municipality = Municipality.objects.get()
    municipality.logo = "branding/wappen.png"
    municipality.logo_alt = "Wappen der Stadt Köln"
    municipality.save()
    context = notice_context()
    del context["municipality"]

    pdf = render_pdf("documents/notice.html", context)

    reader = PdfReader(io.BytesIO(pdf))
    assert "Stadt Köln · Rathausplatz 2 · 50667 Köln" in pdf_text(pdf)
    assert len(reader.pages[0].images) == 1  # the logo


# ------------------------------------------------------------------------------- permit


def test_the_permit_is_a_card_with_zone_plate_and_validity():
    text = pdf_text(render_pdf("documents/permit.html", permit_context()))

    assert "Bewohnerparkausweis" in text
    assert "Zone Ehrenfeld 3" in text and "Kennzeichen K-AB 1234" in text
    assert "Gültig vom 1. Dezember 2026 bis 30. November 2027" in text
    assert "Rechtsbehelfsbelehrung" in text and "Verwaltungsgericht Köln" in text
    assert text.count("Prüfcode 7Q4K-M2XD") == 2  # on the card and under the notice


def test_a_rejected_permit_application_prints_no_card():
    text = pdf_text(render_pdf("documents/permit.html", permit_context(decision="rejected")))

    assert "abgelehnt" in text
    assert "Gültig vom" not in text and "K-AB 1234" not in text


# ---------------------------------------------------------------------------- QR code


def test_the_qr_code_is_inline_svg_with_an_escaped_title():
    svg = qr_code_svg("https://example.test/pruefen/?code=A&x=<b>")

    assert svg.startswith("<svg ") and 'role="img"' in svg
    assert "<title>" in svg and "code=A&amp;x=&lt;b&gt;" in svg and "<b>" not in svg


@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="decoding needs Debian's poppler-utils (pdftoppm) and zbar-tools (zbarimg)",
)
@pytest.mark.parametrize(
    ("template", "context", "page"),
    [
        ("documents/notice.html", notice_context, -1),
        ("documents/permit.html", permit_context, 1),  # the card's code
    ],
)
def test_the_printed_qr_code_scans_to_the_verification_page(tmp_path, template, context, page):
    pdf = tmp_path / "document.pdf"
    pdf.write_bytes(render_pdf(template, context()))
    pages = len(PdfReader(pdf).pages)
    number = pages if page == -1 else page

    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", "-f", str(number), "-l", str(number),
         "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    decoded = subprocess.run(
        ["zbarimg", "--raw", "-q", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert VERIFY_URL in decoded


# --------------------------------------------------------------------- local files only


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/x.png",
        "https://example.org/static/vendor/kern/fonts/FiraSans-Regular.woff2",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "https://documents.invalid/static/../../../../etc/passwd",
        "https://documents.invalid/static/%2e%2e/%2e%2e/settings.py",
        "https://documents.invalid/media/uploads/antrag.pdf",  # citizens' uploads: never
        "https://documents.invalid/media/branding/../uploads/antrag.pdf",
        "https://documents.invalid/admin/",
    ],
)
def test_the_fetcher_refuses_everything_but_local_static_files_and_the_logo(url):
    with pytest.raises(ResourceRefused):
        LocalFilesFetcher().fetch(url)


def test_the_fetcher_serves_static_files_and_the_document_fonts():
    static = LocalFilesFetcher().fetch("https://documents.invalid/static/css/app.css")
    font = LocalFilesFetcher().fetch("https://documents.invalid/_fonts/FiraSans-Regular.ttf")

    assert static.content_type == "text/css" and b"@font-face" in static.read()
    assert font.read()[:4] == b"\x00\x01\x00\x00"  # TrueType, unpacked from the WOFF2 file
    assert local_file_for("https://documents.invalid/static/css/app.css").name == "app.css"


def test_an_image_from_the_network_is_left_out_without_a_request(caplog):
    """An admin-edited text cannot make the server fetch a URL (SSRF): the fetcher refuses
    before any connection and WeasyPrint renders the document without the image."""
    body = mark_safe('<p>Logo: <img src="http://example.org/x.png" alt="x"></p>')
    started = time.monotonic()

    pdf = render_pdf("documents/notice.html", notice_context(body_html=body))

    assert time.monotonic() - started < 10  # no network timeout waited for
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 0
    assert "http://example.org/x.png" in caplog.text and "ResourceRefused" in caplog.text


# ------------------------------------------------------------------------------ English


def test_amounts_follow_the_language():
    with translation.override("de"):
        assert format_euro(123450) == "1.234,50\u00a0€"
    with translation.override("en"):
        assert format_euro(123450) == "€1,234.50"
        assert format_euro(-500) == "−€5.00"


def test_an_english_notice_has_english_headings_dates_amounts_and_remedy():
    remedy = default_remedy_html(
        city="City of Cologne", court=KOELN_ADMINISTRATIVE_COURT, language="en"
    )

    pdf = render_pdf("documents/notice.html", notice_context(remedy_html=remedy), language="en")

    text = pdf_text(pdf)
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "en"
    assert "Information on legal remedies" in text and "Rechtsbehelfsbelehrung" not in text
    assert "Result: your application is approved." in text
    assert "Reference K-2026-000123" in text and "Page 1 of 2" in text
    assert "Nov. 30, 2026" in text and "€174.00" in text
    assert "within one month of its notification" in text
    assert "Verwaltungsgericht Köln" in text  # the court's name is not translated
    assert "Check authenticity:" in text


def test_an_english_receipt_has_english_headings():

    text = pdf_text(render_pdf("documents/receipt.html", receipt_context(), language="en"))

    assert "Confirmation of receipt" in text and "Uploaded documents" in text
    assert "€174.00" in text


# ----------------------------------------------------------------------- the contract


def test_a_missing_context_key_is_named():
    context = notice_context()
    del context["verification_code"]

    with pytest.raises(KeyError, match="verification_code"):
        render_pdf("documents/notice.html", context)


def test_the_model_remedy_text_escapes_what_it_fills_in():
    html = default_remedy_html(city="Stadt <Köln>", court="Verwaltungsgericht Köln")

    assert "Stadt &lt;Köln&gt;" in html and "<Köln>" not in html
    assert html.count("<p>") == DEFAULT_REMEDY_TEXT.count("\n\n") + 1
    assert "beim Verwaltungsgericht Köln zu erheben" in html
