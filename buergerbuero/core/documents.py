"""PDF documents: the receipt of an application, notices (Bescheide) and permits.

A document is a Django template under ``core/templates/documents/`` rendered by WeasyPrint
from a plain dict: the caller decides what goes in, and tests need no models::

    from buergerbuero.core.documents import render_pdf

    pdf = render_pdf("documents/notice.html", {"reference": "K-2026-000123", ...}, language="en")

Every template extends ``documents/letter_base.html``: the city's letterhead after DIN 5008
(form B: address window, info block, fold marks), a footer with the city's address and
"Seite 1 von 2". The city is ``municipality_get()`` unless the context brings a
``municipality`` (a :class:`~buergerbuero.core.models.Municipality`, saved or not).
The context each template needs is listed in :data:`CONTEXT_KEYS`; the module docstrings of
the templates show the full shape.

Values are escaped like on any page (``<script>`` prints as text); ``body_html`` and
``remedy_html`` are rendered as they are and must be a ``SafeString`` the caller has
sanitised (admin Markdown rendered with raw HTML off). A plain ``str`` is escaped.

WeasyPrint fetches nothing from the network: :class:`LocalFilesFetcher` serves the static
files of this installation (fonts) and the city's logo from MEDIA, and refuses every other
URL, so that admin-edited text cannot make the server request anything (SSRF).
"""

from __future__ import annotations

import functools
import io
import logging
import mimetypes
import posixpath
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils._os import safe_join
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from fontTools.ttLib import woff2
from PIL import ImageFile
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .models import HEX_COLOUR, Municipality
from .selectors import municipality_get

# Importing WeasyPrint makes Pillow pad truncated images for the whole process; uploads
# must be refused when broken (core/uploads.py), and PDFs embed only our own files.
ImageFile.LOAD_TRUNCATED_IMAGES = False

logger = logging.getLogger(__name__)

# Relative URLs in a document ({% static %}, the logo's MEDIA url) resolve against this
# origin; .invalid is reserved (RFC 2606) and never resolves, and the fetcher maps the
# origin's STATIC_URL and MEDIA_URL paths to files on disk instead of requesting them.
DOCUMENT_BASE_URL = "https://documents.invalid/"

# The self-hosted Fira Sans of the site (static/vendor/kern/fonts, copied by `make assets`)
# as TrueType: WeasyPrint would unpack the WOFF2 files with fontTools on every document
# (about 250 ms per face), so each face is unpacked once per process and served from
# memory under this path. Without the files the documents fall back to DejaVu Sans.
DOCUMENT_FONTS_PATH = "/_fonts/"
DOCUMENT_FONTS = {
    "FiraSans-Regular.ttf": "vendor/kern/fonts/FiraSans-Regular.woff2",
    "FiraSans-Italic.ttf": "vendor/kern/fonts/FiraSans-Italic.woff2",
    "FiraSans-SemiBold.ttf": "vendor/kern/fonts/FiraSans-SemiBold.woff2",
}

# Of MEDIA only the city's branding (Municipality.logo, upload_to="branding/") may appear
# in a document: never a citizen's upload, whatever an admin writes into a text.
MEDIA_DIRECTORIES_SERVED = ("branding/",)

# PDF/UA-1: tagged PDF (headings, tables, figures with alt text from <title>/alt), the
# document language from <html lang>, the title shown instead of the file name, PDF 1.7.
# WeasyPrint 70 also knows "pdf/ua-2" (PDF 2.0), which fewer readers support.
PDF_VARIANT = "pdf/ua-1"

# What each template reads; render_pdf refuses a context without these keys, because a
# template would silently print an empty string for them.
CONTEXT_KEYS = {
    "documents/receipt.html": (
        "reference",
        "service_name",
        "department_name",
        "submitted_at",
        "applicant",
        "sections",
        "documents",
        "fee",
    ),
    "documents/notice.html": (
        "reference",
        "service_name",
        "department_name",
        "issued_at",
        "recipient",
        "caseworker_name",
        "title",
        "decision",
        "body_html",
        "fee",
        "remedy_html",
        "verification_url",
        "verification_code",
    ),
}
CONTEXT_KEYS["documents/permit.html"] = (*CONTEXT_KEYS["documents/notice.html"], "permit")

DECISIONS = ("approved", "rejected")

# --------------------------------------------------------------------------------------
# Rechtsbehelfsbelehrung (information on legal remedies)
#
# MODEL TEXT — the city's legal department must confirm it before production use, and a
# service whose remedy differs must bring its own text (the notice's "remedy_html").
# Basis: in North Rhine-Westphalia the objection procedure (Widerspruchsverfahren) before
# a lawsuit is abolished for most municipal administrative acts (§ 110 JustG NRW), so the
# remedy is a lawsuit (Klage) at the administrative court within one month of notification
# (§ 74 Abs. 1 Satz 2 VwGO); required content per § 58 Abs. 1 VwGO: remedy, court with
# its seat, time limit. § 110 Abs. 2 and 3 JustG NRW keep the objection for some areas
# (and civil-service law has its own rules): notices in those areas need a different text.
# Electronic filing: § 55a VwGO (qualified electronic signature or a secure transmission
# route), § 55d VwGO (lawyers and authorities must file electronically).
# Not included on purpose: whom to sue (in NRW the city as legal entity, § 78 Abs. 1 Nr. 1
# VwGO, is the usual reading; not required content) — for the legal department to decide.
# Placeholders: {court} – court, address ("Verwaltungsgericht Köln, Appellhofplatz,
# 50667 Köln"); {city} – the authority ("Stadt Köln"), used without an article so that
# "Kreis …" reads as well. Paragraphs are separated by a blank line. Use
# default_remedy_html() to fill them in escaped.
# --------------------------------------------------------------------------------------

DEFAULT_REMEDY_TEXT = """\
Gegen diesen Bescheid kann innerhalb eines Monats nach seiner Bekanntgabe Klage erhoben \
werden. Die Klage ist schriftlich oder zur Niederschrift der Urkundsbeamtin oder des \
Urkundsbeamten der Geschäftsstelle beim {court} zu erheben.

Die Klage kann auch durch Übertragung eines elektronischen Dokuments an die elektronische \
Poststelle des Gerichts erhoben werden. Das elektronische Dokument muss für die \
Bearbeitung durch das Gericht geeignet sein. Es muss mit einer qualifizierten \
elektronischen Signatur der verantwortenden Person versehen sein oder von der \
verantwortenden Person signiert und auf einem sicheren Übermittlungsweg gemäß § 55a \
Absatz 4 der Verwaltungsgerichtsordnung (VwGO) eingereicht werden. Die technischen \
Rahmenbedingungen bestimmt die Elektronischer-Rechtsverkehr-Verordnung (ERVV). \
Rechtsanwältinnen und Rechtsanwälte, Behörden sowie juristische Personen des öffentlichen \
Rechts müssen die Klage elektronisch einreichen (§ 55d VwGO). Eine einfache E-Mail \
genügt nicht und wahrt die Frist nicht.

Die Klage muss die Klägerin oder den Kläger, die Beklagte oder den Beklagten und den \
Gegenstand des Klagebegehrens bezeichnen. Der angefochtene Bescheid soll in Abschrift \
beigefügt werden.

Hinweis: Sie können sich vorher an die Behörde wenden, die diesen Bescheid erlassen hat \
({city}), um Ihr Anliegen ohne Gerichtsverfahren zu klären. Das verlängert die Klagefrist \
nicht. Wird die Frist durch das Verschulden einer von Ihnen bevollmächtigten Person \
versäumt, wird deren Verschulden Ihnen zugerechnet."""

# English version for English documents. Only the German text is legally binding; the
# English text says so.
DEFAULT_REMEDY_TEXT_EN = """\
You may challenge this notice by bringing an action (Klage) within one month of its \
notification. The action must be brought in writing, or recorded by the registry clerk, at \
the administrative court: {court}.

The action may also be brought by sending an electronic document to the court's electronic \
mailbox. The electronic document must be suitable for processing by the court. It must \
carry the qualified electronic signature of the person responsible, or be signed by that \
person and submitted through a secure transmission route under section 55a (4) of the Code \
of Administrative Court Procedure (Verwaltungsgerichtsordnung, VwGO). The technical \
requirements are set by the Electronic Legal Transactions Ordinance (ERVV). Lawyers, \
public authorities and legal persons under public law must file the action electronically \
(section 55d VwGO). An ordinary email is not sufficient and does not meet the time limit.

The action must name the plaintiff, the defendant and the subject matter of the claim. A \
copy of the contested notice should be enclosed.

Please note: you may first contact the authority that issued this notice ({city}) to \
settle your concern without court proceedings. This does not extend the time limit. If \
the time limit is missed through the fault of a person you have authorised, their fault \
is attributed to you.

This translation is provided for your convenience; only the German text is legally \
binding."""

# The demo city's court; another city passes its own (see default_remedy_html).
KOELN_ADMINISTRATIVE_COURT = "Verwaltungsgericht Köln, Appellhofplatz, 50667 Köln"


def default_remedy_html(*, city: str, court: str, language: str = "de") -> SafeString:
    """The model Rechtsbehelfsbelehrung as HTML paragraphs, with city and court escaped.

    ``default_remedy_html(city="Stadt Köln", court=KOELN_ADMINISTRATIVE_COURT)`` gives the
    ``remedy_html`` of a notice; English for ``language="en"``, German otherwise.
    """
    text = DEFAULT_REMEDY_TEXT_EN if language.startswith("en") else DEFAULT_REMEDY_TEXT
    paragraphs = (
        str(escape(paragraph)).format(city=escape(city), court=escape(court))
        for paragraph in text.split("\n\n")
    )
    return mark_safe("".join(f"<p>{p}</p>" for p in paragraphs))  # noqa: S308 (escaped above)


# --------------------------------------------------------------------------------------
# Resources: only local files
# --------------------------------------------------------------------------------------


class ResourceRefused(ValueError):
    """A document referred to a URL that is not a static file or the city's logo."""


def _relative_path(url: str, prefix: str) -> str | None:
    """The path of ``url`` below ``prefix``, normalised; None when it leaves the prefix."""
    relative = unquote(urlsplit(url[len(prefix) :]).path)
    normalised = posixpath.normpath(relative)
    if normalised.startswith(("/", "..")) or normalised in ("", "."):
        return None
    return normalised


def _static_file(relative: str) -> Path | None:
    # collectstatic's copy first (production), then the app and project static folders
    # (development, tests), which finders search without collectstatic.
    if settings.STATIC_ROOT:
        candidate = Path(safe_join(settings.STATIC_ROOT, relative))
        if candidate.is_file():
            return candidate
    found = finders.find(relative)
    return Path(found) if found else None


def _media_file(relative: str) -> Path | None:
    if not relative.startswith(MEDIA_DIRECTORIES_SERVED) or not settings.MEDIA_ROOT:
        return None
    candidate = Path(safe_join(settings.MEDIA_ROOT, relative))
    return candidate if candidate.is_file() else None


@functools.cache
def _font_ttf(name: str) -> bytes | None:
    woff2_file = _static_file(DOCUMENT_FONTS[name])
    if woff2_file is None:
        logger.warning("%s is missing (run `make assets`): documents use DejaVu Sans", name)
        return None
    ttf = io.BytesIO()
    woff2.decompress(io.BytesIO(woff2_file.read_bytes()), ttf)
    return ttf.getvalue()


def local_file_for(url: str) -> Path:
    """The file on disk behind a document's URL; :class:`ResourceRefused` for anything else.

    ``https://documents.invalid/static/vendor/kern/fonts/FiraSans-Regular.woff2`` (what
    ``{% static %}`` gives, resolved against :data:`DOCUMENT_BASE_URL`) is the static file;
    ``…/media/branding/logo.png`` is the city's logo. An absolute STATIC_URL (a CDN) is
    mapped to the same local files. Network URLs and ``file:`` URLs are refused.
    """
    lookups = (
        (urljoin(DOCUMENT_BASE_URL, settings.STATIC_URL), _static_file),
        (urljoin(DOCUMENT_BASE_URL, settings.MEDIA_URL), _media_file),
    )
    for prefix, lookup in lookups:
        if url.startswith(prefix):
            relative = _relative_path(url, prefix)
            path = lookup(relative) if relative else None
            if path is not None:
                return path
            break
    raise ResourceRefused(
        f"A PDF document may only use static files and the city's logo, not {url!r}. "
        "Reference files with {% static %} or municipality.logo.url in the template."
    )


def _font_for(url: str) -> bytes | None:
    prefix = urljoin(DOCUMENT_BASE_URL, DOCUMENT_FONTS_PATH)
    name = url[len(prefix) :] if url.startswith(prefix) else None
    return _font_ttf(name) if name in DOCUMENT_FONTS else None


class LocalFilesFetcher(URLFetcher):
    """WeasyPrint's URL fetcher, reduced to local files: no request ever leaves the server.

    ``data:`` URLs are decoded in memory; everything else goes through
    :func:`local_file_for`. WeasyPrint logs a refused URL as a warning and renders the
    document without that resource.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("https", "data"), allow_redirects=False)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        font = _font_for(url)
        if font is not None:
            return URLFetcherResponse(url, body=font, headers={"Content-Type": "font/ttf"})
        path = local_file_for(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


# --------------------------------------------------------------------------------------
# Values prepared for the templates
# --------------------------------------------------------------------------------------


def format_euro(cents: int) -> str:
    """``17400`` → ``"174,00 €"`` in German (no-break space), ``"€174.00"`` in English."""
    amount = number_format(Decimal(abs(cents)) / 100, decimal_pos=2, force_grouping=True)
    sign = "−" if cents < 0 else ""
    if (translation.get_language() or "de").startswith("de"):
        return f"{sign}{amount}\u00a0€"
    return f"{sign}€{amount}"


def qr_code_svg(url: str) -> SafeString:
    """The QR code of ``url`` as inline SVG markup (segno), with a ``<title>`` for alt text.

    The markup comes from segno, which escapes the title; it is safe to embed in a page
    or a document as it is. Its size is the CSS width of ``svg.qr-code`` (no width and
    height attributes, only a viewBox); error correction M survives a crease in the paper.
    """
    qr = segno.make(url, error="m", micro=False)
    title = _("QR-Code: Echtheit des Bescheids prüfen unter %(url)s") % {"url": url}
    svg = qr.svg_inline(scale=1, border=4, title=title, svgclass="qr-code", omitsize=True)
    svg = svg.replace("<svg ", '<svg role="img" ', 1)
    return mark_safe(svg)  # noqa: S308 (segno escapes the title; the rest is generated)


def _letterhead(municipality: Municipality) -> dict:
    address_lines = [
        line.strip() for line in (municipality.contact_address or "").splitlines() if line
    ]
    colour = municipality.primary_colour or ""
    website = municipality.website or ""
    return {
        "name": municipality.name,
        "short_name": municipality.short_name,
        "logo_url": municipality.logo.url if municipality.logo else "",
        "logo_alt": municipality.logo_alt or municipality.name,
        # validated on save; checked again because it is written into a stylesheet
        "colour": colour if HEX_COLOUR.regex.match(colour) else "#1d4f91",
        "address_lines": address_lines,
        "sender_line": " · ".join([municipality.name, *address_lines]),
        "phone": municipality.contact_phone,
        "email": municipality.contact_email,
        "website": website,
        "website_display": re.sub(r"^https?://(www\.)?|/$", "", website),
    }


def _fee(fee: dict | None) -> dict | None:
    if not fee:
        return None
    return {
        **fee,
        "total": format_euro(fee["total_cents"]),
        "lines": [{**line, "amount": format_euro(line["amount_cents"])} for line in fee["lines"]],
    }


def _sections(sections: list[dict]) -> list[dict]:
    """Each section's rows as blocks: runs of plain rows (one table) and rows with
    repeated groups ("group_items"), which print as a numbered sub-heading and table per group so
    that a long household list can break across pages."""
    prepared = []
    for section in sections:
        blocks: list[dict] = []
        for row in section["rows"]:
            if row.get("group_items"):
                blocks.append(
                    {"groups": row["group_items"], "label": row["label"], "value": row.get("value")}
                )
            elif blocks and "rows" in blocks[-1]:
                blocks[-1]["rows"].append(row)
            else:
                blocks.append({"rows": [row]})
        prepared.append({**section, "blocks": blocks})
    return prepared


def _prepared(template_name: str, context: dict) -> dict:
    missing = [key for key in CONTEXT_KEYS.get(template_name, ()) if key not in context]
    if missing:
        raise KeyError(
            f"render_pdf({template_name!r}) needs the context keys {missing}; "
            "buergerbuero/core/documents.py CONTEXT_KEYS lists them all."
        )
    if "decision" in context and context["decision"] not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {context['decision']!r}")
    municipality = context.get("municipality") or municipality_get()
    prepared = {
        **context,
        "letterhead": _letterhead(municipality),
        "fee": _fee(context.get("fee")),
        "fonts_path": DOCUMENT_FONTS_PATH,
    }
    if "sections" in context:
        prepared["sections"] = _sections(context["sections"])
    if context.get("verification_url"):
        prepared["qr_code"] = qr_code_svg(context["verification_url"])
    return prepared


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def render_html(template_name: str, context: dict, *, language: str = "de") -> str:
    """The HTML that :func:`render_pdf` lays out; for debugging a template in a browser."""
    with translation.override(language):
        return render_to_string(template_name, _prepared(template_name, context))


def render_pdf(template_name: str, context: dict, *, language: str = "de") -> bytes:
    """Render a document template to a tagged PDF (PDF/UA-1) in ``language``.

    ``template_name`` is one of ``documents/receipt.html``, ``documents/notice.html``,
    ``documents/permit.html`` (or another template extending ``documents/letter_base.html``);
    ``context`` is the plain dict described in the template. Texts, dates and amounts
    follow ``language``; title, author (the city) and language go into the PDF's metadata.
    """
    html = render_html(template_name, context, language=language)
    document = HTML(string=html, base_url=DOCUMENT_BASE_URL, url_fetcher=LocalFilesFetcher())
    # A FontConfiguration per document: it holds the @font-face fonts WeasyPrint unpacked
    # for this document, and sharing one across threads is not documented as safe.
    return document.write_pdf(pdf_variant=PDF_VARIANT, font_config=FontConfiguration())
