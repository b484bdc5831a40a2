"""The demo's sample bank statement pays what is open, and the import places it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from buergerbuero.payments.demo import demo_statement_xml
from buergerbuero.payments.models import BankCredit, CreditMatch, PaymentReference
from buergerbuero.payments.reconciliation import statement_import
from buergerbuero.payments.selectors import balance_of

pytestmark = pytest.mark.django_db


def test_the_sample_statement_pays_the_open_kassenzeichen_and_leaves_one_to_clear():
    open_before = [r for r in PaymentReference.objects.all() if balance_of(r).open_cents]
    assert open_before  # the demo's warning fines

    xml = demo_statement_xml()
    report = statement_import(xml, filename="demo.xml")

    assert not report.refused, report.error
    assert all(
        balance_of(r).is_paid
        for r in PaymentReference.objects.filter(pk__in=[r.pk for r in open_before])
    )
    matches = set(BankCredit.objects.values_list("match", flat=True))
    assert CreditMatch.FUZZY in matches  # the swapped digits
    assert CreditMatch.UNMATCHED in matches  # the donation
    credits = BankCredit.objects.count()
    again = statement_import(xml, filename="demo.xml")  # the same file again changes nothing
    assert again.already_imported
    assert BankCredit.objects.count() == credits


def test_only_the_demo_serves_it(client, django_user_model, settings):
    clerk = django_user_model.objects.create_user(
        "kasse-demo", password="pw-123456789", is_staff=True
    )
    clerk.user_permissions.add(Permission.objects.get(codename="work_cash_office"))
    client.force_login(clerk)
    settings.STAFF_REQUIRE_2FA = False  # not what this test is about
    settings.DEMO_MODE = True
    response = client.get("/kasse/kontoauszuege/demo.xml")
    assert response.status_code == 200 and b"camt.053" in response.content
    settings.DEMO_MODE = False
    assert client.get("/kasse/kontoauszuege/demo.xml").status_code == 404
