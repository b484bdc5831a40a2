"""SEPA core direct debits (Basislastschrift): mandates, collection runs and returns.

A citizen allows the city to collect what a Kassenzeichen owes (e.g. the yearly dog tax)
from their account; the cash office makes a pain.008 file of everything due and hands it
to the bank; a collection the bank returns (Rücklastschrift) is recorded as failed::

    mandate = mandate_create(
        reference=reference,
        debtor_name="Mehmet Yılmaz",
        iban="DE02 1203 0000 0000 2020 51",
        signed_on=timezone.localdate(),
        user=citizen,
    )
    run = run_create(collection_date=earliest_collection_date(), user=clerk)
    run.xml  # pain.008.001.08, uploaded to the bank (EBICS or online banking)
    collection_returned(payment, reason="AM04", by=clerk)

A collection is a ``Payment`` of channel ``DIRECT_DEBIT`` with ``mandate`` and
``direct_debit_run`` set. It is pending from the moment it is in a file; the bank
statement import marks it paid when the credit arrives, matching it by the EndToEndId,
which is always ``payment.uuid.hex``. Amounts are integer cents throughout; sepaxml takes
them as ``int`` and writes ``12.34`` without any float.

See ``docs/payments-direct-debit.md`` for the rules behind the dates and sequence types.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sepaxml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaDD
from text_unidecode import unidecode

from buergerbuero.core.banking import bic_clean, creditor_id_clean, iban_clean
from buergerbuero.core.selectors import municipality_get
from buergerbuero.notifications.services import send_email

from .models import (
    DIRECT_DEBIT,
    LIVE_STATUSES,
    DirectDebitMandate,
    DirectDebitRun,
    Payment,
    PaymentReference,
    PaymentStatus,
    TransitionSource,
)
from .references import code_clean, code_grouped
from .services import payment_offline_create, transition
from .transitions import PaymentTransitionError

logger = logging.getLogger(__name__)

#: The ISO 20022 version of our files (see docs/payments-direct-debit.md for why).
PAIN_008_SCHEMA = "pain.008.001.08"
SCHEMA_DIR = Path(sepaxml.__file__).resolve().parent / "schemas"

FIRST = "FRST"
RECURRING = "RCUR"

# EPC: a mandate reference holds these characters only (no space), at most 35 of them.
_MANDATE_REFERENCE = re.compile(r"^[A-Za-z0-9+?/\-:().,']{1,35}$")
_NOT_IN_MANDATE_REFERENCE = re.compile(r"[^A-Za-z0-9+?/\-:().,']")
# The SEPA (EPC "Latin") character set of names and remittance text in a file.
_NOT_SEPA_TEXT = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]+")
_GERMAN_LETTERS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)

# SEPA countries outside the EEA: a collection from them needs the debtor bank's BIC.
_BIC_REQUIRED_COUNTRIES = frozenset({"AD", "AL", "CH", "GB", "MC", "MD", "ME", "MK", "SM", "VA"})
# Banks of territories that use their mother country's IBAN but a BIC of their own.
_BIC_COUNTRIES_OF_IBAN = {
    "GB": frozenset({"GB", "GG", "IM", "JE"}),
    "FR": frozenset({"FR", "BL", "GF", "GP", "MF", "MQ", "NC", "PF", "PM", "RE", "WF", "YT"}),
}

#: Return reasons (R-transaction codes) a clerk picks from, as banks report them.
RETURN_REASONS = {
    "AC01": gettext_lazy("IBAN fehlerhaft"),
    "AC04": gettext_lazy("Konto erloschen"),
    "AC06": gettext_lazy("Konto gesperrt"),
    "AG01": gettext_lazy("Lastschrift auf diesem Konto nicht erlaubt"),
    "AM04": gettext_lazy("Deckung unzureichend"),
    "MD01": gettext_lazy("Kein gültiges Mandat"),
    "MD06": gettext_lazy("Erstattung auf Verlangen der Zahlungspflichtigen"),
    "MD07": gettext_lazy("Kontoinhaber:in verstorben"),
    "MS02": gettext_lazy("Widerspruch der Zahlungspflichtigen"),
    "MS03": gettext_lazy("Ohne Angabe von Gründen"),
    "SL01": gettext_lazy("Lastschriftsperre oder Sonderleistung der Bank"),
}
#: After these returns the mandate cannot be used again: it is revoked with the return.
MANDATE_ENDING_REASONS = frozenset({"AC01", "AC04", "AC06", "AG01", "MD01", "MD07"})


# -- errors --------------------------------------------------------------------------------


class DirectDebitError(Exception):
    """A request the rules refuse; ``str(error)`` is a German message for the user."""


class CreditorNotConfigured(DirectDebitError):
    pass


class CollectionDateRefused(DirectDebitError):
    pass


class NothingDue(DirectDebitError):
    pass


class ConcurrentChange(DirectDebitError):
    pass


class CollectionNotReturnable(DirectDebitError):
    pass


class Pain008Invalid(RuntimeError):
    """The file we built does not pass the XSD: a bug here or in sepaxml, never the user's."""


# -- the creditor (the city) ----------------------------------------------------------------


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str


def creditor_get() -> Creditor:
    """The city's cash office as SEPA creditor, from ``Municipality``; raises
    :class:`CreditorNotConfigured` if its account or creditor id is missing or invalid."""
    municipality = municipality_get()
    missing = []
    try:
        iban = iban_clean(municipality.cash_office_iban)
    except ValidationError:
        missing.append(_("IBAN der Stadtkasse"))
    try:
        creditor_id = creditor_id_clean(municipality.sepa_creditor_id)
    except ValidationError:
        missing.append(_("Gläubiger-Identifikationsnummer"))
    bic = ""
    if municipality.cash_office_bic:
        try:
            bic = bic_clean(municipality.cash_office_bic)
        except ValidationError:
            missing.append(_("BIC der Stadtkasse"))
    name = municipality.cash_office_name or municipality.name
    if not sepa_text(name, 70):
        missing.append(_("Empfänger der Zahlungen"))
    if missing:
        raise CreditorNotConfigured(
            _(
                "Lastschriften sind noch nicht eingerichtet: In den Einstellungen der Stadt "
                "fehlt oder ist ungültig: %(missing)s."
            )
            % {"missing": ", ".join(str(m) for m in missing)}
        )
    return Creditor(name=name, iban=iban, bic=bic, creditor_id=creditor_id)


def mandate_text(*, creditor_name: str) -> str:
    """The SEPA core mandate's wording (German banking industry's standard text)."""
    return _(
        "Ich ermächtige die %(creditor)s, Zahlungen von meinem Konto mittels Lastschrift "
        "einzuziehen. Zugleich weise ich mein Kreditinstitut an, die von der %(creditor)s "
        "auf mein Konto gezogenen Lastschriften einzulösen. Hinweis: Ich kann innerhalb "
        "von acht Wochen, beginnend mit dem Belastungsdatum, die Erstattung des belasteten "
        "Betrages verlangen. Es gelten dabei die mit meinem Kreditinstitut vereinbarten "
        "Bedingungen."
    ) % {"creditor": creditor_name}


# -- bank accounts -----------------------------------------------------------------------


@dataclass(frozen=True)
class BankAccount:
    iban: str
    bic: str  # empty when neither given nor derivable (allowed within the EEA)


def bank_account_clean(*, iban: str, bic: str = "") -> BankAccount:
    """The debtor's account, checked; ``ValidationError`` keyed ``iban`` or ``bic``.

    The IBAN must be valid and in the SEPA zone. The BIC is optional: for German IBANs
    (and others schwifty knows) it is derived from the bank code; one that is given must
    be valid and fit the IBAN's bank (or at least its country, where schwifty cannot
    tell). Outside the EEA a BIC is required.
    """
    try:
        compact = iban_clean(iban)
    except ValidationError as error:
        raise ValidationError({"iban": error.error_list}) from None
    parsed = IBAN(compact)
    if not parsed.in_sepa_zone:
        raise ValidationError(
            {
                "iban": _(
                    "Von diesem Konto können wir keine SEPA-Lastschrift einziehen: Das Land "
                    "der IBAN gehört nicht zum SEPA-Raum."
                )
            },
            code="iban_not_sepa",
        )
    derived = _bic_of(parsed)
    if not (bic or "").strip():
        if derived is None and parsed.country_code in _BIC_REQUIRED_COUNTRIES:
            raise ValidationError(
                {"bic": _("Für Konten in diesem Land brauchen wir den BIC Ihrer Bank.")},
                code="bic_required",
            )
        return BankAccount(iban=compact, bic=str(derived or ""))
    try:
        given = BIC(bic_clean(bic))
    except ValidationError as error:
        raise ValidationError({"bic": error.error_list}) from None
    if not _bic_fits(given, parsed, derived):
        raise ValidationError(
            {
                "bic": _(
                    "Dieser BIC passt nicht zur IBAN: Er gehört zu einer anderen Bank. Lassen "
                    "Sie das Feld leer, dann ermitteln wir ihn aus der IBAN."
                )
            },
            code="bic_mismatch",
        )
    return BankAccount(iban=compact, bic=str(given))


def _bic_of(iban: IBAN) -> BIC | None:
    try:
        return iban.bic
    except SchwiftyException:
        return None


def _bic_fits(bic: BIC, iban: IBAN, derived: BIC | None) -> bool:
    countries = _BIC_COUNTRIES_OF_IBAN.get(iban.country_code, frozenset({iban.country_code}))
    if bic.country_code not in countries:
        return False
    if derived is None:
        return True  # schwifty does not know the bank: the country is all we can check
    # Bank code and country (the first six characters) make the institution; location
    # and branch may differ (COBADEFF370 and COBADEFFXXX are the same bank).
    if str(bic)[:6] == str(derived)[:6]:
        return True
    return bool(iban.bank_code) and iban.bank_code in (bic.domestic_bank_codes or ())


def iban_masked(iban: str) -> str:
    """``DE89370400440532013000`` → ``DE89 **** **** **** **30 00``: country, check digits
    and the last four characters, enough to recognise one's account."""
    compact = re.sub(r"\s+", "", iban or "").upper()
    if len(compact) <= 8:
        return compact
    masked = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return code_grouped(masked)


def sepa_text(text: str, max_length: int) -> str:
    """``text`` in the SEPA character set, at most ``max_length`` characters: German
    letters spelled out (``Köln`` → ``Koeln``), other letters transliterated, anything
    else a space."""
    ascii_text = unidecode((text or "").translate(_GERMAN_LETTERS))
    return " ".join(_NOT_SEPA_TEXT.sub(" ", ascii_text).split())[:max_length].rstrip()


# -- TARGET2 business days -----------------------------------------------------------------


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous algorithm of Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@cache
def target_closing_days(year: int) -> frozenset[dt.date]:
    """The days TARGET2 is closed besides weekends: New Year, Good Friday, Easter Monday,
    Labour Day, Christmas Day and Boxing Day."""
    easter = easter_sunday(year)
    return frozenset(
        {
            dt.date(year, 1, 1),
            easter - dt.timedelta(days=2),
            easter + dt.timedelta(days=1),
            dt.date(year, 5, 1),
            dt.date(year, 12, 25),
            dt.date(year, 12, 26),
        }
    )


def is_target_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in target_closing_days(day.year)


def target_business_day_after(day: dt.date) -> dt.date:
    """The first TARGET2 business day strictly after ``day``."""
    day += dt.timedelta(days=1)
    while not is_target_business_day(day):
        day += dt.timedelta(days=1)
    return day


def earliest_collection_date(*, today: dt.date | None = None) -> dt.date:
    """The earliest due date of a CORE collection whose file goes to the bank ``today``.

    Since November 2016 the bank must have the file one TARGET2 business day before the
    due date (D-1). A file made on a weekend or holiday reaches the bank on the next
    business day, so it counts from there. The bank's cut-off time of day is not known
    here: hand files in before it, or they count from the next business day.
    """
    today = today or timezone.localdate()
    handed_in = today if is_target_business_day(today) else target_business_day_after(today)
    return target_business_day_after(handed_in)


def collection_date_check(collection_date: dt.date, *, today: dt.date | None = None) -> None:
    """Raise :class:`CollectionDateRefused` unless a file for ``collection_date`` may go to
    the bank ``today``: not before the earliest date, and on a TARGET2 business day."""
    earliest = earliest_collection_date(today=today)
    if collection_date < earliest:
        raise CollectionDateRefused(
            _(
                "Der %(date)s ist zu früh. Der früheste mögliche Fälligkeitstag ist der "
                "%(earliest)s: Die Bank braucht die Datei einen TARGET2-Geschäftstag vor "
                "dem Fälligkeitstag."
            )
            % {"date": _date(collection_date), "earliest": _date(earliest)}
        )
    if not is_target_business_day(collection_date):
        raise CollectionDateRefused(
            _(
                "Der %(date)s ist kein TARGET2-Geschäftstag (Wochenende oder Feiertag im "
                "Zahlungsverkehr). Bitte wählen Sie zum Beispiel den %(next)s."
            )
            % {
                "date": _date(collection_date),
                "next": _date(target_business_day_after(collection_date)),
            }
        )


def _date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


# -- reads ------------------------------------------------------------------------------------


def reference_get_for_citizen(*, code: str, user) -> PaymentReference | None:
    """The Kassenzeichen ``code`` (any grouping) if ``user`` owns it, else ``None``: a
    citizen never learns whether someone else's code exists."""
    cleaned = code_clean(code)
    if cleaned is None or not getattr(user, "is_authenticated", False):
        return None
    return PaymentReference.objects.filter(code=cleaned, user=user).first()


def mandate_active(reference: PaymentReference) -> DirectDebitMandate | None:
    return DirectDebitMandate.objects.filter(reference=reference, revoked_at__isnull=True).first()


def mandate_get(*, mandate_id: int) -> DirectDebitMandate | None:
    return DirectDebitMandate.objects.filter(pk=mandate_id).select_related("reference").first()


def mandates_active() -> QuerySet[DirectDebitMandate]:
    return (
        DirectDebitMandate.objects.filter(revoked_at__isnull=True)
        .select_related("reference")
        .order_by("reference__code")
    )


def collections_pending() -> QuerySet[Payment]:
    """Collections in a file whose money has not arrived yet (they may still come back)."""
    return (
        Payment.objects.filter(provider=DIRECT_DEBIT, status=PaymentStatus.PENDING)
        .select_related("reference", "mandate", "direct_debit_run")
        .order_by("direct_debit_run__collection_date", "pk")
    )


def collection_get(*, payment_id) -> Payment | None:
    return (
        Payment.objects.filter(uuid=payment_id, provider=DIRECT_DEBIT)
        .select_related("reference", "mandate", "direct_debit_run")
        .first()
    )


def runs_recent(*, limit: int = 50) -> QuerySet[DirectDebitRun]:
    # The files themselves stay in the database until one is downloaded.
    return DirectDebitRun.objects.defer("xml").select_related("created_by")[:limit]


def run_get(*, message_id: str) -> DirectDebitRun | None:
    return DirectDebitRun.objects.filter(message_id=message_id).first()


@dataclass(frozen=True)
class DueCollection:
    reference: PaymentReference
    mandate: DirectDebitMandate
    amount_cents: int
    sequence_type: str  # FIRST or RECURRING


def collections_due(*, collection_date: dt.date) -> list[DueCollection]:
    """What a run for ``collection_date`` would collect, by Kassenzeichen.

    A reference is due if it has an active mandate, is due by ``collection_date`` (or has
    no due date), still owes money (its amount less its paid payments) and has no
    collection in a file yet. The sequence type is FRST until a collection of the
    mandate has been paid, RCUR after.
    """
    paid = (
        Payment.objects.filter(purpose=OuterRef("reference__purpose"), status=PaymentStatus.PAID)
        .order_by()
        .values("purpose")
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    collected_before = Payment.objects.filter(
        mandate=OuterRef("pk"), status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED]
    )
    in_a_file = Payment.objects.filter(
        purpose=OuterRef("reference__purpose"), provider=DIRECT_DEBIT, status__in=LIVE_STATUSES
    )
    mandates = (
        DirectDebitMandate.objects.filter(revoked_at__isnull=True, reference__currency="EUR")
        .filter(Q(reference__due_date__isnull=True) | Q(reference__due_date__lte=collection_date))
        .filter(~Exists(in_a_file))
        .annotate(
            open_cents=F("reference__amount_cents")
            - Coalesce(Subquery(paid, output_field=IntegerField()), 0),
            collected_before=Exists(collected_before),
        )
        .filter(open_cents__gt=0)
        .select_related("reference")
        .order_by("reference__code")
    )
    return [
        DueCollection(
            reference=mandate.reference,
            mandate=mandate,
            amount_cents=mandate.open_cents,
            sequence_type=RECURRING if mandate.collected_before else FIRST,
        )
        for mandate in mandates
    ]


# -- mandates ------------------------------------------------------------------------------


def mandate_create(
    *,
    reference: PaymentReference,
    debtor_name: str,
    iban: str,
    bic: str = "",
    signed_on: dt.date,
    user=None,
) -> DirectDebitMandate:
    """Record the mandate ``user`` gave for ``reference``; return it.

    The account is checked by :func:`bank_account_clean` (``ValidationError`` keyed
    ``iban``/``bic``). The mandate reference is ``<Kassenzeichen>-<n>``. An active
    mandate of the reference is revoked in the same transaction: one reference, one
    active mandate (a database constraint makes sure). ``user`` gets a confirmation
    email with the mandate reference and the creditor id.
    """
    account = bank_account_clean(iban=iban, bic=bic)
    debtor_name = " ".join((debtor_name or "").split())
    if not sepa_text(debtor_name, 70) or len(debtor_name) > 70:
        raise ValidationError(
            {"debtor_name": _("Bitte geben Sie den Namen an, höchstens 70 Zeichen.")},
            code="invalid_debtor_name",
        )
    creditor = creditor_get()
    now = timezone.now()
    try:
        with transaction.atomic():
            replaced = list(
                DirectDebitMandate.objects.filter(reference=reference, revoked_at__isnull=True)
            )
            # A conditional update: of two requests replacing the same mandate at once,
            # the second inserts a second active mandate, which the constraint refuses.
            DirectDebitMandate.objects.filter(
                pk__in=[m.pk for m in replaced], revoked_at__isnull=True
            ).update(revoked_at=now)
            mandate = DirectDebitMandate.objects.create(
                mandate_reference=_mandate_reference_next(reference),
                reference=reference,
                user=user,
                debtor_name=debtor_name,
                iban=account.iban,
                bic=account.bic,
                signed_on=signed_on,
            )
            if user is not None and getattr(user, "email", ""):
                _mandate_email(
                    mandate, creditor=creditor, template="mandate_created", replaced=replaced
                )
    except IntegrityError as error:
        raise ConcurrentChange(
            _(
                "Gleichzeitig wurde ein anderes Mandat für dieses Kassenzeichen erteilt. Bitte "
                "laden Sie die Seite neu und prüfen Sie es."
            )
        ) from error
    for old in replaced:
        logger.info("mandate %s revoked: replaced by %s", old, mandate)
    logger.info(
        "mandate %s created for %s by %s",
        mandate,
        reference.code,
        _who(user),
    )
    return mandate


def mandate_revoke(mandate: DirectDebitMandate, *, by) -> DirectDebitMandate:
    """Revoke ``mandate`` (the citizen, or a clerk after a letter or a return); return it.

    Revoking a revoked mandate changes nothing. Collections already in a file stay
    pending: the bank may still collect them, and the citizen may have them refunded.
    The citizen hears of it by email.
    """
    with transaction.atomic():
        revoked = DirectDebitMandate.objects.filter(pk=mandate.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        mandate.refresh_from_db(fields=["revoked_at"])
        if revoked and mandate.user is not None and mandate.user.email:
            try:
                creditor = creditor_get()
            except CreditorNotConfigured:
                creditor = None
            if creditor is not None:
                _mandate_email(mandate, creditor=creditor, template="mandate_revoked")
    if revoked:
        logger.info("mandate %s revoked by %s", mandate, _who(by))
    return mandate


def _mandate_reference_next(reference: PaymentReference) -> str:
    base = _NOT_IN_MANDATE_REFERENCE.sub("", reference.code.upper())[:30]
    number = DirectDebitMandate.objects.filter(reference=reference).count() + 1
    while True:
        candidate = f"{base}-{number}"
        if not DirectDebitMandate.objects.filter(mandate_reference=candidate).exists():
            break
        number += 1
    if not _MANDATE_REFERENCE.match(candidate):
        raise ValueError(f"Cannot make a SEPA mandate reference of {reference.code!r}.")
    return candidate


def _mandate_email(
    mandate: DirectDebitMandate,
    *,
    creditor: Creditor,
    template: str,
    replaced: Sequence[DirectDebitMandate] = (),
) -> None:
    language = translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        text = mandate_text(creditor_name=creditor.name)
        path = reverse("payments:mandate_create", args=[mandate.reference.code])
    send_email(
        to=mandate.user.email,
        template=f"payments/email/{template}",
        context={
            "mandate_reference": mandate.mandate_reference,
            "reference_code": mandate.reference.code_display,
            "description": mandate.reference.description,
            "creditor_name": creditor.name,
            "creditor_id": creditor.creditor_id,
            "debtor_name": mandate.debtor_name,
            "iban_masked": iban_masked(mandate.iban),
            "signed_on": mandate.signed_on,
            "mandate_text": text,
            "replaced": [m.mandate_reference for m in replaced],
            "mandate_url": settings.SITE_URL.rstrip("/") + path,
        },
        language=language,
        topic=f"payments.{template}",
    )


def _who(user) -> str:
    return user.get_username() if user is not None else "system"


# -- runs (pain.008 files) ---------------------------------------------------------------


def run_create(*, collection_date: dt.date, user, today: dt.date | None = None) -> DirectDebitRun:
    """Collect everything due by ``collection_date`` in one pain.008 file; return the run.

    For each :func:`collections_due` item a direct-debit payment is made and moved to
    pending (any other open or pending payment of the purpose is cancelled first: the
    citizen pays by direct debit now). The file is checked against the official XSD
    and stored in ``run.xml``; all of it happens in one transaction or not at all.

    Raises :class:`CollectionDateRefused` for a date before
    :func:`earliest_collection_date` or not a TARGET2 business day,
    :class:`NothingDue` when nothing is due, :class:`CreditorNotConfigured` and
    :class:`ConcurrentChange` (another run took the same collections at the same time).
    """
    collection_date_check(collection_date, today=today)
    creditor = creditor_get()
    message_id = _message_id()
    try:
        with transaction.atomic():
            due = collections_due(collection_date=collection_date)
            if not due:
                raise NothingDue(
                    _(
                        "Zum %(date)s ist nichts einzuziehen: Kein Kassenzeichen mit Mandat hat "
                        "einen offenen Betrag. Es wurde keine Datei erstellt."
                    )
                    % {"date": _date(collection_date)}
                )
            run = DirectDebitRun.objects.create(
                message_id=message_id,
                collection_date=collection_date,
                created_by=user,
                collection_count=len(due),
                total_cents=sum(item.amount_cents for item in due),
                xml=b"",
            )
            collections = [(_collection_start(item, run=run), item) for item in due]
            run.xml = pain008_build(
                creditor=creditor,
                message_id=message_id,
                collection_date=collection_date,
                collections=collections,
            )
            pain008_validate(run.xml)
            run.save(update_fields=["xml"])
    except IntegrityError as error:
        raise ConcurrentChange(
            _(
                "Gleichzeitig wurde eine andere Lastschrift-Datei erstellt. Bitte laden Sie die "
                "Seite neu: Was noch fällig ist, steht dann dort."
            )
        ) from error
    logger.info(
        "direct debit run %s: %s collections, %s cents, due %s, by %s",
        run.message_id,
        run.collection_count,
        run.total_cents,
        collection_date,
        _who(user),
    )
    return run


def _collection_start(item: DueCollection, *, run: DirectDebitRun) -> Payment:
    reference = item.reference
    when = run.collection_date.isoformat()
    payment = payment_offline_create(
        reference,
        channel=DIRECT_DEBIT,
        amount_cents=item.amount_cents,
        source=TransitionSource.SYSTEM,
        detail=f"Lastschrift angelegt: Mandat {item.mandate.mandate_reference}, "
        f"{item.sequence_type}.",
        replaced_because=f"Ersetzt durch die Lastschrift in Datei {run.message_id} zum {when}.",
        mandate=item.mandate,
        direct_debit_run=run,
    )
    return transition(
        payment,
        PaymentStatus.PENDING,
        source=TransitionSource.SYSTEM,
        detail=f"In Lastschrift-Datei {run.message_id}, fällig am {when}.",
    )


def _message_id() -> str:
    # ≤ 35 characters, unique per creditor for ever: time and 40 random bits.
    return f"LS{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}"


class _Pain008(SepaDD):
    """sepaxml's direct-debit file with our message id and one booking per collection.

    ``BtchBookg=false`` makes the bank credit each collection on its own, with its
    EndToEndId on the statement: the reconciliation matches them one by one. (Pinned
    sepaxml 2.7.0; ``test_direct_debit_xml`` fails should an upgrade change this.)
    """

    def __init__(self, config: dict, *, message_id: str):
        self._message_id = message_id
        super().__init__(config, schema=PAIN_008_SCHEMA, clean=True)

    def _create_header(self):
        self.msg_id = self._message_id
        super()._create_header()

    def _finalize_batch(self):
        super()._finalize_batch()
        for node in self._xml.iter("BtchBookg"):
            node.text = "false"


def remittance_text(reference: PaymentReference) -> str:
    """``Kassenzeichen 5300 0001 2345 Hundesteuer 2027``: the code first, so that cutting
    to 140 characters never loses it."""
    return sepa_text(f"Kassenzeichen {reference.code_display} {reference.description}", 140)


def pain008_build(
    *,
    creditor: Creditor,
    message_id: str,
    collection_date: dt.date,
    collections: list[tuple[Payment, DueCollection]],
) -> bytes:
    """The pain.008 file of ``collections``: one payment block per sequence type."""
    config = {
        "name": sepa_text(creditor.name, 70),
        "IBAN": creditor.iban,
        "batch": True,
        "creditor_id": creditor.creditor_id,
        "currency": "EUR",
    }
    if creditor.bic:
        config["BIC"] = creditor.bic
    document = _Pain008(config, message_id=message_id)
    for payment, item in collections:
        mandate = item.mandate
        entry = {
            "name": sepa_text(mandate.debtor_name, 70),
            "IBAN": mandate.iban,
            "amount": int(payment.amount_cents),
            "currency": payment.currency,
            "type": item.sequence_type,
            "collection_date": collection_date,
            "mandate_id": mandate.mandate_reference,
            "mandate_date": mandate.signed_on,
            "description": remittance_text(item.reference),
            "endtoend_id": payment.uuid.hex,
        }
        if mandate.bic:
            entry["BIC"] = mandate.bic
        document.add_payment(entry)
    return document.export(validate=False)


@cache
def pain008_schema(schema: str = PAIN_008_SCHEMA) -> etree.XMLSchema:
    """The official ISO 20022 XSD as shipped with sepaxml, parsed once."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / f"{schema}.xsd")))


# What the EPC rulebook requires and the ISO schema leaves optional: (block, element).
_EPC_REQUIRED = (
    ("p:CstmrDrctDbtInitn/p:PmtInf", "p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id"),
    ("p:CstmrDrctDbtInitn/p:PmtInf", "p:PmtTpInf/p:SeqTp"),
    ("p:CstmrDrctDbtInitn/p:PmtInf", "p:PmtTpInf/p:LclInstrm/p:Cd"),
    ("p:CstmrDrctDbtInitn/p:PmtInf/p:DrctDbtTxInf", "p:DrctDbtTx/p:MndtRltdInf/p:MndtId"),
    ("p:CstmrDrctDbtInitn/p:PmtInf/p:DrctDbtTxInf", "p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr"),
)


def pain008_validate(xml: bytes) -> None:
    """Raise :class:`Pain008Invalid` unless ``xml`` passes the XSD and has what the EPC
    rulebook adds to it (the creditor identifier, sequence type, mandate id and date)."""
    schema = pain008_schema()
    document = etree.fromstring(xml)
    if not schema.validate(document):
        raise Pain008Invalid(
            f"The generated pain.008 file fails {PAIN_008_SCHEMA}.xsd: {schema.error_log}. "
            "Check the values passed to sepaxml (names, IBANs, mandate references)."
        )
    namespaces = {"p": f"urn:iso:std:iso:20022:tech:xsd:{PAIN_008_SCHEMA}"}
    missing = sorted(
        {
            element
            for block, element in _EPC_REQUIRED
            for node in document.iterfind(block, namespaces=namespaces)
            if not (node.findtext(element, namespaces=namespaces) or "").strip()
        }
    )
    if missing:
        raise Pain008Invalid(
            f"The generated pain.008 file lacks what the EPC rulebook requires: {missing}. "
            "sepaxml changed how it builds the file: check _Pain008 against its source."
        )


# -- returns (Rücklastschriften) ----------------------------------------------------------


def collection_returned(
    payment: Payment, *, reason: str, by, note: str = "", revoke_mandate: bool = False
) -> Payment:
    """Record that the bank returned the collection ``payment`` (source ``clerk``).

    ``reason`` is a code of :data:`RETURN_REASONS` (``"AM04"``) or a text. The payment
    goes from pending (or paid: the payer's bank may take it back within eight weeks) to
    failed; the reference owes the amount again and the next run
    collects it, unless the mandate is revoked: with ``revoke_mandate`` or a reason that
    ends the mandate (:data:`MANDATE_ENDING_REASONS`, e.g. account closed).
    """
    if payment.provider != DIRECT_DEBIT:
        raise ValueError(f"Payment {payment.uuid} is not a direct-debit collection.")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("reason must name why the bank returned the collection.")
    label = RETURN_REASONS.get(reason)
    detail = f"Rücklastschrift: {reason}" + (f" – {label}" if label else "")
    if note.strip():
        detail += f". {note.strip()}"
    with transaction.atomic():
        try:
            payment = transition(
                payment,
                PaymentStatus.FAILED,
                source=TransitionSource.CLERK,
                detail=detail,
                actor=by,
            )
        except PaymentTransitionError as error:
            raise CollectionNotReturnable(
                _(
                    "Diese Lastschrift ist „%(status)s“. Als Rücklastschrift lässt sich nur "
                    "eine Lastschrift erfassen, die in Bearbeitung oder eingegangen ist."
                )
                % {"status": payment.get_status_display()}
            ) from error
        if payment.mandate_id and (revoke_mandate or reason in MANDATE_ENDING_REASONS):
            mandate_revoke(payment.mandate, by=by)
    logger.info("collection %s returned (%s), recorded by %s", payment.uuid, reason, _who(by))
    return payment
