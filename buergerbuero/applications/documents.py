"""The case file's PDFs: the receipt of an application and notices, from their contexts."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from buergerbuero.core.documents import (
    default_remedy_html,
    render_pdf,
)
from buergerbuero.core.templatetags.texts import markdown

from .models import Case, CaseStatus
from .presentation import applicant_address_lines, fee_summary, summary_sections


def receipt_context(case: Case) -> dict:
    application = case.application
    fee = fee_summary(application)
    if fee:
        fee["paid_at"] = _fee_paid_at(application)
    return {
        "reference": case.reference,
        "service_name": application.service.name,
        "department_name": case.department.name,
        "submitted_at": application.submitted_at,
        "applicant": {
            "name": case.applicant_name,
            "address_lines": applicant_address_lines(application),
        },
        "sections": summary_sections(application),
        "documents": [
            {"name": d.name, "size": d.size} for d in application.documents.filter(kind="upload")
        ],
        "fee": fee,
        "money": money_context(application),
    }


def _fee_paid_at(application):
    """When the fee was paid in full, or ``None`` (the citizen chose to transfer it)."""
    from buergerbuero.payments.models import PaymentStatus

    payment = (
        application_payments(application)
        .filter(status=PaymentStatus.PAID)
        .order_by("-paid_at")
        .first()
    )
    return payment.paid_at if payment else None


def application_payments(application):
    from buergerbuero.payments.models import Payment

    return Payment.objects.filter(purpose=application.payment_purpose)


def receipt_pdf(case: Case) -> bytes:
    language = case.application.language or "de"
    with translation.override(language):
        return render_pdf("documents/receipt.html", receipt_context(case), language=language)


def money_context(application) -> list[dict]:
    """What is owed under which Kassenzeichen, formatted for a document (active language)."""
    from buergerbuero.payments.money import format_cents

    from .charges import money_owed

    site = settings.SITE_URL.rstrip("/")
    return [
        {
            "label": owed.label,
            "code": owed.reference.code_display,
            "description": owed.reference.description,
            "owed": format_cents(owed.balance.owed_cents),
            "paid": format_cents(owed.balance.paid_cents) if owed.balance.paid_cents else "",
            "open": format_cents(owed.balance.open_cents) if owed.balance.open_cents else "",
            "due_date": owed.reference.due_date,
            "transfer": owed.transfer,
            "girocode": owed.girocode(),
            "mandate_reference": owed.mandate_reference,
            "creditor_id": owed.creditor_id,
            "pay_url": site + reverse("payments:reference", kwargs={"code": owed.reference.code}),
        }
        for owed in money_owed(application)
    ]


def notice_pdf(case: Case, *, decision: str, text: str, verification_code: str, user=None):
    """The notice's PDF bytes and its title."""
    from .casework import verification_url

    application = case.application
    spec = application.definition.spec
    language = application.language or "de"
    with translation.override(language):
        title = str(spec.notice.title) if spec.notice else application.service.name
        if decision == CaseStatus.REJECTED:
            title = f"{title} – {translation.gettext('Ablehnung')}"
        context = {
            "reference": case.reference,
            "service_name": application.service.name,
            "department_name": case.department.name,
            "issued_at": timezone.now(),
            "recipient": {
                "name": case.applicant_name,
                "address_lines": applicant_address_lines(application),
            },
            "caseworker_name": user.display_name if user else "",
            "title": title,
            "decision": str(decision),
            "body_html": markdown(text),
            "fee": fee_summary(application),
            "money": money_context(application),
            "remedy_html": remedy_html(case, language),
            "verification_url": settings.SITE_URL.rstrip("/") + verification_url(verification_code),
            "verification_code": verification_code,
        }
        template = "documents/notice.html"
        if spec.notice and spec.notice.kind == "permit" and decision == CaseStatus.APPROVED:
            template = "documents/permit.html"
            context["permit"] = permit_context(case)
        return render_pdf(template, context, language=language), title


def permit_context(case: Case) -> dict:
    from .presentation import answer_text

    spec = case.application.definition.spec
    answers = case.application.answers
    fields = []
    for key in spec.notice.permit_fields:
        field = spec.field(key)
        if field:
            fields.append(
                {"label": str(field.label), "value": answer_text(field, answers.get(key))}
            )
    valid_from = timezone.localdate()
    months = 12
    if spec.notice.valid_months_field:
        try:
            months = int(answers.get(spec.notice.valid_months_field) or 12)
        except ValueError:
            months = 12
    valid_until = _add_months(valid_from, months) - dt.timedelta(days=1)
    return {
        "title": str(spec.notice.title),
        "fields": fields,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


def remedy_html(case: Case, language: str):
    from buergerbuero.core.selectors import municipality_get

    notice = case.application.definition.spec.notice
    if notice is not None and notice.no_remedy:
        return ""
    if notice is not None and notice.remedy is not None:
        with translation.override(language):
            return markdown(str(notice.remedy))
    city = municipality_get()
    court = city.administrative_court or (
        "das zuständige Verwaltungsgericht" if language == "de" else "the competent court"
    )
    return default_remedy_html(city=city.name, court=court, language=language)
