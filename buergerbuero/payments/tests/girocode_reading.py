"""Reading GiroCodes back with a real QR decoder (zxing-cpp), for the tests."""

from __future__ import annotations

import io
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import zxingcpp
from PIL import Image


def qr_texts(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def pdf_qr_texts(pdf: bytes, *, dpi: int = 200) -> list[str]:
    """Every QR code on every page of ``pdf`` (rendered by poppler's pdftoppm)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), str(source), str(Path(folder) / "page")],
            check=True,
        )
        texts = []
        for page in sorted(Path(folder).glob("page*.png")):
            texts.extend(qr_texts(page.read_bytes()))
        return texts


def epc_fields(payload: str) -> dict:
    """The fields of an EPC069-12 payload by name; fails loudly on a malformed one."""
    lines = payload.split("\n")
    assert lines[0] == "BCD", payload
    assert lines[1] in ("001", "002"), payload
    assert lines[2] in "12345678", payload
    assert lines[3] == "SCT", payload
    assert lines[7].startswith("EUR"), payload
    return {
        "bic": lines[4],
        "name": lines[5],
        "iban": lines[6],
        "amount_cents": int(Decimal(lines[7][3:]) * 100),
        "purpose": lines[8] if len(lines) > 8 else "",
        "structured_reference": lines[9] if len(lines) > 9 else "",
        "text": lines[10] if len(lines) > 10 else "",
    }
