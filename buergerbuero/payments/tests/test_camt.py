"""camt.py: reading camt.053 statements of German banks, and refusing what is not one."""

import datetime as dt

import pytest

from buergerbuero.payments.camt import CamtError, CamtReader

from .camt import camt_document, entry_xml, fixture

SPARKASSE = {"parking_amount": "18.00", "kz_parking": "5300 0000 0120", "kz_foreign": "x"}
VOLKSBANK = {
    "batch_amount": "75.00",
    "run_message_id": "LS20260310090000AB12C",
    "e2e_first": "a" * 32,
    "e2e_second": "b" * 32,
    "first_amount": "30.00",
    "second_amount": "45.00",
    "kz_first": "530000000120",
}


def read(xml: bytes, **options):
    reader = CamtReader(xml, **options)
    return list(reader.credits()), reader.summary


def test_a_sparkasse_statement_001_02_gives_its_credits_and_counts_the_rest():
    credits, summary = read(fixture("sparkasse_053_001_02.xml", **SPARKASSE))

    parking, lost_property, swiss = credits
    assert parking.bank_reference == "2026031600012345"
    assert parking.account_iban == "DE89370400440532013000"
    assert (parking.booking_date, parking.value_date) == (dt.date(2026, 3, 16),) * 2
    assert (parking.amount_cents, parking.currency) == (1800, "EUR")
    assert (parking.debtor_name, parking.debtor_iban) == ("Mehmet Yilmaz", "DE02120300000000202051")
    assert parking.end_to_end_id == ""  # NOTPROVIDED
    assert parking.remittance == "KASSENZEICHEN 5300 0000 0120 ANWOHNERPARKAUSWEIS"
    assert lost_property.amount_cents == 1250
    assert (swiss.amount_cents, swiss.currency) == (3000, "CHF")
    assert summary.version == "02" and summary.message_id == "052D2026031606123456"
    assert summary.debits_skipped == 1
    (returned,) = summary.reversals
    assert (returned.direction, returned.amount_cents) == ("DBIT", 4500)
    assert returned.end_to_end_id == "HUNDESTEUER-2026-0042" and returned.line > 1


def test_a_volksbank_statement_001_08_splits_a_batch_booking_into_its_transactions():
    credits, summary = read(fixture("volksbank_053_001_08.xml", **VOLKSBANK))

    first, second = credits
    assert [c.bank_reference for c in credits] == ["VRB2026031800077/1", "VRB2026031800077/2"]
    assert [c.amount_cents for c in credits] == [3000, 4500]
    assert [c.end_to_end_id for c in credits] == ["a" * 32, "b" * 32]
    assert first.debtor_name == "Jörg Müller"  # Dbtr/Pty/Nm since .001.08
    assert first.account_iban == "DE89370400440532013000"  # printed with spaces in the file
    assert first.booking_date == dt.date(2026, 3, 18)  # from BookgDt/DtTm
    assert summary.version == "08" and summary.not_booked == 1  # the PDNG entry


def test_a_batch_whose_parts_do_not_add_up_is_one_credit_over_the_booked_amount():
    values = {**VOLKSBANK, "second_amount": "44.00"}

    credits, summary = read(fixture("volksbank_053_001_08.xml", **values))

    (credit,) = credits
    assert credit.amount_cents == 7500 and credit.bank_reference == "VRB2026031800077"
    assert "Hundesteuer 2026 Kassenzeichen 530000000120" in credit.remittance
    assert "Sammelbuchung" in summary.warnings[0]


@pytest.mark.parametrize(
    ("text", "cents"),
    [("0.10", 10), ("18", 1800), ("1234567.89", 123456789), ("12.340", 1234), (" 7.5 ", 750)],
)
def test_amounts_are_read_exactly_as_cents(text, cents):
    (credit,), _ = read(camt_document([entry_xml(amount=text, acct_svcr_ref="R1")]))
    assert credit.amount_cents == cents and isinstance(credit.amount_cents, int)


@pytest.mark.parametrize(
    "text", ["12.345", "12,00", "-5.00", "1e3", "", "0.001", "1234567890123456.00"]
)
def test_amounts_that_are_not_whole_cents_or_not_numbers_are_refused_with_the_line(text):
    xml = camt_document(
        [entry_xml(amount="1.00", acct_svcr_ref="R1"), "\n", entry_xml(amount=text)]
    )

    with pytest.raises(CamtError) as refused:
        read(xml)

    assert refused.value.line == 8  # the line of the second entry
    assert "Betrag" in refused.value.message


def test_without_acctsvcrref_the_reference_is_stable_and_distinguishes_repeated_entries():
    entries = [
        entry_xml(amount="10.00", ntry_ref="7"),
        entry_xml(amount="10.00", remittance="Spende"),
        entry_xml(amount="10.00", remittance="Spende"),  # the same again: a second credit
    ]
    credits, _ = read(camt_document(entries))
    again, _ = read(camt_document(entries, message_id="OTHER-FILE"))

    assert credits[0].bank_reference == "N:7:2026-03-16:1000"
    assert credits[1].bank_reference.startswith("H:")
    assert credits[2].bank_reference == credits[1].bank_reference + "#2"
    assert [c.bank_reference for c in again] == [c.bank_reference for c in credits]


def test_a_credit_reversal_is_reported_and_not_yielded():
    xml = camt_document([entry_xml(amount="45.00", reversal=True, acct_svcr_ref="RV1")])

    credits, summary = read(xml)

    assert credits == []
    assert [(r.direction, r.bank_reference) for r in summary.reversals] == [("CRDT", "RV1")]


def test_broken_xml_is_refused_with_its_line():
    with pytest.raises(CamtError) as refused:
        read(fixture("broken.xml", amount="18.00", kz="530000000120"))
    assert refused.value.line == 25
    assert "kein vollständiges, gültiges XML" in str(refused.value)
    assert str(refused.value).startswith("Zeile 25: ")


def test_a_file_that_ends_too_early_is_refused():
    xml = camt_document([entry_xml(amount="18.00", acct_svcr_ref="R1")])
    with pytest.raises(CamtError, match="kein vollständiges"):
        read(xml[: len(xml) // 2])


@pytest.mark.parametrize(
    ("xml", "says"),
    [
        (fixture("pain_008_001_08.xml"), "Lastschriftauftrag (pain.008)"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"/>',
            "Einzelumsätze (camt.054)",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.01"/>',
            "nicht unterstützt",
        ),
        (b"<Kontoauszug><Ntry/></Kontoauszug>", "Wurzelelement ist „Kontoauszug“"),
        (b"<Document><BkToCstmrStmt/></Document>", "Namensraum ist „keiner“"),
        (b"%PDF-1.7\n", "kein vollständiges, gültiges XML"),
    ],
)
def test_other_files_are_refused_and_named(xml, says):
    with pytest.raises(CamtError) as refused:
        read(xml)
    assert says in str(refused.value)


def test_a_doctype_with_entities_is_refused_before_anything_is_resolved():
    with pytest.raises(CamtError) as refused:
        read(fixture("xxe.xml"))
    assert "DOCTYPE" in refused.value.message
    assert "root:" not in str(refused.value)


def test_a_file_above_the_limit_is_refused_while_it_is_read(settings):
    settings.PAYMENT_CAMT_MAX_BYTES = 4096
    xml = camt_document(entry_xml(amount="1.00", acct_svcr_ref=f"R{n}") for n in range(50))

    with pytest.raises(CamtError, match="größer als"):
        read(xml)


@pytest.mark.parametrize(
    ("replace", "says"),
    [
        ('<Amt Ccy="EUR">18.00</Amt>', "Währung"),
        ("<CdtDbtInd>CRDT</CdtDbtInd>", "Soll/Haben"),
        ("<IBAN>DE89370400440532013000</IBAN>", "keine IBAN"),
        ("<MsgId>STMT-2026-03-16-0001</MsgId>", "Nachrichtenkennung"),
        ("<Dt>2026-03-16</Dt>", "kein gültiges Datum"),
        ("<IBAN>DE89370400440532013000</IBAN>", "keine gültige IBAN"),
    ],
)
def test_missing_mandatory_fields_are_refused_with_what_is_missing(replace, says):
    xml = camt_document([entry_xml(amount="18.00", acct_svcr_ref="R1")]).decode()
    broken = {
        "Währung": '<Amt Ccy="">18.00</Amt>',
        "Soll/Haben": "<CdtDbtInd>CREDIT</CdtDbtInd>",
        "keine IBAN": "<Othr><Id>12345</Id></Othr>",
        "Nachrichtenkennung": "<MsgId> </MsgId>",
        "kein gültiges Datum": "<Dt>16.03.2026</Dt>",
        "keine gültige IBAN": "<IBAN>DE89370400440532013001</IBAN>",
    }[says]
    assert replace in xml

    with pytest.raises(CamtError) as refused:
        read(xml.replace(replace, broken, 1).encode())

    assert says in refused.value.message and refused.value.line


def test_a_large_file_is_read_entry_by_entry():
    count = 20_000
    xml = camt_document(
        entry_xml(amount=f"{n % 90 + 1}.{n % 100:02d}", acct_svcr_ref=f"R{n:06d}")
        for n in range(count)
    )

    reader = CamtReader(xml)
    seen = 0
    for credit in reader.credits():
        seen += 1
        last = credit

    assert seen == count == reader.summary.credits
    assert last.bank_reference == f"R{count - 1:06d}"
