"""Form definitions as data: what a service's online application asks, checks and costs.

A definition is one JSON document per service, validated here with pydantic, stored as a
versioned :class:`~buergerbuero.applications.models.FormDefinition` and edited by city
admins (admin screen, JSON import/export). ``docs/form-definitions.md`` describes the
format with examples; the shape in short::

    {"service": "hund-anmelden",
     "steps": [{"key": "hund", "title": {"de": "Ihr Hund", "en": "Your dog"},
                "fields": [{"key": "rasse", "type": "text", "label": {"de": "Rasse"}},
                           {"key": "gross", "type": "yesno", "label": {"de": "Großer Hund?"}},
                           {"key": "nachweis", "type": "file", "label": {"de": "Nachweis"},
                            "show_if": {"field": "gross", "equals": true}}]}],
     "fee": {"items": [{"label": {"de": "Anzeige großer Hund"}, "amount_cents": 2500,
                        "when": {"field": "gross", "equals": true}}]},
     "notice": {"title": {"de": "Bescheid …"}, "approved": {"de": "Markdown …"}},
     "retention_days": 3650}

Texts are ``{"de": …, "en": …}`` (German required) or a plain German string.
Conditions (``show_if``, ``when``, ``required_if``) and fee quantities read the answers
given so far; a hidden field is never required and its answer is dropped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.utils import translation
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KEY = r"^[a-z][a-z0-9_]{0,39}$"

FIELD_TYPES = (
    "text",
    "textarea",
    "number",
    "date",
    "choice",
    "yesno",
    "address",
    "email",
    "phone",
    "iban",
    "file",
    "group",
    "computed",
    "info",
)

# Where a logged-in citizen's account can fill a field in (visibly marked on the form).
PREFILL_SOURCES = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "birth_date",
    "address",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in German and, where given, other languages."""

    de: str = Field(min_length=1)
    en: str = ""

    @model_validator(mode="before")
    @classmethod
    def _plain_string_is_german(cls, value: Any) -> Any:
        return {"de": value} if isinstance(value, str) else value

    def __str__(self) -> str:
        language = (translation.get_language() or "de").split("-")[0]
        return (self.en or self.de) if language == "en" else self.de


class Condition(Strict):
    """A test on the answers: one comparison, or all/any/not of nested conditions."""

    field: str | None = None
    equals: Any = None
    not_equals: Any = None
    one_of: list[Any] | None = Field(default=None, alias="in")
    gt: Decimal | None = None
    gte: Decimal | None = None
    lt: Decimal | None = None
    lte: Decimal | None = None
    filled: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        kinds = [self.field is not None, self.all is not None, self.any is not None]
        kinds.append(self.not_ is not None)
        if sum(kinds) != 1:
            raise ValueError("a condition has exactly one of: field, all, any, not")
        return self

    def fields(self) -> set[str]:
        """Every field key this condition reads."""
        keys = {self.field} if self.field else set()
        for nested in [*(self.all or []), *(self.any or []), *([self.not_] if self.not_ else [])]:
            keys |= nested.fields()
        return keys

    def holds(self, answers: dict[str, Any]) -> bool:
        if self.all is not None:
            return all(c.holds(answers) for c in self.all)
        if self.any is not None:
            return any(c.holds(answers) for c in self.any)
        if self.not_ is not None:
            return not self.not_.holds(answers)
        value = answers.get(self.field)
        checks = []
        if self.equals is not None:
            checks.append(_same(value, self.equals))
        if self.not_equals is not None:
            checks.append(not _same(value, self.not_equals))
        if self.one_of is not None:
            checks.append(any(_same(value, option) for option in self.one_of))
        for bound, compare in (
            (self.gt, Decimal.__gt__),
            (self.gte, Decimal.__ge__),
            (self.lt, Decimal.__lt__),
            (self.lte, Decimal.__le__),
        ):
            if bound is not None:
                number = _number(value)
                checks.append(number is not None and compare(number, bound))
        if self.filled is not None:
            checks.append(_filled(value) == self.filled)
        return all(checks) if checks else _filled(value)


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, list):  # a checkbox choice: "equals" means "is ticked"
        return expected in value
    return value == expected


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "", True, False) else None
    except ArithmeticError:
        return None


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {}, False)


class Option(Strict):
    value: str = Field(pattern=r"^[a-z0-9_\-]{1,40}$")
    label: Text


class NamedList(Strict):
    """A list of allowed addresses, e.g. the streets of the residents' parking zones."""

    name: Text
    streets: list[dict[str, str]]  # {"street": "Venloer Straße", "postcode": "50823", "zone": …}


class AddressCheck(Strict):
    list: str
    message: Text


class FieldSpec(Strict):
    key: str = Field(pattern=KEY)
    type: Literal[FIELD_TYPES]  # type: ignore[valid-type]
    label: Text
    hint: Text | None = None
    required: bool = True
    required_if: Condition | None = None
    show_if: Condition | None = None
    prefill: Literal[PREFILL_SOURCES] | None = None  # type: ignore[valid-type]
    # text / textarea
    max_length: int | None = Field(default=None, ge=1, le=20000)
    autocomplete: str | None = None
    # number
    min: Decimal | None = None
    max: Decimal | None = None
    decimals: int = Field(default=0, ge=0, le=4)
    unit: str = ""
    # date: "past" (today or earlier), "future" (today or later) or none
    date_range: Literal["past", "future"] | None = None
    # choice
    options: list[Option] = []
    widget: Literal["select", "radio", "checkbox"] = "radio"
    # file
    multiple: bool = False
    capture: bool = False
    accept: list[Literal["pdf", "image"]] = ["pdf", "image"]
    max_files: int = Field(default=5, ge=1, le=20)
    # address
    address_check: AddressCheck | None = None
    # group
    fields: list[FieldSpec] = []
    min_items: int = Field(default=1, ge=0, le=50)
    max_items: int = Field(default=10, ge=1, le=50)
    item_label: Text | None = None
    # computed: "fee_total", "count:<group>", "sum:<group>.<field>"
    compute: str | None = None
    # info: a paragraph shown between the fields (label is its heading)
    text: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.type == "choice" and len(self.options) < 2:
            raise ValueError(f"choice field '{self.key}' needs at least two options")
        if self.type == "group":
            if not self.fields:
                raise ValueError(f"group '{self.key}' needs fields")
            nested = {"group", "file", "computed", "address", "info"}
            if any(f.type in nested for f in self.fields):
                raise ValueError(f"group '{self.key}': only simple fields inside")
            if self.min_items > self.max_items:
                raise ValueError(f"group '{self.key}': min_items > max_items")
        elif self.fields:
            raise ValueError(f"only groups have fields ('{self.key}')")
        if self.type == "computed" and not (
            self.compute == "fee_total" or (self.compute or "").startswith(("count:", "sum:"))
        ):
            raise ValueError(f"computed field '{self.key}' needs compute: fee_total|count:|sum:")
        if self.type in ("computed", "info"):
            object.__setattr__(self, "required", False)
        if self.type == "info" and not self.text:
            raise ValueError(f"info '{self.key}' needs a text")
        return self

    @property
    def stores_answer(self) -> bool:
        return self.type not in ("computed", "info")


class Step(Strict):
    key: str = Field(pattern=KEY)
    title: Text
    intro: Text | None = None
    fields: list[FieldSpec] = Field(min_length=1)
    show_if: Condition | None = None


class FeeItem(Strict):
    label: Text
    amount_cents: int = Field(ge=0, le=10_000_000)
    # quantity: a fixed number, a number field's answer, or "count:<group>"
    quantity: int | str = 1
    quantity_offset: int = 0  # e.g. -1: "each further copy"
    when: Condition | None = None


class Fee(Strict):
    items: list[FeeItem] = Field(min_length=1)
    note: Text | None = None


class DirectDebitFields(Strict):
    """Where the form asked for a SEPA mandate: the answers holding account holder and IBAN,
    and when the citizen chose direct debit."""

    holder: str
    iban: str
    when: Condition | None = None


class Charge(Strict):
    """An amount the notice sets (e.g. the dog tax), payable after the decision under its
    own Kassenzeichen: printed on the notice with a GiroCode, or collected by direct debit
    when the form took a mandate."""

    items: list[FeeItem] = Field(min_length=1)
    due_days: int = Field(default=30, ge=1, le=365)
    direct_debit: DirectDebitFields | None = None


class NoticeTemplate(Strict):
    title: Text
    approved: Text
    rejected: Text = Text(
        de="Ihr Antrag wurde abgelehnt. Die Gründe:\n\n{{ begruendung }}",
        en="Your application has been refused. The reasons:\n\n{{ begruendung }}",
    )
    # "notice" (a letter) or "permit" (a document to show, e.g. a parking permit)
    kind: Literal["notice", "permit"] = "notice"
    # The legal remedy (Rechtsbehelfsbelehrung): the city's default (a lawsuit at the
    # administrative court) unless the service has its own text (e.g. an objection,
    # Widerspruch, for municipal taxes) or none at all (a reply that is not an administrative act).
    remedy: Text | None = None
    no_remedy: bool = False
    charge: Charge | None = None  # set by an approving notice (e.g. the dog tax)
    permit_fields: list[str] = []  # answer keys printed on a permit
    valid_months_field: str | None = None  # answer (number of months) a permit is valid for


class FormDefinitionDocument(Strict):
    service: str = Field(pattern=r"^[a-z0-9-]{2,80}$")
    steps: list[Step] = Field(min_length=1)
    intro: Text | None = None
    fee: Fee | None = None
    notice: NoticeTemplate | None = None
    lists: dict[str, NamedList] = {}
    anonymous: bool = True  # may be filed without an account
    automatic: bool = False  # decided by the system at once after payment (e.g. flurkarte)
    four_eyes: bool = False  # a second caseworker approves every decision
    retention_days: int = Field(default=730, ge=30, le=36500)
    processing_days: int | None = None

    @field_validator("steps")
    @classmethod
    def _unique_keys(cls, steps: list[Step]) -> list[Step]:
        seen: set[str] = set()
        for step in steps:
            for spec in step.fields:
                keys = [spec.key, *(f"{spec.key}.{sub.key}" for sub in spec.fields)]
                for key in keys:
                    if key in seen:
                        raise ValueError(f"field key '{key}' is used twice")
                    seen.add(key)
        step_keys = [s.key for s in steps]
        if len(set(step_keys)) != len(step_keys):
            raise ValueError("step keys must be unique")
        return steps

    @model_validator(mode="after")
    def _references_exist(self) -> FormDefinitionDocument:
        keys = {spec.key: spec for spec in self.all_fields()}
        for step in self.steps:
            for key in step.show_if.fields() if step.show_if else ():
                if key not in keys:
                    raise ValueError(f"step '{step.key}' refers to unknown field '{key}'")
        for spec in self.all_fields():
            for condition in (spec.show_if, spec.required_if):
                for key in condition.fields() if condition else ():
                    if key not in keys:
                        raise ValueError(f"'{spec.key}' refers to unknown field '{key}'")
            if spec.address_check and spec.address_check.list not in self.lists:
                raise ValueError(f"'{spec.key}' checks against unknown list")
            if spec.compute and spec.compute.startswith(("count:", "sum:")):
                group = spec.compute.split(":", 1)[1].split(".")[0]
                if keys.get(group) is None or keys[group].type != "group":
                    raise ValueError(f"'{spec.key}' computes over unknown group '{group}'")
        charge = self.notice.charge if self.notice else None
        for item in [*(self.fee.items if self.fee else ()), *(charge.items if charge else ())]:
            if isinstance(item.quantity, str):
                ref = item.quantity.removeprefix("count:")
                if ref not in keys:
                    raise ValueError(f"fee quantity refers to unknown field '{ref}'")
            for key in item.when.fields() if item.when else ():
                if key not in keys:
                    raise ValueError(f"fee condition refers to unknown field '{key}'")
        debit = charge.direct_debit if charge else None
        for key in (
            [debit.holder, debit.iban, *(debit.when.fields() if debit.when else ())]
            if debit
            else ()
        ):
            if key not in keys:
                raise ValueError(f"direct debit refers to unknown field '{key}'")
        if self.automatic and (self.notice is None):
            raise ValueError("an automatic service needs a notice template (what it issues)")
        return self

    def all_fields(self) -> list[FieldSpec]:
        return [spec for step in self.steps for spec in step.fields]

    def field(self, key: str) -> FieldSpec | None:
        return next((spec for spec in self.all_fields() if spec.key == key), None)

    def step(self, key: str) -> Step | None:
        return next((step for step in self.steps if step.key == key), None)

    # -- what the answers imply ---------------------------------------------------------

    def visible_steps(self, answers: dict[str, Any]) -> list[Step]:
        return [s for s in self.steps if s.show_if is None or s.show_if.holds(answers)]

    def is_visible(self, spec: FieldSpec, answers: dict[str, Any]) -> bool:
        return spec.show_if is None or spec.show_if.holds(answers)

    def fee_lines(self, answers: dict[str, Any]) -> list[tuple[Text, int, int]]:
        """(label, quantity, amount in cents) for every fee item that applies."""
        return _lines(self.fee.items if self.fee else (), answers)

    def charge_lines(self, answers: dict[str, Any]) -> list[tuple[Text, int, int]]:
        """The same for the amount an approving notice sets (``notice.charge``)."""
        charge = self.notice.charge if self.notice else None
        return _lines(charge.items if charge else (), answers)

    def wants_direct_debit(self, answers: dict[str, Any]) -> tuple[str, str] | None:
        """(account holder, IBAN) when the citizen gave a mandate for the charge."""
        debit = self.notice.charge.direct_debit if self.notice and self.notice.charge else None
        if debit is None or (debit.when is not None and not debit.when.holds(answers)):
            return None
        holder, iban = answers.get(debit.holder), answers.get(debit.iban)
        return (str(holder), str(iban)) if holder and iban else None

    def fee_total_cents(self, answers: dict[str, Any]) -> int:
        return sum(amount for _label, _quantity, amount in self.fee_lines(answers))

    def computed_value(self, spec: FieldSpec, answers: dict[str, Any]) -> Decimal | int | None:
        kind, _, ref = (spec.compute or "").partition(":")
        if kind == "fee_total":
            return self.fee_total_cents(answers)
        if kind == "count":
            return len(answers.get(ref) or [])
        if kind == "sum":
            group, _, sub = ref.partition(".")
            numbers = [_number(item.get(sub)) for item in answers.get(group) or []]
            return sum((n for n in numbers if n is not None), Decimal(0))
        return None


def _lines(items, answers: dict[str, Any]) -> list[tuple[Text, int, int]]:
    lines = []
    for item in items:
        if item.when is not None and not item.when.holds(answers):
            continue
        quantity = _quantity(item.quantity, answers) + item.quantity_offset
        if quantity > 0 and item.amount_cents:
            lines.append((item.label, quantity, quantity * item.amount_cents))
    return lines


def _quantity(quantity: int | str, answers: dict[str, Any]) -> int:
    if isinstance(quantity, int):
        return quantity
    if quantity.startswith("count:"):
        return len(answers.get(quantity.removeprefix("count:")) or [])
    number = _number(answers.get(quantity))
    return int(number) if number is not None else 0


def parse_definition(data: dict[str, Any]) -> FormDefinitionDocument:
    """The validated definition; raises pydantic.ValidationError with every problem."""
    return FormDefinitionDocument.model_validate(data)
