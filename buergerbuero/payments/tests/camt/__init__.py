"""camt.053 files for tests and ``bench/reconciliation.py``.

The hand-written files beside this module are shaped like real statements of German banks
(a Sparkasse in camt.053.001.02, a Volksbank in .001.08); Kassenzeichen and amounts that
depend on the test's database are ``$placeholders`` (``string.Template``)::

    xml = fixture("sparkasse_053_001_02.xml", kz_parking=reference.code_display, ...)

Larger files are built in code with :func:`camt_document` and :func:`entry_xml`; a bench
writes them entry by entry with :func:`camt_write` (nothing held in memory).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from string import Template
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
NAMESPACES = {
    "02": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
    "08": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08",
}
CITY_IBAN = "DE89370400440532013000"  # the demo's Stadtkasse account
CITIZEN_IBAN = "DE02120300000000202051"


def fixture(name: str, **values: object) -> bytes:
    """A hand-written file, with its ``$placeholders`` filled in."""
    text = (HERE / name).read_text(encoding="utf-8")
    return Template(text).substitute({k: str(v) for k, v in values.items()}).encode()


def entry_xml(
    *,
    amount: str,
    remittance: str | list[str] = "",
    currency: str = "EUR",
    direction: str = "CRDT",
    reversal: bool = False,
    status: str = "BOOK",
    booked: str = "2026-03-16",
    acct_svcr_ref: str | None = None,
    ntry_ref: str | None = None,
    debtor: str = "Mehmet Yılmaz",
    debtor_iban: str = CITIZEN_IBAN,
    end_to_end_id: str = "NOTPROVIDED",
    creditor_reference: str = "",
    transactions: list[dict] | None = None,
    version: str = "02",
) -> str:
    """One ``<Ntry>``. ``transactions`` (dicts of amount, remittance, debtor, debtor_iban,
    end_to_end_id) makes a batch booking; otherwise the entry has one transaction."""
    if transactions is None:
        transactions = [
            {
                "amount": None,
                "remittance": remittance,
                "debtor": debtor,
                "debtor_iban": debtor_iban,
                "end_to_end_id": end_to_end_id,
                "creditor_reference": creditor_reference,
            }
        ]
    status_xml = f"<Sts>{status}</Sts>" if version == "02" else f"<Sts><Cd>{status}</Cd></Sts>"
    parts = [
        f'<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>',
        "<RvslInd>true</RvslInd>" if reversal else "",
        status_xml,
        f"<BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt>",
        f"<NtryRef>{ntry_ref}</NtryRef>" if ntry_ref else "",
        f"<AcctSvcrRef>{acct_svcr_ref}</AcctSvcrRef>" if acct_svcr_ref else "",
        "<BkTxCd><Prtry><Cd>NTRF+166+9310</Cd><Issr>DK</Issr></Prtry></BkTxCd>",
        "<NtryDtls>",
    ]
    if len(transactions) > 1:
        parts.append(f"<Btch><NbOfTxs>{len(transactions)}</NbOfTxs></Btch>")
    for tx in transactions:
        parts.append(_transaction_xml(tx, currency=currency, version=version))
    parts.append("</NtryDtls><AddtlNtryInf>GUTSCHR. UEBERWEISUNG</AddtlNtryInf></Ntry>")
    return "".join(parts)


def _transaction_xml(tx: dict, *, currency: str, version: str) -> str:
    lines = tx.get("remittance") or []
    if isinstance(lines, str):
        lines = [lines] if lines else []
    amount = tx.get("amount")
    amount_xml = ""
    if amount is not None:
        amount_xml = (
            f'<Amt Ccy="{currency}">{amount}</Amt>'
            if version != "02"
            else f'<AmtDtls><TxAmt><Amt Ccy="{currency}">{amount}</Amt></TxAmt></AmtDtls>'
        )
    name = escape(tx.get("debtor") or "")
    if name:
        name = f"<Nm>{name}</Nm>" if version == "02" else f"<Pty><Nm>{name}</Nm></Pty>"
    strd = ""
    if tx.get("creditor_reference"):
        strd = (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{escape(tx['creditor_reference'])}</Ref></CdtrRefInf></Strd>"
        )
    return "".join(
        [
            "<TxDtls><Refs>",
            f"<EndToEndId>{escape(tx.get('end_to_end_id') or 'NOTPROVIDED')}</EndToEndId>",
            "</Refs>",
            amount_xml,
            "<RltdPties>",
            f"<Dbtr>{name}</Dbtr>" if name else "",
            (
                f"<DbtrAcct><Id><IBAN>{tx['debtor_iban']}</IBAN></Id></DbtrAcct>"
                if tx.get("debtor_iban")
                else ""
            ),
            "</RltdPties>",
            "<RmtInf>",
            "".join(f"<Ustrd>{escape(line)}</Ustrd>" for line in lines),
            strd,
            "</RmtInf></TxDtls>",
        ]
    )


def document_head(
    *, version: str = "02", iban: str = CITY_IBAN, message_id: str = "STMT-2026-03-16-0001"
) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{NAMESPACES[version]}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"<BkToCstmrStmt><GrpHdr><MsgId>{message_id}</MsgId>"
        "<CreDtTm>2026-03-17T06:10:00</CreDtTm></GrpHdr>\n"
        f"<Stmt><Id>{message_id}-1</Id><CreDtTm>2026-03-17T06:10:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
    )


DOCUMENT_TAIL = "</Stmt>\n</BkToCstmrStmt>\n</Document>\n"


def camt_document(entries: Iterable[str], **head: str) -> bytes:
    """A whole statement from ``entry_xml`` strings."""
    return (document_head(**head) + "\n".join(entries) + "\n" + DOCUMENT_TAIL).encode()


def camt_write(path: Path, entries: Iterable[str], **head: str) -> int:
    """Write a statement entry by entry; return its size in bytes."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(document_head(**head))
        for entry in entries:
            handle.write(entry)
            handle.write("\n")
        handle.write(DOCUMENT_TAIL)
    return path.stat().st_size
