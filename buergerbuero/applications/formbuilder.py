"""Django forms built from a form definition, one per step.

A step's fields become plain Django form fields with flat names: an address ``adresse``
becomes ``adresse__street``, ``adresse__postcode`` and ``adresse__city``; item 2 of a
repeatable group ``haushalt`` has ``haushalt__2__name``. Server-side validation is the
truth: conditions are evaluated on the answers so far plus what this step's data says,
a hidden field is never required, and its answer is dropped.

Forms are always bound — to what was typed (``Application.raw``) or to the saved answers
turned back into form data — so that what a citizen entered is shown exactly as entered.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from buergerbuero.core.widgets import DateField

from .definition import FieldSpec, FormDefinitionDocument, Step

YES, NO = "ja", "nein"
POSTCODE_ATTRS = {"autocomplete": "postal-code", "inputmode": "numeric", "size": 5}
POSTCODE = RegexValidator(r"^\d{5}$", _("Eine Postleitzahl hat fünf Ziffern, z. B. 50667."))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True
    template_name = "django/forms/widgets/file.html"  # no "clear" checkbox: removal is ours


class PhoneField(forms.CharField):
    default_error_messages = {
        "invalid": _("Bitte geben Sie eine gültige Telefonnummer ein, z. B. 0221 12345678."),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            number = phonenumbers.parse(value, "DE")
        except phonenumbers.NumberParseException:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class IbanField(forms.CharField):
    default_error_messages = {
        "invalid": _(
            "Diese IBAN ist nicht gültig. Bitte prüfen Sie sie; eine deutsche IBAN beginnt "
            "mit DE und hat 22 Zeichen."
        ),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return IBAN(value).formatted
        except SchwiftyException:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


def _text(value) -> str:
    return str(value) if value is not None else ""


def _yes_no_choices():
    return [(YES, _("Ja")), (NO, _("Nein"))]


def _simple_field(spec: FieldSpec) -> forms.Field:
    """The Django field of one non-composite spec (inside groups too)."""
    common = {"label": _text(spec.label), "help_text": _text(spec.hint), "required": False}
    kind = spec.type
    if kind == "text":
        attrs = {"autocomplete": spec.autocomplete} if spec.autocomplete else {}
        return forms.CharField(
            max_length=spec.max_length or 200, widget=forms.TextInput(attrs=attrs), **common
        )
    if kind == "textarea":
        return forms.CharField(
            max_length=spec.max_length or 5000, widget=forms.Textarea(attrs={"rows": 5}), **common
        )
    if kind == "number":
        mode = "decimal" if spec.decimals else "numeric"
        return forms.DecimalField(
            min_value=spec.min,
            max_value=spec.max,
            decimal_places=spec.decimals,
            max_digits=12,
            localize=True,
            widget=forms.TextInput(attrs={"inputmode": mode, "class": "number-input"}),
            error_messages={"invalid": _("Bitte geben Sie eine Zahl ein.")},
            **common,
        )
    if kind == "date":
        return DateField(**common)
    if kind == "email":
        return forms.EmailField(
            widget=forms.EmailInput(attrs={"autocomplete": spec.autocomplete or "email"}),
            error_messages={
                "invalid": _("Bitte geben Sie eine E-Mail-Adresse ein, z. B. name@beispiel.de.")
            },
            **common,
        )
    if kind == "phone":
        return PhoneField(
            max_length=40, widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            **common,
        )  # fmt: skip
    if kind == "iban":
        return IbanField(
            max_length=42, widget=forms.TextInput(attrs={"autocomplete": "off"}), **common
        )
    if kind == "yesno":
        return forms.ChoiceField(choices=_yes_no_choices(), widget=forms.RadioSelect, **common)
    if kind == "choice":
        choices = [(o.value, _text(o.label)) for o in spec.options]
        if spec.widget == "checkbox":
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        if spec.widget == "select":
            return forms.ChoiceField(choices=[("", _("Bitte wählen"))] + choices, **common)
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    raise ValueError(f"no simple field for type {kind}")


# -- answers <-> form data --------------------------------------------------------------


def _value_to_data(spec: FieldSpec, value: Any, name: str) -> dict[str, list[str]]:
    """One answer as the form data that shows it (the inverse of cleaning)."""
    if value in (None, ""):
        return {}
    if spec.type == "date":
        day = dt.date.fromisoformat(value)
        return {
            f"{name}_0": [str(day.day)],
            f"{name}_1": [str(day.month)],
            f"{name}_2": [str(day.year)],
        }
    if spec.type == "yesno":
        return {name: [YES if value else NO]}
    if spec.type == "choice" and spec.widget == "checkbox":
        return {name: list(value)}
    if spec.type == "number":
        return {name: [str(value).replace(".", ",")]}
    if spec.type == "address":
        return {f"{name}__{part}": [value.get(part, "")] for part in ("street", "postcode", "city")}
    return {name: [str(value)]}


def answers_to_data(step: Step, answers: dict[str, Any]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for spec in step.fields:
        if spec.type == "group":
            items = answers.get(spec.key) or []
            data[f"{spec.key}__count"] = [str(len(items))]
            for index, item in enumerate(items):
                for sub in spec.fields:
                    data.update(
                        _value_to_data(sub, item.get(sub.key), f"{spec.key}__{index}__{sub.key}")
                    )
        elif spec.stores_answer and spec.type != "file":
            data.update(_value_to_data(spec, answers.get(spec.key), spec.key))
    return data


def _preview(spec: FieldSpec, data: QueryDict, name: str) -> Any:
    """What an answer would be, read leniently from raw data (for conditions and the
    computed values shown while the citizen types)."""
    if spec.type == "group":
        count = _int(data.get(f"{name}__count"), 0)
        return [
            {sub.key: _preview(sub, data, f"{name}__{i}__{sub.key}") for sub in spec.fields}
            for i in range(count)
        ]
    if spec.type == "choice" and spec.widget == "checkbox":
        return data.getlist(name)
    if spec.type == "address":
        return {part: data.get(f"{name}__{part}", "") for part in ("street", "postcode", "city")}
    if spec.type == "date":
        return None
    value = data.get(name)
    if spec.type == "yesno":
        return {YES: True, NO: False}.get(value)
    if spec.type == "number" and value:
        # German input: "1.234,50" -> "1234.50"; "2,5" -> "2.5"; "1234.5" stays
        return value.replace(".", "").replace(",", ".") if "," in value else value
    return value


def _jsonable(spec: FieldSpec, value: Any) -> Any:
    if value in (None, "", []):
        return None
    if spec.type == "yesno":
        return value == YES
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # "10", not "1E+1"; "2.50" stays as typed (its decimals are the field's)
        return str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value)
    return value


# -- the form --------------------------------------------------------------------------


class StepForm(forms.Form):
    """The form of one step. ``answers`` are those of all steps so far (for conditions);
    ``documents`` maps a file field's key to the documents already uploaded for it."""

    def __init__(
        self,
        definition: FormDefinitionDocument,
        step: Step,
        *,
        data: QueryDict,
        answers: dict[str, Any],
        documents: dict[str, list] | None = None,
        prefilled: set[str] = frozenset(),
        **kwargs,
    ):
        super().__init__(data=data, **kwargs)
        self.definition = definition
        self.step = step
        self.documents = documents or {}
        self.prefilled = prefilled
        self.preview = {**answers, **{s.key: _preview(s, data, s.key) for s in step.fields}}
        self.group_counts: dict[str, int] = {}
        self.file_errors: dict[str, list[str]] = {}
        for spec in step.fields:
            self._add(spec)

    def visible(self, spec: FieldSpec) -> bool:
        return spec.show_if is None or spec.show_if.holds(self.preview)

    def required(self, spec: FieldSpec) -> bool:
        if not spec.required or not self.visible(spec):
            return False
        return spec.required_if is None or spec.required_if.holds(self.preview)

    def _add(self, spec: FieldSpec) -> None:
        key = spec.key
        if spec.type in ("computed", "info"):
            return
        if spec.type == "address":
            self.fields[f"{key}__street"] = forms.CharField(
                label=_("Straße und Hausnummer"), max_length=200, required=False,
                widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
            )  # fmt: skip
            self.fields[f"{key}__postcode"] = forms.CharField(
                label=_("Postleitzahl"), max_length=5, required=False, validators=[POSTCODE],
                widget=forms.TextInput(attrs=POSTCODE_ATTRS),
            )  # fmt: skip
            self.fields[f"{key}__city"] = forms.CharField(
                label=_("Ort"), max_length=100, required=False,
                widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
            )  # fmt: skip
            for part in ("street", "postcode", "city"):
                _require(self.fields[f"{key}__{part}"], spec, self.required(spec))
            return
        if spec.type == "file":
            attrs = {"accept": _accept(spec)}
            if spec.capture:
                attrs["capture"] = "environment"
            widget = (
                MultipleFileInput(attrs=attrs) if spec.multiple else forms.FileInput(attrs=attrs)
            )
            self.fields[key] = forms.FileField(
                label=_text(spec.label), help_text=_text(spec.hint), required=False, widget=widget
            )
            existing = [(str(d.pk), d.name) for d in self.documents.get(key, [])]
            self.fields[f"{key}__remove"] = forms.MultipleChoiceField(
                label=_("Entfernen"), choices=existing, required=False,
                widget=forms.CheckboxSelectMultiple,
            )  # fmt: skip
            return
        if spec.type == "group":
            count = _int(self.data.get(f"{key}__count"), spec.min_items)
            count = max(min(count, spec.max_items), spec.min_items if self.visible(spec) else 0)
            self.group_counts[key] = count
            self.fields[f"{key}__count"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False
            )
            for index in range(count):
                for sub in spec.fields:
                    field = _simple_field(sub)
                    _require(field, sub, sub.required and self.visible(spec))
                    self.fields[f"{key}__{index}__{sub.key}"] = field
            return
        field = _simple_field(spec)
        _require(field, spec, self.required(spec))
        self.fields[key] = field

    # -- rendering helpers ---------------------------------------------------------

    def items(self) -> list[dict[str, Any]]:
        """What the step template renders, in order: one entry per spec."""
        items = []
        for spec in self.step.fields:
            item: dict[str, Any] = {
                "spec": spec,
                "type": spec.type,
                "visible": self.visible(spec),
                "required": self.required(spec),
                "prefilled": spec.key in self.prefilled,
                "show_if": _condition_json(spec),
            }
            key = spec.key
            if spec.type == "address":
                item["parts"] = [self[f"{key}__{p}"] for p in ("street", "postcode", "city")]
            elif spec.type == "file":
                item["field"] = self[key]
                item["documents"] = self.documents.get(key, [])
                item["remove"] = self[f"{key}__remove"]
                item["errors"] = self.file_errors.get(key, [])
            elif spec.type == "group":
                item["count"] = self.group_counts[key]
                item["rows"] = [
                    [self[f"{key}__{i}__{sub.key}"] for sub in spec.fields]
                    for i in range(self.group_counts[key])
                ]
                item["can_add"] = self.group_counts[key] < spec.max_items
                item["can_remove"] = self.group_counts[key] > spec.min_items
            elif spec.type == "computed":
                value = self.definition.computed_value(spec, self.preview)
                if spec.compute != "fee_total":  # fees: the |cents filter formats them
                    number = formats.number_format(value, use_l10n=True, force_grouping=True)
                    value = f"{number} {spec.unit}".strip()
                item["value"] = value
            elif spec.type != "info":
                item["field"] = self[key]
            items.append(item)
        return items

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor id, message) for the error summary, in the order of the fields."""
        links = []
        for error in self.non_field_errors():
            links.append(("", str(error)))
        for name in self.fields:
            if name in self.errors:
                bound = self[name]
                # Fieldsets (choices, date parts) are linked as a whole, as the KERN
                # error summary of core/templates/kern/forms/form.html does.
                grouped = bound.kern_kind in ("choices", "parts")
                anchor = bound.auto_id if grouped else bound.id_for_label
                links.extend((anchor, f"{bound.label}: {e}") for e in self.errors[name])
        for key, messages in self.file_errors.items():
            links.extend(
                (f"id_{key}", f"{_text(self.definition.field(key).label)}: {m}") for m in messages
            )
        return links

    # -- validation ----------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        for spec in self.step.fields:
            if not self.visible(spec):
                continue
            if spec.type == "file" and self.required(spec):
                removed = cleaned.get(f"{spec.key}__remove", [])
                kept = [d for d in self.documents.get(spec.key, []) if str(d.pk) not in removed]
                if not kept and not self.file_errors.get(spec.key):
                    self.add_error(spec.key, _("Bitte laden Sie eine Datei hoch."))
            elif spec.type == "date":
                self._check_date_range(spec, cleaned.get(spec.key))
            elif spec.type == "address" and spec.address_check:
                self._check_address(spec, cleaned)
        return cleaned

    def _check_date_range(self, spec: FieldSpec, value: dt.date | None) -> None:
        if value is None:
            return
        today = timezone.localdate()
        if spec.date_range == "past" and value > today:
            self.add_error(spec.key, _("Das Datum darf nicht in der Zukunft liegen."))
        elif spec.date_range == "future" and value < today:
            self.add_error(spec.key, _("Das Datum darf nicht in der Vergangenheit liegen."))

    def _check_address(self, spec: FieldSpec, cleaned: dict) -> None:
        street = _normalise_street(cleaned.get(f"{spec.key}__street") or "")
        postcode = cleaned.get(f"{spec.key}__postcode") or ""
        if not street or not postcode:
            return
        streets = self.definition.lists[spec.address_check.list].streets
        if not any(
            postcode == entry.get("postcode")
            and street.startswith(_normalise_street(entry["street"]))
            for entry in streets
        ):
            self.add_error(f"{spec.key}__street", _text(spec.address_check.message))

    def step_answers(self) -> dict[str, Any]:
        """The validated answers of this step as JSON values (hidden fields dropped)."""
        cleaned = self.cleaned_data
        answers: dict[str, Any] = {}
        for spec in self.step.fields:
            key = spec.key
            if not spec.stores_answer or spec.type == "file":
                continue
            if not self.visible(spec):
                answers[key] = None
            elif spec.type == "address":
                answers[key] = {
                    p: cleaned.get(f"{key}__{p}", "") for p in ("street", "postcode", "city")
                }
            elif spec.type == "group":
                answers[key] = [
                    {
                        sub.key: _jsonable(sub, cleaned.get(f"{key}__{i}__{sub.key}"))
                        for sub in spec.fields
                    }
                    for i in range(self.group_counts[key])
                ]
            else:
                answers[key] = _jsonable(spec, cleaned.get(key))
        return answers


def _require(field: forms.Field, spec: FieldSpec, required: bool) -> None:
    """Server-side truth of "required", with a message that fits the kind of field."""
    field.required = required
    if spec.type in ("choice", "yesno"):
        message = _("Bitte wählen Sie eine Antwort.")
    elif spec.type == "date":
        message = DateField.default_error_messages["required"]
    else:
        message = _("Bitte füllen Sie dieses Feld aus.")
    field.error_messages = {**field.error_messages, "required": message}


def _accept(spec: FieldSpec) -> str:
    kinds = {"pdf": "application/pdf,.pdf", "image": "image/jpeg,image/png,image/webp"}
    return ",".join(kinds[k] for k in spec.accept)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _normalise_street(street: str) -> str:
    street = street.casefold().replace("ß", "ss").replace("str.", "strasse")
    return " ".join(street.replace("-", " ").split())


def _condition_json(spec: FieldSpec) -> str:
    if spec.show_if is None:
        return ""
    return json.dumps(spec.show_if.model_dump(by_alias=True, exclude_none=True), default=str)
