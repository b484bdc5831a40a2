"""Money of an application: the fee paid up front and the amount an approving notice sets
(``notice.charge``, e.g. the dog tax), each under its own Kassenzeichen.

The payments app keeps references, payments and mandates; this module decides which
purposes an application has and presents what is owed on notices and pages.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from buergerbuero.core.selectors import municipality_get
from buergerbuero.payments.girocode import BankTransfer, bank_transfer_for, girocode_svg
from buergerbuero.payments.models import PaymentReference
from buergerbuero.payments.references import reference_for
from buergerbuero.payments.selectors import Balance, balance_of, reference_of

from .models import Application, Case

logger = logging.getLogger("buergerbuero.applications")


def charge_purpose(case: Case) -> str:
    return f"charge:{case.reference}"


def charge_set(case: Case) -> PaymentReference | None:
    """Make the Kassenzeichen of what an approving notice sets, and the SEPA mandate the
    citizen gave in the form; ``None`` when the notice sets nothing (e.g. an exemption)."""
    application = case.application
    spec = application.definition.spec
    answers = application.answers
    total = sum(amount for _label, _quantity, amount in spec.charge_lines(answers))
    if total <= 0:
        return None
    charge = spec.notice.charge
    reference = reference_for(
        purpose=charge_purpose(case),
        amount_cents=total,
        description=f"{application.service.name} {case.reference}",
        user=application.user,
        due_date=timezone.localdate() + dt.timedelta(days=charge.due_days),
        issuer=case.department.name,
    )
    debit = spec.wants_direct_debit(answers)
    if debit and not reference.mandates.filter(revoked_at__isnull=True).exists():
        from buergerbuero.payments.direct_debit import mandate_create

        holder, iban = debit
        signed = application.submitted_at or timezone.now()
        try:
            mandate_create(
                reference=reference,
                debtor_name=holder,
                iban=iban,
                signed_on=timezone.localtime(signed).date(),
                user=application.user,
            )
        except ValidationError as error:
            # The form checked the IBAN; a bank that merged since is possible. The notice
            # then asks for a transfer and the citizen can give a new mandate online.
            logger.warning("case %s: mandate from the form refused: %s", case.reference, error)
    return reference


@dataclass(frozen=True)
class MoneyOwed:
    """One Kassenzeichen of an application, as the citizen and the notice see it."""

    label: str
    balance: Balance
    transfer: BankTransfer | None
    mandate_reference: str
    creditor_id: str

    @property
    def reference(self) -> PaymentReference:
        return self.balance.reference

    def girocode(self) -> SafeString:
        if self.transfer is None:
            return SafeString("")
        title = _("GiroCode zum Überweisen von Kassenzeichen %(code)s") % {
            "code": self.reference.code_display
        }
        return girocode_svg(self.transfer, title=title)


def money_owed(application: Application) -> list[MoneyOwed]:
    """The fee and the charge of ``application`` that have a Kassenzeichen, fee first."""
    purposes = [(application.payment_purpose, _("Gebühr"))]
    case = getattr(application, "case", None)
    if case is not None:
        purposes.append((charge_purpose(case), _("Festgesetzter Betrag")))
    owed = []
    for purpose, label in purposes:
        reference = reference_of(purpose)
        if reference is None:
            continue
        balance = balance_of(reference)
        mandate = reference.mandates.filter(revoked_at__isnull=True).first()
        # A transfer only for what is open and not collected by direct debit anyway.
        transfer = (
            bank_transfer_for(reference, amount_cents=balance.open_cents)
            if balance.open_cents and mandate is None
            else None
        )
        owed.append(
            MoneyOwed(
                label=label,
                balance=balance,
                transfer=transfer,
                mandate_reference=mandate.mandate_reference if mandate else "",
                creditor_id=municipality_get().sepa_creditor_id if mandate else "",
            )
        )
    return owed
