"""GiroCode (EPC QR code, EPC069-12) for paying a Kassenzeichen by bank transfer.

A banking app that scans it fills in recipient, IBAN, amount and the Kassenzeichen as
remittance text: nothing to type, no transposed digits. The payload is made by ``segno``
(version 002: the BIC is optional inside the EEA, UTF-8, error correction M).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import segno
from django.utils.safestring import SafeString, mark_safe
from schwifty import IBAN
from segno import helpers

from buergerbuero.core.selectors import municipality_get

#: EPC069-12 limits: the remittance text has at most 140 characters, the name 70.
REMITTANCE_MAX = 140


@dataclass(frozen=True)
class BankTransfer:
    """What a citizen types (or scans) to pay by transfer."""

    recipient: str
    iban: str
    bic: str
    amount_cents: int
    remittance: str

    @property
    def iban_display(self) -> str:
        return IBAN(self.iban).formatted


def bank_transfer_for(reference, *, amount_cents: int | None = None) -> BankTransfer | None:
    """Transfer data for paying ``reference`` (a ``PaymentReference``), or ``None`` when the
    city has not entered its account (admin: Kommune) or nothing is open."""
    municipality = municipality_get()
    amount = reference.amount_cents if amount_cents is None else amount_cents
    if municipality is None or not municipality.cash_office_iban or amount <= 0:
        return None
    remittance = f"Kassenzeichen {reference.code} {reference.description}"
    return BankTransfer(
        recipient=(municipality.cash_office_name or municipality.name)[:70],
        iban=municipality.cash_office_iban,
        bic=municipality.cash_office_bic,
        amount_cents=amount,
        remittance=remittance[:REMITTANCE_MAX].strip(),
    )


def girocode(transfer: BankTransfer) -> segno.QRCode:
    return helpers.make_epc_qr(
        name=transfer.recipient,
        iban=transfer.iban,
        amount=Decimal(transfer.amount_cents) / 100,
        text=transfer.remittance,
        bic=transfer.bic or None,
    )


def girocode_svg(transfer: BankTransfer, *, title: str) -> SafeString:
    """The code as inline SVG (for notices and pages), with a ``<title>`` for screen
    readers. segno escapes the title; the rest is generated, so the markup is safe."""
    svg = girocode(transfer).svg_inline(
        scale=4, border=2, title=title, svgclass="girocode", omitsize=True
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


def girocode_png(transfer: BankTransfer) -> bytes:
    """The code as PNG, for the download a banking app can read from the photo gallery."""
    out = io.BytesIO()
    girocode(transfer).save(out, kind="png", scale=8, border=4)
    return out.getvalue()
