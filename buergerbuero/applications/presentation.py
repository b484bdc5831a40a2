"""Answers as text for people: the summary page, the receipt PDF, the case file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from buergerbuero.payments.money import format_cents

from .definition import FieldSpec, FormDefinitionDocument
from .models import Application


def answer_text(spec: FieldSpec, value: Any) -> str:
    if value in (None, "", []):
        return ""
    if spec.type == "yesno":
        return _("Ja") if value else _("Nein")
    if spec.type == "date":
        return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    if spec.type == "choice":
        labels = {o.value: str(o.label) for o in spec.options}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, v) for v in values)
    if spec.type == "address":
        street, postcode, city = (value.get(p, "") for p in ("street", "postcode", "city"))
        return f"{street}\n{postcode} {city}".strip()
    if spec.type == "number":
        text = formats.number_format(value, use_l10n=True, force_grouping=True)
        return f"{text} {spec.unit}".strip()
    return str(value)


def summary_sections(application: Application) -> list[dict[str, Any]]:
    """Per visible step: its title and (label, text) rows; groups as items of rows;
    uploaded files by name. Hidden fields and steps are left out."""
    spec: FormDefinitionDocument = application.definition.spec
    answers = application.answers
    documents: dict[str, list] = {}
    for document in application.documents.filter(kind="upload"):
        documents.setdefault(document.field_key, []).append(document)
    sections = []
    for step in spec.visible_steps(answers):
        rows = []
        for field in step.fields:
            if not spec.is_visible(field, answers) or field.type == "info":
                continue
            row: dict[str, Any] = {"label": str(field.label), "key": field.key, "value": ""}
            if field.type == "group":
                row["group_items"] = [
                    [
                        {"label": str(sub.label), "value": answer_text(sub, item.get(sub.key))}
                        for sub in field.fields
                    ]
                    for item in answers.get(field.key) or []
                ]
            elif field.type == "file":
                row["value"] = "\n".join(d.name for d in documents.get(field.key, [])) or _(
                    "keine Datei"
                )
            elif field.type == "computed":
                value = spec.computed_value(field, answers)
                row["value"] = (
                    format_cents(value)
                    if field.compute == "fee_total"
                    else answer_text(field, str(value))
                )
            else:
                row["value"] = answer_text(field, answers.get(field.key)) or "–"
            rows.append(row)
        sections.append({"key": step.key, "title": str(step.title), "rows": rows})
    return sections


def fee_summary(application: Application) -> dict[str, Any] | None:
    spec = application.definition.spec
    lines = spec.fee_lines(application.answers)
    if not lines:
        return None
    return {
        "total_cents": sum(amount for _l, _q, amount in lines),
        "lines": [
            {"label": f"{label}{f' × {quantity}' if quantity > 1 else ''}", "amount_cents": amount}
            for label, quantity, amount in lines
        ],
    }


def applicant_address_lines(application: Application) -> list[str]:
    for field in application.definition.spec.all_fields():
        if field.type == "address" and field.prefill == "address":
            value = application.answers.get(field.key)
            if value:
                return [
                    value.get("street", ""),
                    f"{value.get('postcode', '')} {value.get('city', '')}",
                ]
    user = application.user
    if user and user.street:
        return [user.street, f"{user.postcode} {user.city}"]
    return []
