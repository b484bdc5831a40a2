"""Journeys 2 and 9 in a real browser: Mehmet registers his dog online with a photo and the
fee, Frau Becker asks for one more document, he sends it, she approves, and he downloads
the notice as a PDF. Every form step is checked with axe-core; the Mängelmelder is filed
by keyboard alone."""

from __future__ import annotations

import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from pypdf import PdfReader

pytestmark = pytest.mark.e2e

axe = Axe()
RULESETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def photo(name: str = "versicherung.png") -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": png_bytes()}


def assert_accessible(page, where: str) -> None:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": RULESETS}})
    violations = results.response["violations"]
    assert not violations, f"{where}: " + "; ".join(
        f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes'][:3]]}" for v in violations
    )


# Demo accounts of the administration log in at the staff login (identity/staff/).
STAFF_ACCOUNTS = {"admin", "katalog", "becker", "schulz", "kasse", "leitung", "krisenstab"}


def log_in(page, username: str, password: str) -> None:
    staff = username in STAFF_ACCOUNTS or username.startswith("sb-")
    page.goto("/verwaltung/anmelden/" if staff else "/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()


def log_out(page) -> None:
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_load_state()


def date_parts(page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=re.compile(legend))
    group.get_by_label("Tag").fill(day)
    group.get_by_label("Monat").fill(month)
    group.get_by_label("Jahr").fill(year)


def next_step(page, *, expect_errors: bool = False) -> None:
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.wait_for_load_state()
    alerts = page.locator(".error-summary")
    if not expect_errors:
        assert not alerts.count(), alerts.first.inner_text()


def test_dog_registration_from_application_to_notice(page):
    # -- Mehmet applies ------------------------------------------------------------
    log_in(page, "buerger", "koeln-buerger")
    page.goto("/leistungen/hund-anmelden/")
    page.get_by_role("link", name="Online beantragen").click()
    assert_accessible(page, "start page")
    page.get_by_role("button", name="Antrag beginnen").click()

    # Step 1: prefilled from the account, visibly marked
    assert page.get_by_label("Name", exact=False).first.input_value() == "Mehmet Yılmaz"
    assert page.get_by_text("Aus Ihrem Konto übernommen").first.is_visible()
    assert_accessible(page, "step Halter")
    next_step(page)

    # Step 2: a mistake first — the message is next to the field and in the summary
    page.get_by_label("Name des Hundes").fill("Bello")
    next_step(page, expect_errors=True)
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Name des Hundes").input_value() == "Bello"  # kept
    assert_accessible(page, "step Hund with errors")
    page.get_by_label("Rasse").fill("Labrador")
    page.get_by_label("Farbe").fill("schwarz")
    page.get_by_role("group", name=re.compile("Geschlecht")).get_by_label("Rüde").check()
    date_parts(page, "Geburtsdatum des Hundes", "3", "5", "2024")
    date_parts(page, "Seit wann", "1", "10", "2026")
    page.get_by_label("Schulterhöhe").fill("58")
    page.get_by_label("Gewicht").fill("31")
    page.get_by_role("group", name=re.compile("großer Hund")).get_by_label("Ja").check()
    page.get_by_role("group", name=re.compile("gefährlicher Hund")).get_by_label("Nein").check()
    page.get_by_label("Nummer des Mikrochips").fill("276098100123456")
    next_step(page)

    # Step 3 (large dog): the liability insurance, photographed with the phone
    assert_accessible(page, "step LHundG")
    upload = page.locator("input[type=file][name=versicherung]")
    assert upload.get_attribute("capture") == "environment"
    upload.set_input_files(photo("versicherung.png"))
    page.locator("input[type=file][name=sachkunde]").set_input_files(photo("sachkunde.png"))
    next_step(page)

    # Step 4: tax, SEPA direct debit
    assert_accessible(page, "step Steuer")
    page.get_by_role(
        "group", name=re.compile("Steuervorteil|Ermäßigung|Steuer")
    ).first.get_by_label(re.compile("^Nein")).first.check()
    page.get_by_label(re.compile("Lastschrift")).check()
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    next_step(page)

    # Summary, then the fee (25 € for a large dog) with the test provider
    assert page.get_by_role("heading", name="Prüfen und absenden").is_visible()
    assert "25,00" in page.content()
    assert "Bello" in page.content()
    assert_accessible(page, "summary")
    page.get_by_label(re.compile("Ich versichere")).check()
    page.get_by_role("button", name="Weiter zur Zahlung").click()
    page.wait_for_load_state()
    assert "Testanbieter" in page.content()
    assert_accessible(page, "test payment provider")
    page.get_by_role("button", name="Bezahlen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Ihr Antrag ist eingegangen").is_visible()
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"K-\d{4}-\d{6}", reference)
    assert_accessible(page, "confirmation")
    log_out(page)

    # -- Frau Becker asks for a document ---------------------------------------------
    log_in(page, "becker", "koeln-becker")
    page.goto("/sachbearbeitung/")
    assert_accessible(page, "inbox")
    page.get_by_role("link", name=reference).click()
    page.wait_for_load_state()
    assert "Bello" in page.content()
    assert_accessible(page, "case")
    page.get_by_role("button", name="Übernehmen").click()
    page.wait_for_load_state()
    page.get_by_text("Unterlagen anfordern", exact=True).click()
    page.get_by_label("Welche Unterlage fehlt?").fill(
        "Bitte laden Sie den Impfpass Ihres Hundes hoch (Seite mit der Tollwutimpfung)."
    )
    page.get_by_role("button", name="Anfordern").click()
    page.wait_for_load_state()
    log_out(page)

    # -- Mehmet sends it from "Mein Bürgerbüro" --------------------------------------
    log_in(page, "buerger", "koeln-buerger")
    page.goto("/mein-buergerbuero/")
    assert_accessible(page, "Mein Bürgerbüro")
    page.get_by_role("link", name=reference).click()
    assert page.get_by_text("Impfpass").first.is_visible()
    assert_accessible(page, "my case with a request")
    page.get_by_label("Unterlage hochladen").set_input_files(photo("impfpass.png"))
    page.get_by_role("button", name="Hochladen und senden").click()
    page.wait_for_load_state()
    assert page.get_by_text("Ihre Unterlagen sind beim Amt eingegangen").is_visible()
    log_out(page)

    # -- Frau Becker approves: the notice is generated ----------------------------------
    log_in(page, "becker", "koeln-becker")
    page.goto("/sachbearbeitung/")
    page.get_by_role("link", name=reference).click()
    assert "impfpass" in page.content().lower()
    page.get_by_text("Bewilligen", exact=True).click()
    text = page.get_by_label("Text des Bescheids").first.input_value()
    assert "Bello" in text  # the service's template with the answers filled in
    page.get_by_role("button", name="Bewilligen und Bescheid erstellen").click()
    page.wait_for_load_state()
    log_out(page)

    # -- Mehmet downloads the notice ----------------------------------------------------
    log_in(page, "buerger", "koeln-buerger")
    page.goto("/mein-buergerbuero/")
    assert_accessible(page, "Mein Bürgerbüro with the dog tax to pay")
    page.get_by_role("link", name=reference, exact=True).click()
    assert_accessible(page, "case with the notice and the dog tax")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Bescheid-")).first.click()
    pdf = PdfReader(download_info.value.path())
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Hundesteuer" in text
    assert reference in text
    assert "Mehmet Yılmaz" in text or "Mehmet Y" in text
    assert "Rechtsbehelfsbelehrung" in text
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text).group(0)
    page.goto(f"/bescheid-pruefen/{code}/")
    assert page.get_by_text("Ja, dieser Bescheid ist echt.").is_visible()


def test_defect_report_by_keyboard_alone(page):
    """Mängelmelder, anonymous, without a mouse: Tab, type, Space, Enter."""
    page.goto("/antrag/maengelmelder/")
    page.get_by_role("button", name="Ohne Konto beginnen").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page, "Mängelmelder first step")
    steps = 0
    while not page.get_by_role("heading", name="Prüfen und absenden").is_visible():
        steps += 1
        assert steps < 6, "the form never reached the summary"
        _fill_by_keyboard(page)
        page.get_by_role("button", name="Weiter", exact=True).focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert not page.get_by_role("alert").count(), page.get_by_role("alert").inner_text()
    page.get_by_label(re.compile("Ich versichere")).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Verbindlich absenden").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="Ihr Antrag ist eingegangen").is_visible()


def _fill_by_keyboard(page) -> None:
    """Tab through the visible fields of the step and answer each required one."""
    fields = page.locator(
        "form[data-autosave] input:visible, form[data-autosave] textarea:visible, "
        "form[data-autosave] select:visible"
    )
    seen_radio_groups = set()
    for index in range(fields.count()):
        field = fields.nth(index)
        kind = field.get_attribute("type") or field.evaluate("e => e.tagName.toLowerCase()")
        name = field.get_attribute("name") or ""
        if kind in ("hidden", "submit", "file") or name.endswith("__remove"):
            continue
        field.focus()
        if kind == "radio":
            if name not in seen_radio_groups:
                seen_radio_groups.add(name)
                page.keyboard.press("Space")
        elif kind == "checkbox":
            continue
        elif kind == "select":
            page.keyboard.press("ArrowDown")
        elif kind == "email":
            page.keyboard.type("melder@example.org")
        elif "postcode" in name:
            page.keyboard.type("50667")
        elif name.endswith(("_0", "_1")):
            page.keyboard.type("1")
        elif name.endswith("_2"):
            page.keyboard.type("2026")
        elif field.get_attribute("inputmode") in ("numeric", "decimal"):
            page.keyboard.type("1")
        elif not field.input_value():
            page.keyboard.type("Schlagloch vor Hausnummer 12")
