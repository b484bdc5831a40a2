"""Demo Kassenzeichen for Stadt Köln: warning fines and a fee from other systems."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from .references import reference_import

REFERENCES_FILE = Path(__file__).resolve().parent / "demo" / "koeln" / "references.json"


def demo_references_load() -> int:
    data = json.loads(REFERENCES_FILE.read_text(encoding="utf-8"))
    users = get_user_model().objects
    today = timezone.localdate()
    for item in data["references"]:
        owner = users.filter(username=item["owner"]).first() if item.get("owner") else None
        reference_import(
            code=item["code"],
            purpose=item["purpose"],
            amount_cents=item["amount_cents"],
            description=item["description"],
            issuer=item.get("issuer", ""),
            due_date=today + dt.timedelta(days=item.get("due_in_days", 14)),
            user=owner,
        )
    return len(data["references"])


# -- a bank statement for trying the reconciliation ----------------------------------------

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def demo_statement_xml(*, today: dt.date | None = None, limit: int = 50) -> bytes:
    """A camt.053 day statement of the city's demo account that pays what is open now:
    every open Kassenzeichen by transfer (one with two digits swapped, as citizens type
    them), every direct debit in a file, and one credit nobody can place. For the demo
    only: upload it at /kasse/kontoauszuege/ and watch it being reconciled."""
    from lxml import etree
    from lxml.builder import ElementMaker

    from buergerbuero.core.selectors import municipality_get

    from .models import DIRECT_DEBIT, Payment, PaymentReference, PaymentStatus
    from .selectors import balance_of

    today = today or timezone.localdate()
    E = ElementMaker(namespace=CAMT_NS, nsmap={None: CAMT_NS})
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    entries = []

    def credit(number: int, cents: int, text: str, debtor: str, end_to_end: str = "NOTPROVIDED"):
        amount = f"{cents // 100}.{cents % 100:02d}"
        entries.append(
            E.Ntry(
                E.NtryRef(f"DEMO-{stamp}-{number}"),
                E.Amt(amount, Ccy="EUR"),
                E.CdtDbtInd("CRDT"),
                E.Sts(E.Cd("BOOK")),
                E.BookgDt(E.Dt(today.isoformat())),
                E.ValDt(E.Dt(today.isoformat())),
                E.AcctSvcrRef(f"DEMO-{stamp}-{number}"),
                E.BkTxCd(E.Prtry(E.Cd("NTRF+166"), E.Issr("DK"))),
                E.NtryDtls(
                    E.TxDtls(
                        E.Refs(E.EndToEndId(end_to_end)),
                        E.RltdPties(
                            E.Dbtr(E.Pty(E.Nm(debtor))),
                            E.DbtrAcct(E.Id(E.IBAN("DE02120300000000202051"))),
                        ),
                        E.RmtInf(E.Ustrd(text[:140])),
                    )
                ),
            )
        )

    pending_debits = Payment.objects.filter(provider=DIRECT_DEBIT, status=PaymentStatus.PENDING)
    for payment in pending_debits.select_related("reference")[:limit]:
        credit(
            len(entries) + 1,
            payment.amount_cents,
            f"SEPA-Lastschrift {payment.reference.code}",
            "Lastschrifteinzug",
            end_to_end=payment.uuid.hex,
        )
    references = PaymentReference.objects.filter(currency="EUR").order_by("pk")
    swapped = False
    for reference in references.iterator():
        if len(entries) >= limit:
            break
        balance = balance_of(reference)
        if balance.open_cents <= 0 or balance.pending:
            continue
        code = reference.code_display
        if not swapped and len(entries) >= 1:
            # a typo the check digits catch; the amount and the description place it
            digits = reference.code
            code = digits[:5] + digits[6] + digits[5] + digits[7:]
            swapped = digits[5] != digits[6]
        debtor = reference.user.display_name if reference.user else "Erika Mustermann"
        credit(
            len(entries) + 1,
            balance.open_cents,
            f"Kassenzeichen {code} {reference.description}",
            debtor,
        )
    credit(len(entries) + 1, 5000, "Spende Tierheim Zollstock", "Hans Beispiel")

    municipality = municipality_get()
    total = sum(int(e.find(f"{{{CAMT_NS}}}Amt").text.replace(".", "")) for e in entries)
    document = E.Document(
        E.BkToCstmrStmt(
            E.GrpHdr(
                E.MsgId(f"DEMO-{stamp}"), E.CreDtTm(timezone.now().isoformat(timespec="seconds"))
            ),
            E.Stmt(
                E.Id(f"DEMO-{stamp}-1"),
                E.CreDtTm(timezone.now().isoformat(timespec="seconds")),
                E.Acct(
                    E.Id(E.IBAN(municipality.cash_office_iban or "DE89370400440532013000")),
                    E.Ccy("EUR"),
                ),
                E.TxsSummry(
                    E.TtlCdtNtries(
                        E.NbOfNtries(str(len(entries))), E.Sum(f"{total // 100}.{total % 100:02d}")
                    )
                ),
                *entries,
            ),
        )
    )
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
