"""Benchmark of the PDF documents: how long a notice, a permit and a big receipt take.

Run from the checkout::

    .venv/bin/python bench/notice_pdf.py [--runs N] [--warmup W]

Renders each document in this process through ``render_pdf`` (Django template, WeasyPrint
layout, PDF/UA-1 output) with Stadt Köln data that needs no database: first once cold (a
new process unpacks the Fira Sans fonts), then W unmeasured warm-up renders, then N
measured ones. Prints min / median / p95 / max in ms, pages and size next to the goal
(a notice in < 500 ms). It measures; it asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the checkout
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerbuero.settings.test")

import django  # noqa: E402

django.setup()

from django.utils.safestring import mark_safe  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from weasyprint.text import ffi  # noqa: E402

from buergerbuero.core.documents import (  # noqa: E402
    KOELN_ADMINISTRATIVE_COURT,
    default_remedy_html,
    render_html,
    render_pdf,
)
from buergerbuero.core.models import Municipality  # noqa: E402

GOAL_NOTICE_MS = 500.0
BERLIN = ZoneInfo("Europe/Berlin")


# ---------------------------------------------------------------------------- documents


def koeln() -> Municipality:
    return Municipality(
        name="Stadt Köln",
        short_name="Köln",
        primary_colour="#1d4f91",
        contact_email="buergerbuero@stadt-koeln.de",
        contact_phone="0221 221-0",
        contact_address="Rathausplatz 2\n50667 Köln",
        website="https://www.stadt-koeln.de/",
    )


def notice() -> dict:
    return {
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
            "<p>Sehr geehrter Herr Becker,</p><p>Ihr Hund <strong>Bello</strong> ist ab dem "
            "1. Dezember 2026 zur Hundesteuer angemeldet. Die Steuer beträgt 156,00 € im "
            "Jahr und wird für 2026 anteilig festgesetzt.</p><ul><li>Steuermarke: 4711</li>"
            "<li>Fälligkeit: 15. Dezember 2026</li></ul>"
        ),
        "fee": {
            "total_cents": 17400,
            "lines": [{"label": "Hundesteuer 2026 (anteilig)", "amount_cents": 17400}],
            "paid_at": None,
        },
        "remedy_html": default_remedy_html(city="Stadt Köln", court=KOELN_ADMINISTRATIVE_COURT),
        "verification_url": "https://buergerbuero.stadt-koeln.de/bescheid-pruefen/K-2026-000123/",
        "verification_code": "7Q4K-M2XD",
    }


def permit() -> dict:
    return {
        **notice(),
        "service_name": "Bewohnerparkausweis beantragen",
        "department_name": "Amt für Straßen und Radwegebau",
        "title": "Bescheid über die Erteilung eines Bewohnerparkausweises",
        "body_html": mark_safe(
            "<p>Sehr geehrter Herr Becker,</p><p>für Ihr Fahrzeug wird ein "
            "Bewohnerparkausweis für die Zone Ehrenfeld 3 erteilt. Legen Sie ihn gut lesbar "
            "hinter die Windschutzscheibe.</p>"
        ),
        "fee": {
            "total_cents": 3000,
            "lines": [{"label": "Bewohnerparkausweis, 1 Jahr", "amount_cents": 3000}],
            "paid_at": datetime(2026, 11, 28, 18, 2, tzinfo=BERLIN),
        },
        "permit": {
            "title": "Bewohnerparkausweis",
            "fields": [
                {"label": "Zone", "value": "Ehrenfeld 3"},
                {"label": "Kennzeichen", "value": "K-AB 1234"},
            ],
            "valid_from": date(2026, 12, 1),
            "valid_until": date(2027, 11, 30),
        },
    }


def big_receipt() -> dict:
    """A registration of residence for a household of four: 40 rows in all."""
    members = [
        ("Aylin Yılmaz", "12.03.1988", "Ehefrau"),
        ("Mehmet Yılmaz", "04.09.1985", "Ehemann"),
        ("Deniz Yılmaz", "02.07.2019", "Kind"),
        ("Elif Yılmaz", "21.01.2022", "Kind"),
    ]
    person_fields = ["Name", "Geburtsdatum", "Geburtsort", "Staatsangehörigkeit", "Beziehung"]
    groups = [
        [
            {"label": label, "value": value}
            for label, value in zip(
                person_fields, (name, born, "Köln", "deutsch", relation), strict=True
            )
        ]
        for name, born, relation in members
    ]  # 4 × 5 = 20 rows
    moving = [
        {"label": f"Angabe {i}", "value": f"Wert {i}\nzweite Zeile"} for i in range(1, 18)
    ]  # 17 rows
    return {
        "municipality": koeln(),
        "reference": "K-2026-004711",
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
                    {"label": "Wohnungsgeber", "value": "GAG Immobilien AG"},
                ],
            },  # 3 rows
            {"title": "Angaben zum Umzug", "rows": moving},
            {
                "title": "Personen",
                "rows": [{"label": "Person", "value": "", "group_items": groups}],
            },
        ],
        "documents": [
            {"name": "Wohnungsgeberbestaetigung.pdf", "size": 184_320},
            {"name": "Reisepass_Mehmet.pdf", "size": 1_204_224},
        ],
        "fee": {
            "total_cents": 0,
            "lines": [{"label": "Anmeldung (gebührenfrei)", "amount_cents": 0}],
            "paid_at": None,
        },
    }


DOCUMENTS = [
    ("notice", "documents/notice.html", notice),
    ("permit", "documents/permit.html", permit),
    ("receipt, 4 persons, 40 rows", "documents/receipt.html", big_receipt),
]


# ---------------------------------------------------------------------------- measuring


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.95 → p95) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def timed(function) -> tuple[float, float, object]:
    """Wall-clock ms, CPU ms of this process, and the result of ``function()``."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = function()
    wall = (time.perf_counter() - started) * 1000
    return wall, (time.process_time() - cpu_started) * 1000, result


def measure(template: str, make_context, runs: int, warmup: int) -> dict:
    context = make_context()
    cold_ms, _, pdf = timed(lambda: render_pdf(template, context))
    for _ in range(warmup):
        render_pdf(template, context)
    measured = [timed(lambda: render_pdf(template, context)) for _ in range(runs)]
    totals = [wall for wall, _, _ in measured]
    templates = [timed(lambda: render_html(template, context))[0] for _ in range(runs)]
    return {
        "cold": cold_ms,
        "cpu": statistics.median(cpu for _, cpu, _ in measured),
        "min": min(totals),
        "median": statistics.median(totals),
        "p95": percentile(totals, 0.95),
        "max": max(totals),
        "template": statistics.median(templates),
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "kb": len(pdf) / 1000,
    }


def environment() -> str:
    pango = ffi.pango.pango_version()
    subset = "yes" if ffi.harfbuzz_subset is not None else "no (fontTools subsets: slower)"
    return (
        f"{len(os.sched_getaffinity(0))} CPUs ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"WeasyPrint {metadata.version('weasyprint')}, Pango {pango // 10000}.{pango // 100 % 100}"
        f".{pango % 100}, HarfBuzz-Subset: {subset}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="measured renders (default: 30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured renders (default: 3)")
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")

    print(environment())
    print(f"{args.runs} measured renders each after {args.warmup} warm-up; times in ms\n")
    header = (
        f"  {'document':<30}{'cold':>7}{'min':>7}{'median':>8}{'p95':>7}{'max':>7}"
        f"{'cpu':>6}{'template':>10}{'pages':>7}{'kB':>7}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    results = {}
    for name, template, make_context in DOCUMENTS:
        r = results[name] = measure(template, make_context, args.runs, args.warmup)
        print(
            f"  {name:<30}{r['cold']:>7.0f}{r['min']:>7.0f}{r['median']:>8.0f}{r['p95']:>7.0f}"
            f"{r['max']:>7.0f}{r['cpu']:>6.0f}{r['template']:>10.1f}{r['pages']:>7}{r['kb']:>7.1f}",
            flush=True,
        )
    print(
        "\n  cold: the first render in this process (unpacks the fonts once). cpu: median CPU"
        " time of this process per render;\n  far below the median wall time means other"
        " processes took the CPU. template: the Django template alone (median)."
    )
    p95 = results["notice"]["p95"]
    verdict = "met" if p95 < GOAL_NOTICE_MS else "missed"
    print(f"\nGoal\n  notice PDF < {GOAL_NOTICE_MS:.0f} ms (p95, warm)   {p95:.0f} ms   {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
