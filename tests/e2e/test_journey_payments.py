"""Journey 6 in a real browser: Jonas pays a parking fine from its letter — a typo in the
Kassenzeichen is caught, the GiroCode the browser shows is read back with a real QR
decoder, he pays online and downloads the receipt. Then the cash office refunds it with a
reason Jonas can read. Every page is checked with axe-core."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from buergerbuero.payments.tests.girocode_reading import epc_fields, qr_texts

from .test_journey_dog_registration import assert_accessible, log_in, log_out

pytestmark = pytest.mark.e2e

CODE = "5420 2610 0278"  # demo: Verwarnungsgeld VG-2026-119102, 20,00 €


def test_jonas_pays_his_parking_fine_and_the_cash_office_refunds_it(page):
    page.goto("/leistungen/verwarngeld-bezahlen/")
    page.get_by_role("link", name="Online bezahlen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Verwarngeld oder Gebühr bezahlen").is_visible()

    # a transposed pair of digits: the check digits catch it, what he typed stays
    page.get_by_label("Kassenzeichen").fill("5420 2610 0287")
    page.get_by_label("Betrag in Euro").fill("20,00")
    page.get_by_role("button", name="Forderung anzeigen").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.is_visible()
    assert "Prüfziffern" in page.content()
    assert page.get_by_label("Betrag in Euro").input_value() == "20,00"
    assert_accessible(page, "look-up with an error")

    # the error summary leads to the field; he corrects it by keyboard
    page.get_by_role("link", name=re.compile("Kassenzeichen:")).click()
    assert page.evaluate("document.activeElement.name") == "code"
    page.keyboard.press("Control+A")
    page.keyboard.type(CODE)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Parken ohne Parkschein" in page.content()
    assert_accessible(page, "payment page")

    # the GiroCode as the browser draws it, read by a real decoder
    girocode = page.locator("svg.girocode")
    (payload,) = qr_texts(girocode.screenshot())
    fields = epc_fields(payload)
    assert fields["iban"] == "DE89370400440532013000"
    assert fields["amount_cents"] == 2000
    assert CODE.replace(" ", "") in fields["text"]

    # or online
    page.get_by_role("button", name="20,00 € online bezahlen").click()
    page.wait_for_load_state()
    assert "Testanbieter" in page.content()
    page.get_by_role("button", name="Bezahlen").click()
    page.wait_for_load_state()
    assert page.get_by_text("Vielen Dank, die Zahlung ist eingegangen.").is_visible()
    assert page.get_by_text("Bezahlt. Vielen Dank!").is_visible()
    assert_accessible(page, "paid")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Quittung vom")).click()
    receipt = "\n".join(p.extract_text() for p in PdfReader(download_info.value.path()).pages)
    assert "Quittung" in receipt and CODE in receipt and "20,00" in receipt
    payment_page = page.url

    # -- the cash office refunds it ---------------------------------------------------
    log_in(page, "kasse", "koeln-kasse")
    page.goto("/kasse/")
    assert_accessible(page, "cash office overview")
    page.goto("/kasse/zahlungen/?q=" + CODE.replace(" ", "+"))
    assert_accessible(page, "payments search")
    page.locator("table a").first.click()
    page.wait_for_load_state()
    assert_accessible(page, "payment detail")
    page.get_by_role("button", name=re.compile("als erstattet vermerken")).click()
    page.wait_for_load_state()
    assert "Bitte geben Sie den Grund der Erstattung an." in page.content()
    assert_accessible(page, "refund form with an error")
    page.get_by_label("Grund der Erstattung").fill("Verwarnung zurückgenommen: Parkschein lag vor.")
    page.get_by_role("button", name=re.compile("als erstattet vermerken")).click()
    page.wait_for_load_state()
    assert "Die Erstattung ist vermerkt" in page.content()
    log_out(page)

    # -- Jonas sees the refund and why (his browser session unlocked the code) ----------
    # logging out (a shared computer) forgets the unlocked code: it must be typed again
    assert page.goto(payment_page).status == 404
    page.goto("/bezahlen/")
    page.get_by_label("Kassenzeichen").fill(CODE)
    page.get_by_label("Betrag in Euro").fill("20")
    page.get_by_role("button", name="Forderung anzeigen").click()
    page.wait_for_load_state()
    assert "Verwarnung zurückgenommen: Parkschein lag vor." in page.content()
