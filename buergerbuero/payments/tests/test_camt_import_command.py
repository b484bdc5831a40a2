"""manage.py camt_import: the drop-folder import for cron, with an exit code to alert on."""

import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from buergerbuero.payments.models import BankStatement, PaymentStatus
from buergerbuero.payments.references import reference_for

from .camt import camt_document, entry_xml, fixture

pytestmark = pytest.mark.django_db


def test_files_are_imported_and_the_report_printed(tmp_path, capsys):
    reference = reference_for(
        purpose=f"application:{uuid.uuid4()}", amount_cents=1800, description="Parkausweis"
    )
    good = tmp_path / "2026-03-16.xml"
    good.write_bytes(
        camt_document(
            [entry_xml(amount="18.00", remittance=reference.code_display, acct_svcr_ref="A")]
        )
    )

    call_command("camt_import", str(good))

    out = capsys.readouterr().out
    assert "„2026-03-16.xml“ eingelesen: 1 neue Gutschrift." in out
    assert "Zugeordnet: 1." in out and "Zu klären: 0" in out
    assert reference.payments.get().status == PaymentStatus.PAID

    call_command("camt_import", str(good))  # the folder again: harmless, exit code 0
    assert "bereits eingelesen am" in capsys.readouterr().out
    assert BankStatement.objects.count() == 1


def test_a_refused_file_exits_non_zero_and_the_others_are_imported(tmp_path, capsys):
    broken = tmp_path / "kaputt.xml"
    broken.write_bytes(fixture("broken.xml", amount="18.00", kz="x"))
    good = tmp_path / "gut.xml"
    good.write_bytes(camt_document([entry_xml(amount="5.00", acct_svcr_ref="B")]))

    with pytest.raises(CommandError) as failed:
        call_command("camt_import", str(broken), str(good), str(tmp_path / "fehlt.xml"))

    assert failed.value.returncode == 1 and "2 von 3 Dateien" in str(failed.value)
    err = capsys.readouterr().err
    assert "kaputt.xml" in err and "Zeile 25" in err and "nicht lesbar" in err
    assert list(BankStatement.objects.values_list("filename", flat=True)) == ["gut.xml"]
