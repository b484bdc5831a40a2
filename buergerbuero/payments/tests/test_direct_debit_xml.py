"""The pain.008 files: valid against the official XSD (checked with lxml, not with
sepaxml's own validation) and saying what the city means to collect."""

from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
from lxml import etree

from buergerbuero.payments import direct_debit, services

from .test_direct_debit import EARLIEST, IBAN, OTHER_IBAN, TODAY, make_mandate, make_reference

pytestmark = pytest.mark.django_db

SCHEMA = Path(sepaxml.__file__).resolve().parent / "schemas" / "pain.008.001.08.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
AUSTRIAN_IBAN = "AT611904300234573201"  # schwifty knows no BIC for it


def official_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def text(node, path):
    return node.findtext(path, namespaces=NS)


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_user(username="kassiererin", is_staff=True)


@pytest.fixture
def run(django_user_model, clerk):
    """A file of three collections: two first (one without a BIC), one recurring."""
    citizen = django_user_model.objects.create_user(username="halter", email="h@example.org")
    recurring = make_reference(citizen, purpose="dog_tax:1", amount_cents=12000)
    make_mandate(recurring, debtor_name="Jürgen Weiß")
    [earlier] = direct_debit.run_create(
        collection_date=EARLIEST, user=clerk, today=TODAY
    ).collections.all()
    services.transition(earlier, "paid", source="bank_statement", detail="Gutschrift")
    make_reference(citizen, purpose="dog_tax:1", amount_cents=24005)  # next year: 120,05 €
    first = make_reference(citizen, purpose="dog_tax:2", amount_cents=7550)
    make_mandate(first, iban=OTHER_IBAN, debtor_name="Ayşe Öztürk")
    no_bic = make_reference(citizen, purpose="dog_tax:3", amount_cents=99)
    make_mandate(no_bic, iban=AUSTRIAN_IBAN, debtor_name="Franz Huber")
    return direct_debit.run_create(collection_date=EARLIEST, user=clerk, today=TODAY)


@pytest.fixture
def document(run):
    return etree.fromstring(bytes(run.xml))


def transactions(document):
    return {
        text(tx, "p:PmtId/p:EndToEndId"): tx
        for tx in document.iterfind(".//p:DrctDbtTxInf", namespaces=NS)
    }


def test_the_file_is_valid_against_the_official_schema(document):
    schema = official_schema()
    assert schema.validate(document), schema.error_log


def test_the_schema_refuses_a_file_without_a_required_element(document):
    for node in document.iterfind(".//p:ReqdColltnDt", namespaces=NS):
        node.getparent().remove(node)

    schema = official_schema()
    assert not schema.validate(document)
    assert "ReqdColltnDt" in str(schema.error_log)
    with pytest.raises(direct_debit.Pain008Invalid, match="ReqdColltnDt"):
        direct_debit.pain008_validate(etree.tostring(document))


def test_a_file_without_the_creditor_identifier_is_refused_by_our_check(document):
    # ISO 20022 leaves CdtrSchmeId optional (it may sit on each transaction instead); the
    # EPC rulebook requires it, and so does our check after the XSD.
    for node in document.iterfind(".//p:CdtrSchmeId", namespaces=NS):
        node.getparent().remove(node)

    assert official_schema().validate(document)
    with pytest.raises(direct_debit.Pain008Invalid, match="CdtrSchmeId"):
        direct_debit.pain008_validate(etree.tostring(document))


def test_our_check_accepts_the_file_as_generated(run):
    direct_debit.pain008_validate(bytes(run.xml))


def test_the_header_names_the_run_the_creditor_and_the_totals(run, document):
    header = document.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    assert text(header, "p:MsgId") == run.message_id
    assert text(header, "p:NbOfTxs") == "3"
    assert Decimal(text(header, "p:CtrlSum")) == Decimal("196.54")  # 120,05 + 75,50 + 0,99
    assert run.total_cents == 19654
    assert text(header, "p:InitgPty/p:Id/p:OrgId/p:Othr/p:Id") == "DE98ZZZ09999999999"


def test_each_payment_block_carries_the_creditor_and_the_collection_date(document):
    blocks = document.findall(".//p:PmtInf", NS)
    assert sorted(text(b, "p:PmtTpInf/p:SeqTp") for b in blocks) == ["FRST", "RCUR"]
    for block in blocks:
        assert text(block, "p:PmtMtd") == "DD"
        assert text(block, "p:BtchBookg") == "false"  # one credit per collection
        assert text(block, "p:PmtTpInf/p:LclInstrm/p:Cd") == "CORE"
        assert text(block, "p:ReqdColltnDt") == EARLIEST.isoformat()
        assert text(block, "p:Cdtr/p:Nm") == "Stadtkasse Koeln"
        assert text(block, "p:CdtrAcct/p:Id/p:IBAN") == "DE89370400440532013000"
        assert text(block, "p:CdtrAgt/p:FinInstnId/p:BICFI") == "COBADEFFXXX"
        assert text(block, "p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id") == "DE98ZZZ09999999999"
        amounts = [
            Decimal(a.text) for a in block.iterfind("p:DrctDbtTxInf/p:InstdAmt", namespaces=NS)
        ]
        assert Decimal(text(block, "p:CtrlSum")) == sum(amounts)
        assert int(text(block, "p:NbOfTxs")) == len(amounts)


def test_each_collection_is_identified_by_its_payment_and_its_mandate(run, document):
    by_end_to_end = transactions(document)
    collections = {p.uuid.hex: p for p in run.collections.select_related("mandate", "reference")}
    assert by_end_to_end.keys() == collections.keys()
    for end_to_end_id, tx in by_end_to_end.items():
        payment = collections[end_to_end_id]
        mandate = payment.mandate
        amount = tx.find("p:InstdAmt", NS)
        assert (amount.get("Ccy"), Decimal(amount.text)) == (
            "EUR",
            Decimal(payment.amount_cents) / 100,
        )
        info = "p:DrctDbtTx/p:MndtRltdInf/"
        assert text(tx, info + "p:MndtId") == mandate.mandate_reference
        assert text(tx, info + "p:DtOfSgntr") == mandate.signed_on.isoformat()
        assert text(tx, "p:DbtrAcct/p:Id/p:IBAN") == mandate.iban
        assert payment.reference.code_display in text(tx, "p:RmtInf/p:Ustrd")
        assert text(tx, "p:RmtInf/p:Ustrd").startswith("Kassenzeichen ")


def test_debtors_appear_with_their_bic_or_notprovided_and_names_in_the_sepa_set(document):
    by_iban = {text(tx, "p:DbtrAcct/p:Id/p:IBAN"): tx for tx in transactions(document).values()}
    assert by_iban.keys() == {IBAN, OTHER_IBAN, AUSTRIAN_IBAN}
    agent = "p:DbtrAgt/p:FinInstnId/"
    assert text(by_iban[IBAN], agent + "p:BICFI") == "COBADEFFXXX"
    assert text(by_iban[OTHER_IBAN], agent + "p:BICFI") == "BYLADEM1001"
    assert text(by_iban[AUSTRIAN_IBAN], agent + "p:Othr/p:Id") == "NOTPROVIDED"
    assert text(by_iban[IBAN], "p:Dbtr/p:Nm") == "Juergen Weiss"
    assert text(by_iban[OTHER_IBAN], "p:Dbtr/p:Nm") == "Ayse Oeztuerk"


def test_sequence_types_follow_the_mandates_history(run, document):
    recurring = run.collections.get(reference__purpose="dog_tax:1")
    for block in document.findall(".//p:PmtInf", NS):
        ids = {text(tx, "p:PmtId/p:EndToEndId") for tx in block.findall("p:DrctDbtTxInf", NS)}
        if text(block, "p:PmtTpInf/p:SeqTp") == "RCUR":
            assert ids == {recurring.uuid.hex}
        else:
            assert len(ids) == 2 and recurring.uuid.hex not in ids
