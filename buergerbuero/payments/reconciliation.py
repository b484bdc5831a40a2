"""Bank statement reconciliation: camt.053 credits matched to Kassenzeichen, the rest
cleared by the cash office.

Writes (services) and the reads of the cash office's screens (selectors)::

    report = statement_import(upload, filename="2026-03-15.xml", user=request.user)
    report.refused            # the file was not imported: report.error says why (and where)
    report.lines()            # what happened, in German, for the page or the console

    credit_assign(credit_id=7, code="5300 0000 0120", note="Anruf", user=clerk)
    credit_clear(credit_id=8, note="zurücküberwiesen am 17.03.", user=clerk)
    credit_unassign(credit_id=9, note="falsche Person", user=clerk)   # a fuzzy match

How an import decides, credit by credit, in file order (docs/payments-reconciliation.md):

a. direct debit: ``EndToEndId`` = ``payment.uuid.hex`` of an open or pending ``direct_debit``
   payment with this amount → that payment is paid (source ``bank_statement``), EXACT;
b. a valid Kassenzeichen in the remittance and the amount is what is still open → a paid
   ``bank_transfer`` payment, EXACT;
c. a Kassenzeichen and less than is open → PARTIAL (once the partial credits add up to what
   is open, one payment over their sum is recorded and they are cleared); more than is open
   → the payment is recorded and the credit is OVERPAID, for a refund of the difference; the
   reference already paid → OVERPAID, no payment;
d. no Kassenzeichen: among the references nothing has come in for yet that owe exactly this
   amount, exactly one whose code is one typing error away from a number in the text, or
   whose holder's name or description matches the debtor or remittance well → FUZZY:
   recorded as paid, listed for a clerk to confirm;
e. otherwise UNMATCHED; a currency other than EUR → FOREIGN_CURRENCY, never matched.

"Still open" for a reference is its amount minus its paid payments (a refunded payment is
not paid) minus its partial credits not yet cleared.

An import is one transaction: a file that turns out broken at its last line imports
nothing. A file (by SHA-256) is imported once; a credit already stored from an overlapping
statement (same account, same bank reference) is skipped. Imports and clearings are
serialised (SQLite: its write lock; PostgreSQL: an advisory lock), so the amounts they
compute cannot be overtaken by another import.

Speed (``bench/reconciliation.py``: 100,000 lines in 14–25 s on 2 cores): the open
references are read once into memory; credits are decided in batches of ``BATCH_SIZE``
with one query each for known bank references, direct-debit payments and references not
yet in memory; credits, payments and their transitions are written as rows (``_Rows``:
``executemany`` on SQLite, ``COPY`` on PostgreSQL) rather than through ``bulk_create``.
Payments are written the way ``services.payment_record_received`` writes one (created open,
then paid, both logged with source ``bank_statement``) and announced
(``payment_status_changed``) after the commit, as ``services.transition`` does; the rare
ones – direct debits, live payments to cancel – go through ``services.transition`` itself.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import sys
import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import BinaryIO

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from stdnum import iban as stdnum_iban

from . import lock_objects, services
from .camt import CamtCredit, CamtError, CamtReader, CamtReversal, camt_max_bytes
from .models import (
    BANK_TRANSFER,
    CREDIT_MATCHES_TO_CLEAR,
    DIRECT_DEBIT,
    LIVE_STATUSES,
    BankCredit,
    BankStatement,
    CreditMatch,
    Payment,
    PaymentReference,
    PaymentStatus,
    PaymentTransition,
    TransitionSource,
)
from .references import code_clean, code_grouped
from .selectors import balance_of

__all__ = [
    "BATCH_SIZE",
    "CREDIT_MATCHES_OPEN",
    "ClearingRefused",
    "ClearingResult",
    "ImportReport",
    "credit_assign",
    "credit_clear",
    "credit_code_suggestion",
    "credit_get",
    "credit_unassign",
    "credits_to_clear",
    "credits_to_clear_counts",
    "reference_codes_in",
    "reference_open_cents",
    "statement_counters_refresh",
    "statement_import",
]

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
#: Reversals and warnings shown in a report (the log has all of them).
REPORT_LINES_KEPT = 20
#: Credits a clerk still has to look at: those to clear, and fuzzy matches to confirm.
CREDIT_MATCHES_OPEN = (*CREDIT_MATCHES_TO_CLEAR, CreditMatch.FUZZY)
#: Fuzzy matching by text: the score (0–100, rapidfuzz) a description or name must reach.
TEXT_SCORE = 90
#: Above this, a credit is not matched automatically (Payment.amount_cents is a 32-bit int).
MAX_AUTOMATIC_CENTS = 2_000_000_000
# Texts stored in the database (payment log, the credit's note) are German data, like the
# transition details of services.py; what the pages show is translated.
PARTIALS_NOTE = "Teilzahlungen vollständig: zusammen als eine Zahlung verbucht."
_MATCH_NOTES = {
    CreditMatch.CLERK: "bezahlt",
    CreditMatch.PARTIAL: "Teilzahlung",
    CreditMatch.OVERPAID: "Überzahlung, zu erstatten",
}
# Key of PostgreSQL's advisory lock that serialises imports and clearings ("camt").
_ADVISORY_LOCK_KEY = 0x63616D74
_CODE_LENGTH = 12


# -- report -----------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What :func:`statement_import` did with one file."""

    filename: str
    sha256: str = ""
    statement: BankStatement | None = None
    #: The file was refused: nothing was imported. ``error.message``, ``error.line``.
    error: CamtError | None = None
    #: The same file was imported before (this statement); nothing changed.
    already_imported: BankStatement | None = None
    counts: Counter = field(default_factory=Counter)
    direct_debits: int = 0  # of the EXACT ones: collections found by their EndToEndId
    partials_completed: int = 0  # references whose partial credits now add up
    known: int = 0  # credits already stored from an overlapping statement
    debits_skipped: int = 0
    not_booked: int = 0
    reversals: list[CamtReversal] = field(default_factory=list)
    reversals_count: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        return self.error is not None

    @property
    def credits(self) -> int:
        return sum(self.counts.values())

    @property
    def to_clear(self) -> int:
        """Credits of this file a clerk has to look at (fuzzy ones to confirm included)."""
        return self.statement.credits_open if self.statement is not None else 0

    def lines(self) -> list[str]:
        """The report in German, one finding per line: the first says what happened."""
        if self.error is not None:
            return [
                _("„%(file)s“ wurde nicht eingelesen: %(reason)s")
                % {"file": self.filename, "reason": str(self.error)},
                _("Es wurde nichts gespeichert. Bitte prüfen Sie die Datei."),
            ]
        if self.already_imported is not None:
            at = timezone.localtime(self.already_imported.imported_at)
            return [
                _(
                    "„%(file)s“ wurde bereits eingelesen am %(date)s um %(time)s Uhr; "
                    "nichts geändert."
                )
                % {
                    "file": self.filename,
                    "date": formats.date_format(at, "SHORT_DATE_FORMAT"),
                    "time": formats.time_format(at, "TIME_FORMAT"),
                }
            ]
        lines = [
            ngettext(
                "„%(file)s“ eingelesen: %(count)d neue Gutschrift.",
                "„%(file)s“ eingelesen: %(count)d neue Gutschriften.",
                self.credits,
            )
            % {"file": self.filename, "count": self.credits},
            _summary_line(self),
        ]
        if self.known:
            lines.append(
                ngettext(
                    "%(count)d Gutschrift war schon aus einem früheren Auszug bekannt und "
                    "wurde nicht noch einmal gezählt.",
                    "%(count)d Gutschriften waren schon aus einem früheren Auszug bekannt und "
                    "wurden nicht noch einmal gezählt.",
                    self.known,
                )
                % {"count": self.known}
            )
        if self.debits_skipped:
            lines.append(
                ngettext(
                    "%(count)d Belastung übersprungen.",
                    "%(count)d Belastungen übersprungen.",
                    self.debits_skipped,
                )
                % {"count": self.debits_skipped}
            )
        if self.not_booked:
            lines.append(
                ngettext(
                    "%(count)d Umsatz ist noch nicht gebucht (vorgemerkt) und wurde übersprungen.",
                    "%(count)d Umsätze sind noch nicht gebucht (vorgemerkt) und wurden "
                    "übersprungen.",
                    self.not_booked,
                )
                % {"count": self.not_booked}
            )
        for reversal in self.reversals[:REPORT_LINES_KEPT]:
            lines.append(_reversal_line(reversal))
        if self.reversals_count > REPORT_LINES_KEPT:
            lines.append(
                _("… und %(count)d weitere Rückbuchungen (alle im Protokoll).")
                % {"count": self.reversals_count - REPORT_LINES_KEPT}
            )
        lines.extend(self.warnings[:REPORT_LINES_KEPT])
        if len(self.warnings) > REPORT_LINES_KEPT:
            lines.append(
                _("… und %(count)d weitere Hinweise (alle im Protokoll).")
                % {"count": len(self.warnings) - REPORT_LINES_KEPT}
            )
        return lines


def _summary_line(report: ImportReport) -> str:
    counts = report.counts
    parts = []
    if counts[CreditMatch.EXACT]:
        exact = _("zugeordnet: %(count)d") % {"count": counts[CreditMatch.EXACT]}
        if report.direct_debits:
            exact += _(" (davon %(count)d Lastschrifteinzüge)") % {"count": report.direct_debits}
        parts.append(exact)
    if counts[CreditMatch.FUZZY]:
        parts.append(
            _("unscharf zugeordnet, zu bestätigen: %(count)d")
            % {"count": counts[CreditMatch.FUZZY]}
        )
    if counts[CreditMatch.PARTIAL]:
        partial = _("Teilzahlungen: %(count)d") % {"count": counts[CreditMatch.PARTIAL]}
        if report.partials_completed:
            partial += _(" (%(count)d Kassenzeichen damit vollständig bezahlt)") % {
                "count": report.partials_completed
            }
        parts.append(partial)
    for match, label in (
        (CreditMatch.OVERPAID, _("Überzahlungen: %(count)d")),
        (CreditMatch.UNMATCHED, _("nicht zugeordnet: %(count)d")),
        (CreditMatch.FOREIGN_CURRENCY, _("Fremdwährung: %(count)d")),
    ):
        if counts[match]:
            parts.append(label % {"count": counts[match]})
    if not parts:
        return _("Keine neuen Gutschriften.")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _reversal_line(reversal: CamtReversal) -> str:
    kind = (
        _("Rücklastschrift (Gutschrift zurückgebucht)")
        if reversal.direction == "DBIT"
        else _("Rückbuchung einer Zahlung der Stadt")
    )
    text = _("Zeile %(line)d: %(kind)s über %(amount)s, Buchung %(reference)s") % {
        "line": reversal.line,
        "kind": kind,
        "amount": _amount_text(reversal.amount_cents, reversal.currency),
        "reference": reversal.bank_reference,
    }
    if reversal.end_to_end_id:
        text += _(", Ende-zu-Ende-Referenz %(id)s") % {"id": reversal.end_to_end_id}
    return text + _(" – nicht zugeordnet, bitte von Hand prüfen.")


def _amount_text(cents: int, currency: str) -> str:
    from .money import format_cents

    if currency == "EUR":
        return format_cents(cents)
    return f"{format_cents(cents).replace('€', '').strip()} {currency}"


# -- Kassenzeichen in remittance texts -----------------------------------------------------

_DIGIT_RUN = re.compile(r"\d+(?:(?:[ \t]*[.\-/][ \t]*|[ \t]+)\d+)*")
_DIGITS = re.compile(r"\d+")
_IBAN_START = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}")
_NEAR_MISSES_KEPT = 8
_UUID_HEX = re.compile(r"^[0-9a-fA-F]{32}$")
_NON_WORD = re.compile(r"[\W_]+")


def reference_codes_in(
    text: str, *, lengths: Iterable[int] = (_CODE_LENGTH,)
) -> tuple[list[str], list[str]]:
    """The Kassenzeichen in a remittance text: ``(valid, near_misses)``.

    A code may be written in any grouping (``5300 0000 0120``, ``5300.0000.0120``,
    ``530000000120``), also split over two bank lines. Candidates are runs of consecutive
    digit groups with exactly the code's length; a single group longer than that (an
    account number, another authority's reference) is never cut into pieces, and IBANs in
    the text are removed first. ``valid`` are those with right check digits, in order of
    appearance, without repeats; ``near_misses`` are candidates one digit longer, shorter or
    of the right length with wrong check digits (for fuzzy matching)::

        reference_codes_in("KZ 5300 0000 0120, Parkausweis")  # (["530000000120"], [])
    """
    lengths = set(lengths) or {_CODE_LENGTH}
    longest = max(lengths) + 1
    near_lengths = {n + d for n in lengths for d in (-1, 0, 1)}
    valid: list[str] = []
    near: list[str] = []
    for run in _DIGIT_RUN.finditer(_without_ibans(text or "")):
        groups = _DIGITS.findall(run.group())
        for start in range(len(groups)):
            total = 0
            for end in range(start, len(groups)):
                total += len(groups[end])
                if total > longest:
                    break
                if total not in near_lengths:
                    continue
                digits = "".join(groups[start : end + 1])
                if total in lengths and code_clean(digits):
                    if digits not in valid:
                        valid.append(digits)
                elif digits not in near and len(near) < _NEAR_MISSES_KEPT:
                    near.append(digits)
    return valid, near


def _without_ibans(text: str) -> str:
    """The text with every valid IBAN (compact or in groups of four) blanked out."""
    upper = text.upper()
    if not _IBAN_START.search(upper):
        return text
    spans = []
    for match in _IBAN_START.finditer(upper):
        end = _iban_end(upper, match.start())
        if end:
            spans.append((match.start(), end))
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _iban_end(text: str, start: int) -> int:
    # Compact: the whole alphanumeric run is the IBAN.
    end = start
    while end < len(text) and text[end].isascii() and text[end].isalnum():
        end += 1
    if 15 <= end - start <= 34 and stdnum_iban.is_valid(text[start:end]):
        return end
    # Printed: groups of four separated by one space, the last group 1–4 characters.
    position, compact, found = start, "", 0
    while position < len(text) and len(compact) < 34:
        group_end = position
        while (
            group_end < len(text)
            and group_end - position < 4
            and text[group_end].isascii()
            and text[group_end].isalnum()
        ):
            group_end += 1
        group = text[position:group_end]
        if not group:
            break
        compact += group
        if 15 <= len(compact) <= 34 and stdnum_iban.is_valid(compact):
            found = group_end
        if len(group) < 4 or group_end >= len(text) or text[group_end] != " ":
            break
        position = group_end + 1
    return found


# -- state of the references during an import ----------------------------------------------


class _Ref:
    """A reference as the import sees it: what it owes and how much of it has come in."""

    __slots__ = (
        "amount",
        "code",
        "currency",
        "description",
        "holder",
        "new_partials",
        "paid",
        "partial",
        "pk",
        "purpose",
        "saved_partials",
        "text",
    )

    def __init__(self, pk, code, purpose, description, amount, currency, paid, holder):
        self.pk = pk
        self.code = code
        self.purpose = purpose
        self.description = sys.intern(description)  # a city has few distinct ones
        self.amount = amount
        self.currency = currency
        self.paid = paid
        self.holder = _folded(holder)
        self.text = _folded(description)
        self.partial = 0  # uncleared partial credits, all imports
        self.saved_partials = False  # some of them are in the database already
        # Partial credits of the current batch; a tuple until there is one (memory: the
        # import holds every open reference).
        self.new_partials: list[_Credit] | tuple = ()

    @property
    def remaining(self) -> int:
        return self.amount - self.paid - self.partial


@functools.lru_cache(maxsize=8192)
def _folded(text: str) -> str:
    """Lower case, umlauts spelt out, accents and punctuation gone: banks send
    ``HUNDESTEUER MUELLER`` for „Hundesteuer Müller“. (Cached: the descriptions of a
    city's references repeat.)"""
    text = (text or "").lower()
    if not text.isascii():
        for umlaut, spelt in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
            text = text.replace(umlaut, spelt)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text).strip()


def _references_query():
    paid = Coalesce(Sum("payments__amount_cents", filter=Q(payments__status=PaymentStatus.PAID)), 0)
    return PaymentReference.objects.annotate(paid_cents=paid).values_list(
        "pk",
        "code",
        "purpose",
        "description",
        "amount_cents",
        "currency",
        "paid_cents",
        "user__first_name",
        "user__last_name",
    )


def _ref_from_row(row) -> _Ref:
    pk, code, purpose, description, amount, currency, paid, first, last = row
    return _Ref(
        pk, code, purpose, description, amount, currency, paid, f"{first or ''} {last or ''}"
    )


@dataclass(frozen=True, slots=True)
class _Bucket:
    refs: list[_Ref]
    codes: list[str]  # of refs[i]
    holders: list[str]  # of refs[i], folded
    has_holders: bool
    texts: list[str]  # the distinct folded descriptions
    members: list[list[int]]  # for each of texts: the indices into refs


class _References:
    """The open references, by code and (for fuzzy matching) by the amount still open."""

    def __init__(self):
        self.by_code: dict[str, _Ref] = {}
        self.by_pk: dict[int, _Ref] = {}
        self.absent: set[str] = set()
        self.fresh_by_amount: dict[int, dict[str, _Ref]] = {}
        self._lists: dict[int, _Bucket] = {}
        rows = _references_query().filter(paid_cents__lt=F("amount_cents")).order_by()
        for row in rows.iterator(chunk_size=5000):
            self._add(_ref_from_row(row))
        self._add_partials(list(self.by_pk))
        for ref in self.by_pk.values():
            self._bucket(ref)
        self.lengths = {len(code) for code in self.by_code} or {_CODE_LENGTH}

    def _add(self, ref: _Ref) -> None:
        self.by_code[ref.code] = ref
        self.by_pk[ref.pk] = ref

    def _add_partials(self, pks: list[int]) -> None:
        partials = (
            BankCredit.objects.filter(
                match=CreditMatch.PARTIAL, cleared_at__isnull=True, reference__isnull=False
            )
            .values("reference_id")
            .annotate(total=Sum("amount_cents"))
            .order_by()
        )
        if len(pks) < 5000:
            partials = partials.filter(reference_id__in=pks)
        for row in partials:
            ref = self.by_pk.get(row["reference_id"])
            if ref is not None:
                ref.partial = row["total"]
                ref.saved_partials = True

    def _bucket(self, ref: _Ref) -> None:
        # Fuzzy matching considers only references nothing has come in for yet.
        if ref.paid == 0 and ref.partial == 0 and ref.currency == "EUR" and ref.amount > 0:
            self.fresh_by_amount.setdefault(ref.amount, {})[ref.code] = ref

    def unbucket(self, ref: _Ref) -> None:
        bucket = self.fresh_by_amount.get(ref.amount)
        if bucket is not None:
            bucket.pop(ref.code, None)

    def fresh(self, amount: int) -> _Bucket | None:
        """The references that owed exactly ``amount`` when nothing had come in for them
        yet, as lists for rapidfuzz. Built once per amount; a reference paid since stays
        in the lists (rebuilding them after every payment costs more than it saves): ask
        :meth:`is_fresh` about a hit."""
        lists = self._lists.get(amount)
        if lists is None:
            bucket = self.fresh_by_amount.get(amount)
            if not bucket:
                return None
            refs = list(bucket.values())
            by_text: dict[str, list[int]] = {}
            for index, ref in enumerate(refs):
                by_text.setdefault(ref.text, []).append(index)
            holders = [ref.holder for ref in refs]
            lists = _Bucket(
                refs=refs,
                codes=[ref.code for ref in refs],
                holders=holders,
                has_holders=any(holders),
                texts=list(by_text),
                members=list(by_text.values()),
            )
            self._lists[amount] = lists
        return lists

    def is_fresh(self, ref: _Ref) -> bool:
        return ref.paid == 0 and ref.partial == 0

    def load(self, codes: set[str]) -> None:
        """Read the references of these codes not yet in memory (paid ones, typically)."""
        wanted = [code for code in codes if code not in self.by_code and code not in self.absent]
        if not wanted:
            return
        found = [_ref_from_row(row) for row in _references_query().filter(code__in=wanted)]
        for ref in found:
            self._add(ref)
        self._add_partials([ref.pk for ref in found])
        self.absent.update(set(wanted) - {ref.code for ref in found})

    def get_pk(self, pk: int) -> _Ref | None:
        if pk not in self.by_pk:
            for row in _references_query().filter(pk=pk):
                self._add(_ref_from_row(row))
                self._add_partials([pk])
        return self.by_pk.get(pk)


# -- the import ----------------------------------------------------------------------------


def statement_import(
    source: BinaryIO | bytes, *, filename: str, user=None, max_bytes: int | None = None
) -> ImportReport:
    """Import one camt.053 file (a seekable binary stream or ``bytes``); see the module docs.

    Never raises for a bad file: the report says why it was refused (``report.error``,
    with the line). Nothing is stored then, and nothing either for a file imported before
    (``report.already_imported``). ``user`` is recorded as the importer (``None`` for the
    management command).
    """
    started = time.monotonic()
    if isinstance(source, bytes | bytearray | memoryview):
        import io

        source = io.BytesIO(bytes(source))
    filename = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255] or "kontoauszug.xml"
    report = ImportReport(filename=filename)
    limit = max_bytes or camt_max_bytes()
    try:
        report.sha256 = _sha256(source, limit=limit)
        with transaction.atomic():
            _reconciliation_lock()
            earlier = BankStatement.objects.filter(sha256=report.sha256).first()
            if earlier is not None:
                report.already_imported = earlier
            else:
                _Import(source, report=report, user=user, max_bytes=limit).run()
    except CamtError as error:
        report = ImportReport(filename=filename, sha256=report.sha256, error=error)
        logger.warning(
            "camt import of %s (sha256 %s) refused, nothing stored: %s",
            filename,
            report.sha256[:12] or "-",
            error,
        )
    report.seconds = time.monotonic() - started
    if report.already_imported is not None:
        logger.info(
            "camt import of %s: already imported as statement %s; nothing changed",
            filename,
            report.already_imported.pk,
        )
    elif report.statement is not None:
        logger.info(
            "camt import of %s as statement %s in %.1f s: %d credits (%s), %d already known, "
            "%d debits skipped, %d reversals, %d not booked",
            filename,
            report.statement.pk,
            report.seconds,
            report.credits,
            ", ".join(f"{key} {value}" for key, value in sorted(report.counts.items())),
            report.known,
            report.debits_skipped,
            report.reversals_count,
            report.not_booked,
        )
        for reversal in report.reversals:
            logger.warning("camt import of %s: %s", filename, _reversal_line(reversal))
        for warning in report.warnings:
            logger.warning("camt import of %s: %s", filename, warning)
    return report


def _sha256(source: BinaryIO, *, limit: int) -> str:
    source.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(2**20):
        size += len(chunk)
        if size > limit:
            raise CamtError(
                _("Die Datei ist größer als %(limit)d MB und wird nicht eingelesen.")
                % {"limit": limit // 2**20}
            )
        digest.update(chunk)
    source.seek(0)
    if size == 0:
        raise CamtError(_("Die Datei ist leer."))
    return digest.hexdigest()


def _reconciliation_lock() -> None:
    """Serialise imports and clearings. SQLite's IMMEDIATE transactions already do; on
    PostgreSQL an advisory lock held until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])


class _Credit:
    """A credit being imported (a BankCredit row to be), without the ORM's per-object cost."""

    __slots__ = ("cleared", "clearing_note", "match", "payment", "reference_id", "source")

    def __init__(self, source: CamtCredit):
        self.source = source
        self.match = CreditMatch.UNMATCHED
        self.reference_id: int | None = None
        self.payment: _NewPayment | Payment | None = None
        self.cleared = False
        self.clearing_note = ""

    @property
    def amount_cents(self) -> int:
        return self.source.amount_cents


class _NewPayment:
    """A paid bank-transfer payment to be written; ``pk`` once it is."""

    __slots__ = ("amount", "detail", "pk", "ref", "uuid")

    def __init__(self, ref: _Ref, amount: int, detail: str):
        self.uuid = uuid.uuid4()
        self.ref = ref
        self.amount = amount
        self.detail = detail
        self.pk: int | None = None


@dataclass
class _Batch:
    credits: list[_Credit] = field(default_factory=list)
    payments: list[_NewPayment] = field(default_factory=list)
    direct_debits: list[tuple[Payment, str]] = field(default_factory=list)
    paid_purposes: dict[str, str] = field(default_factory=dict)  # purpose -> detail
    saved_partials_done: dict[int, _NewPayment] = field(default_factory=dict)  # by reference
    touched: set[int] = field(default_factory=set)  # reference pks with new partial credits


_CLEARED_COLUMNS = ("payment", "cleared_at", "clearing_note", "id")


class _Rows:
    """``INSERT`` of many rows of one model: ``executemany`` on SQLite, ``COPY`` on
    PostgreSQL.

    ``bulk_create`` spends most of an import's time building model instances and compiling
    every value (measured: 60 % of 100,000 lines on SQLite); these rows are tuples of
    values ready for the database. ``columns`` are attribute names in the order of the
    tuples; every other column gets its field's default, and a field without a constant
    default must be listed (``ValueError`` names it otherwise).
    """

    def __init__(self, model, columns: list[str]):
        meta = model._meta
        quote = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        given = [meta.get_field(name).attname if name else name for name in columns]
        defaults = []
        for field_ in fields:
            if field_.attname in given:
                continue
            if field_.has_default() and callable(field_.default):
                raise ValueError(
                    f"{meta.label}.{field_.name} has a callable default: give it in columns."
                )
            value = field_.get_default()
            if value is None and not field_.null:
                raise ValueError(f"{meta.label}.{field_.name} needs a value: give it in columns.")
            defaults.append((field_.column, field_.get_db_prep_save(value, connection)))
        names = [meta.get_field(name).column for name in columns] + [c for c, _v in defaults]
        self.defaults = tuple(value for _c, value in defaults)
        # Names from the model's meta, quoted; the values go as parameters.
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(meta.db_table),
            ", ".join(quote(name) for name in names),
            ", ".join(["%s"] * len(names)),
        )

        self.copy_sql = "COPY {} ({}) FROM STDIN".format(
            quote(meta.db_table), ", ".join(quote(name) for name in names)
        )

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        defaults = self.defaults
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY: one round trip for the batch instead of a statement per row.
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row + defaults)
            else:
                cursor.executemany(self.sql, [row + defaults for row in rows])


class _Import:
    def __init__(self, source, *, report: ImportReport, user, max_bytes: int):
        self.reader = CamtReader(source, max_bytes=max_bytes)
        self.report = report
        self.user = user
        self.now = timezone.now()
        ops = connection.ops
        self.db_now = ops.adapt_datetimefield_value(self.now)
        self.db_date = ops.adapt_datefield_value
        self.native_uuid = connection.features.has_native_uuid_field
        self.refs = _References()
        # Purposes with an open or pending payment, which a payment by transfer cancels.
        # Read once: a payment started while the import runs is not cancelled by it (on
        # SQLite none can start; should one be paid later, the purpose shows as overpaid).
        self.live_purposes = set(
            Payment.objects.filter(status__in=LIVE_STATUSES).values_list("purpose", flat=True)
        )
        self.statement: BankStatement | None = None
        self.other_statements: set[int] = set()
        self.announce: list[int] = []
        self.credit_rows = _Rows(
            BankCredit,
            [
                "statement",
                "bank_reference",
                "account_iban",
                "booking_date",
                "value_date",
                "amount_cents",
                "currency",
                "debtor_name",
                "debtor_iban",
                "end_to_end_id",
                "remittance",
                "match",
                "reference",
                "payment",
                "cleared_at",
                "clearing_note",
            ],
        )
        self.payment_rows = _Rows(
            Payment,
            [
                "uuid",
                "purpose",
                "reference",
                "description",
                "amount_cents",
                "currency",
                "status",
                "provider",
                "return_url",
                "created_at",
                "updated_at",
                "paid_at",
            ],
        )
        self.transition_rows = _Rows(
            PaymentTransition,
            ["payment", "from_status", "to_status", "source", "detail", "created_at"],
        )

    def run(self) -> None:
        pending: list[CamtCredit] = []
        for credit in self.reader.credits():
            pending.append(credit)
            if len(pending) >= BATCH_SIZE:
                self._batch(pending)
                pending = []
        if pending:
            self._batch(pending)
        summary = self.reader.summary
        statement = self._statement()
        report = self.report
        report.statement = statement
        report.debits_skipped = summary.debits_skipped
        report.not_booked = summary.not_booked
        report.reversals = summary.reversals
        report.reversals_count = summary.reversals_count
        report.warnings = summary.warnings
        statement.debits_skipped = summary.debits_skipped
        statement.save(update_fields=["debits_skipped"])
        statement_counters_refresh({statement.pk, *self.other_statements})
        statement.refresh_from_db()
        if self.announce:
            transaction.on_commit(partial(_announce_paid, self.announce))

    def _statement(self) -> BankStatement:
        if self.statement is None:
            summary = self.reader.summary
            ibans = summary.account_ibans
            self.statement = BankStatement.objects.create(
                sha256=self.report.sha256,
                filename=self.report.filename,
                message_id=summary.message_id,
                account_iban=ibans[0] if len(ibans) == 1 else "",
                imported_by=self.user,
            )
        return self.statement

    # -- one batch ---------------------------------------------------------------------

    def _batch(self, sources: list[CamtCredit]) -> None:
        self._statement()
        known = self._known(sources)
        self.report.known += len(known)
        sources = [c for c in sources if (c.account_iban, c.bank_reference) not in known]
        found = [reference_codes_in(c.remittance, lengths=self.refs.lengths) for c in sources]
        self.refs.load({code for valid, _near in found for code in valid})
        direct_debits = self._direct_debits(sources)
        batch = _Batch()
        counts = self.report.counts
        for source, (valid, near) in zip(sources, found, strict=True):
            credit = _Credit(source)
            self._decide(credit, valid=valid, near=near, direct_debits=direct_debits, batch=batch)
            batch.credits.append(credit)
            counts[credit.match] += 1
        self._flush(batch)

    def _known(self, credits: list[CamtCredit]) -> set[tuple[str, str]]:
        by_account: dict[str, list[str]] = {}
        for credit in credits:
            by_account.setdefault(credit.account_iban, []).append(credit.bank_reference)
        known = set()
        for account, references in by_account.items():
            if connection.vendor == "postgresql":
                # One array parameter instead of a thousand: the ORM's IN list costs more
                # to build and send than the index lookup itself.
                meta, quote = BankCredit._meta, connection.ops.quote_name
                column = quote(meta.get_field("bank_reference").column)
                sql = "SELECT {} FROM {} WHERE {} = %s AND {} = ANY(%s)".format(  # noqa: S608
                    column,
                    quote(meta.db_table),
                    quote(meta.get_field("account_iban").column),
                    column,
                )
                with connection.cursor() as cursor:
                    cursor.execute(sql, [account, references])
                    known.update((account, row[0]) for row in cursor.fetchall())
            else:
                rows = BankCredit.objects.filter(
                    account_iban=account, bank_reference__in=references
                ).values_list("account_iban", "bank_reference")
                known.update(rows)
        return known

    def _direct_debits(self, credits: list[CamtCredit]) -> dict[str, Payment]:
        """The live direct-debit payments whose ``uuid.hex`` is a credit's EndToEndId."""
        ids = {
            uuid.UUID(hex=credit.end_to_end_id)
            for credit in credits
            if _UUID_HEX.match(credit.end_to_end_id)
        }
        if not ids:
            return {}
        payments = Payment.objects.filter(
            uuid__in=ids, provider=DIRECT_DEBIT, status__in=LIVE_STATUSES
        )
        return {payment.uuid.hex: payment for payment in payments}

    # -- deciding one credit -----------------------------------------------------------

    def _decide(self, credit: _Credit, *, valid, near, direct_debits, batch: _Batch) -> None:
        source = credit.source
        detail = _detail(self.report.filename, source.bank_reference)
        amount = source.amount_cents
        if source.currency != "EUR":
            credit.match = CreditMatch.FOREIGN_CURRENCY
            return
        if amount <= 0 or amount > MAX_AUTOMATIC_CENTS:
            return  # unmatched
        # (a) a direct-debit collection, by its EndToEndId
        collection = direct_debits.get(source.end_to_end_id.lower())
        if collection is not None and collection.amount_cents == amount:
            del direct_debits[source.end_to_end_id.lower()]
            ref = self.refs.get_pk(collection.reference_id) if collection.reference_id else None
            batch.direct_debits.append((collection, detail))
            credit.match = CreditMatch.EXACT
            credit.payment = collection
            credit.reference_id = collection.reference_id
            self.report.direct_debits += 1
            if ref is not None:
                ref.paid += amount
                self.refs.unbucket(ref)
            return
        # (b, c) a Kassenzeichen in the remittance
        refs = [self.refs.by_code[code] for code in valid if code in self.refs.by_code]
        if len(refs) > 1:
            # Several codes: the one whose open amount is exactly this credit, if unique.
            exact = [ref for ref in refs if ref.remaining == amount]
            refs = exact if len(exact) == 1 else []
            if not refs:
                return  # unmatched
        if refs:
            if refs[0].currency == source.currency:
                self._by_amount(credit, refs[0], detail=detail, batch=batch, dd=direct_debits)
            return
        # (d) fuzzy
        ref, why = self._fuzzy(source, near=near)
        if ref is not None:
            credit.match = CreditMatch.FUZZY
            credit.reference_id = ref.pk
            credit.payment = self._record(
                ref,
                amount,
                detail=f"{detail}; unscharf zugeordnet ({why}), zu bestätigen",
                batch=batch,
                dd=direct_debits,
            )
        # (e) otherwise unmatched

    def _by_amount(self, credit: _Credit, ref: _Ref, *, detail, batch, dd) -> None:
        amount = credit.amount_cents
        credit.reference_id = ref.pk
        remaining = ref.remaining
        if ref.amount - ref.paid <= 0 or remaining <= 0:
            credit.match = CreditMatch.OVERPAID  # paid already: all of it goes back
        elif amount == remaining and not ref.partial:
            credit.match = CreditMatch.EXACT
            credit.payment = self._record(ref, amount, detail=detail, batch=batch, dd=dd)
        elif amount < remaining:
            credit.match = CreditMatch.PARTIAL
            ref.partial += amount
            ref.new_partials = [*ref.new_partials, credit]
            batch.touched.add(ref.pk)
            self.refs.unbucket(ref)
        else:
            # The partial credits and this one add up to what is owed, or more.
            total = ref.partial + amount
            if ref.partial:
                self.report.partials_completed += 1
                detail = f"{detail}, mit den Teilzahlungen zusammen"
            credit.payment = self._record(ref, total, detail=detail, batch=batch, dd=dd)
            if amount == remaining:
                credit.match = CreditMatch.PARTIAL
                credit.cleared = True
                credit.clearing_note = PARTIALS_NOTE
            else:
                credit.match = CreditMatch.OVERPAID

    def _record(self, ref: _Ref, amount: int, *, detail: str, batch, dd) -> _NewPayment:
        """A paid bank-transfer payment of ``amount`` for ``ref``, written at the flush.
        The reference's partial credits, if any, are cleared with it."""
        payment = _NewPayment(ref, amount, detail)
        batch.payments.append(payment)
        batch.paid_purposes.setdefault(ref.purpose, detail)
        # A live direct-debit collection of the purpose is cancelled with the other live
        # payments (as payment_record_received does): its credit, should it come, is extra.
        for key in [k for k, p in dd.items() if p.purpose == ref.purpose]:
            del dd[key]
        for partial_credit in ref.new_partials:  # those of this batch, not yet written
            partial_credit.payment = payment
            partial_credit.cleared = True
            partial_credit.clearing_note = PARTIALS_NOTE
        if ref.saved_partials:
            batch.saved_partials_done[ref.pk] = payment
        ref.new_partials = ()
        ref.saved_partials = False
        ref.paid += amount
        ref.partial = 0
        self.refs.unbucket(ref)
        return payment

    def _fuzzy(self, credit: CamtCredit, *, near: list[str]) -> tuple[_Ref | None, str]:
        bucket = self.refs.fresh(credit.amount_cents)
        if bucket is None:
            return None, ""
        refs, is_fresh = bucket.refs, self.refs.is_fresh

        def fresh(indices) -> set[int]:
            return {index for index in indices if is_fresh(refs[index])}

        # A Kassenzeichen with one typing error: a wrong, missing, extra or swapped digit.
        typo = fresh(
            index
            for candidate in near
            for _code, _distance, index in process.extract(
                candidate, bucket.codes, scorer=OSA.distance, score_cutoff=1, limit=None
            )
        )
        if len(typo) == 1:
            return refs[typo.pop()], "Kassenzeichen mit einem Tippfehler"
        if typo:
            return None, ""
        # The holder's name (as debtor or in the text) and the description, uniquely.
        remittance = _folded(credit.remittance)
        debtor = _folded(credit.debtor_name)
        by_name = set()
        if debtor and bucket.has_holders:
            by_name.update(
                index
                for _h, _score, index in process.extract(
                    debtor,
                    bucket.holders,
                    scorer=fuzz.token_sort_ratio,
                    score_cutoff=TEXT_SCORE,
                    limit=None,
                )
            )
        if remittance and bucket.has_holders:
            words = set(remittance.split())
            by_name.update(
                index
                for holder, _score, index in process.extract(
                    remittance,
                    bucket.holders,
                    scorer=fuzz.token_set_ratio,
                    score_cutoff=100,
                    limit=None,
                )
                # all of a full name's words in the text, not the text's words in a name
                if len(holder.split()) >= 2 and set(holder.split()) <= words
            )
        by_name = fresh(by_name)
        described_texts = (
            [
                index
                for _text, _score, index in process.extract(
                    remittance,
                    bucket.texts,
                    scorer=fuzz.token_set_ratio,
                    score_cutoff=TEXT_SCORE,
                    limit=None,
                )
            ]
            if remittance
            else []
        )
        if by_name:
            both = {i for t in described_texts for i in bucket.members[t] if i in by_name}
            if len(both) == 1:
                return refs[both.pop()], "Betrag, Name und Verwendungszweck"
            if len(by_name) == 1:
                return refs[by_name.pop()], "Betrag und Name"
            return None, ""
        described: list[int] = []
        for text_index in described_texts:
            for index in bucket.members[text_index]:
                if is_fresh(refs[index]):
                    described.append(index)
                    if len(described) > 1:
                        return None, ""
        if described:
            return refs[described[0]], "Betrag und Verwendungszweck"
        return None, ""

    # -- writing one batch -------------------------------------------------------------

    def _flush(self, batch: _Batch) -> None:
        for collection, detail in batch.direct_debits:
            services.transition(
                collection,
                PaymentStatus.PAID,
                source=TransitionSource.BANK_STATEMENT,
                detail=detail,
            )
        live_purposes = [p for p in batch.paid_purposes if p in self.live_purposes]
        if live_purposes:
            for live in lock_objects.payments_lock_live_of(live_purposes):
                services.transition(
                    live,
                    PaymentStatus.CANCELLED,
                    source=TransitionSource.SYSTEM,
                    detail=f"Anders bezahlt: {batch.paid_purposes[live.purpose]}",
                )
        if batch.payments:
            self._payments_write(batch.payments)
        if batch.saved_partials_done:
            self._saved_partials_clear(batch.saved_partials_done)
        statement_id = self.statement.pk
        date = self.db_date
        db_now = self.db_now
        self.credit_rows.insert(
            [
                (
                    statement_id,
                    s.bank_reference,
                    s.account_iban,
                    date(s.booking_date),
                    date(s.value_date),
                    s.amount_cents,
                    s.currency,
                    s.debtor_name,
                    s.debtor_iban,
                    s.end_to_end_id,
                    s.remittance,
                    credit.match,
                    credit.reference_id,
                    credit.payment.pk if credit.payment is not None else None,
                    db_now if credit.cleared else None,
                    credit.clearing_note,
                )
                for credit in batch.credits
                for s in (credit.source,)
            ]
        )
        for pk in batch.touched:
            ref = self.refs.by_pk[pk]
            if ref.new_partials:  # still waiting for the rest: now in the database
                ref.saved_partials = True
                ref.new_partials = ()

    def _payments_write(self, payments: list[_NewPayment]) -> None:
        db_now = self.db_now
        db_uuid = (lambda u: u) if self.native_uuid else (lambda u: u.hex)
        last = Payment.objects.aggregate(last=Max("pk"))["last"] or 0
        self.payment_rows.insert(
            [
                (
                    db_uuid(p.uuid),
                    p.ref.purpose,
                    p.ref.pk,
                    p.ref.description,
                    p.amount,
                    p.ref.currency,
                    PaymentStatus.PAID.value,
                    BANK_TRANSFER,
                    "/",
                    db_now,
                    db_now,
                    db_now,
                )
                for p in payments
            ]
        )
        # Our rows got keys above every key committed before the insert; rows of other
        # transactions among them are skipped by their uuid.
        by_uuid = {p.uuid: p for p in payments}
        for payment_uuid, pk in Payment.objects.filter(pk__gt=last).values_list("uuid", "pk"):
            if payment_uuid in by_uuid:
                by_uuid[payment_uuid].pk = pk
        if any(p.pk is None for p in payments):  # pragma: no cover - a broken database
            raise RuntimeError("payments written by the import were not found again")
        source = TransitionSource.BANK_STATEMENT.value
        opened, paid = PaymentStatus.OPEN.value, PaymentStatus.PAID.value
        rows = []
        for p in payments:
            # As payment_record_received logs it: created open, then paid.
            rows.append((p.pk, "", opened, source, p.detail, db_now))
            rows.append((p.pk, opened, paid, source, p.detail, db_now))
        self.transition_rows.insert(rows)
        self.announce.extend(p.pk for p in payments)

    def _saved_partials_clear(self, done: dict[int, _NewPayment]) -> None:
        """Clear the partial credits written earlier (by this import or another) of the
        references now paid, and link them to the payment."""
        rows = BankCredit.objects.filter(
            reference_id__in=list(done), match=CreditMatch.PARTIAL, cleared_at__isnull=True
        ).values_list("pk", "reference_id", "statement_id")
        updates = []
        for pk, reference_id, statement_id in rows:
            updates.append((done[reference_id].pk, self.db_now, PARTIALS_NOTE, pk))
            if statement_id != self.statement.pk:
                self.other_statements.add(statement_id)
        if updates:
            quote, meta = connection.ops.quote_name, BankCredit._meta
            column = {name: quote(meta.get_field(name).column) for name in _CLEARED_COLUMNS}
            sql = "UPDATE {} SET {} = %s, {} = %s, {} = %s WHERE {} = %s".format(  # noqa: S608
                quote(meta.db_table),
                column["payment"],
                column["cleared_at"],
                column["clearing_note"],
                column["id"],
            )
            with connection.cursor() as cursor:
                cursor.executemany(sql, updates)


def _announce_paid(payment_ids: list[int]) -> None:
    """After the commit: tell the listeners of ``payment_status_changed`` about every
    payment the import recorded, as ``services.transition`` does for single ones."""
    wanted = set(payment_ids)
    # Key ranges, not IN lists: the import's payments are nearly consecutive.
    ordered = sorted(wanted)
    for start in range(0, len(ordered), BATCH_SIZE):
        chunk = ordered[start : start + BATCH_SIZE]
        payments = Payment.objects.filter(pk__gte=chunk[0], pk__lte=chunk[-1]).order_by("pk")
        for payment in payments:
            if payment.pk in wanted:
                services.status_change_announce(
                    payment=payment,
                    old_status=PaymentStatus.OPEN,
                    source=TransitionSource.BANK_STATEMENT,
                )


def _detail(filename: str, bank_reference: str) -> str:
    # Stored in the payment's log: German data, like every transition detail.
    return f"Kontoauszug {filename}, Buchung {bank_reference}"


def statement_counters_refresh(statement_ids: Iterable[int]) -> None:
    """Recount ``credits_total``, ``credits_matched`` and ``credits_open`` of statements.

    Open are the credits a clerk still has to look at (:data:`CREDIT_MATCHES_OPEN`, not
    cleared); matched are all the others.
    """
    ids = sorted(set(statement_ids))
    if not ids:
        return
    rows = (
        BankCredit.objects.filter(statement_id__in=ids)
        .values("statement_id")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(match__in=CREDIT_MATCHES_OPEN, cleared_at__isnull=True)),
        )
        .order_by()
    )
    counts = {row["statement_id"]: (row["total"], row["open"]) for row in rows}
    for pk in ids:
        total, open_ = counts.get(pk, (0, 0))
        BankStatement.objects.filter(pk=pk).update(
            credits_total=total, credits_matched=total - open_, credits_open=open_
        )


# -- clearing by a clerk -------------------------------------------------------------------


class ClearingRefused(Exception):
    """The clearing is not possible as asked; ``message`` (German) says why and what to do.
    ``field`` names the form field it concerns (``"code"``, ``"note"``) or is empty."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ClearingResult:
    credit: BankCredit
    message: str  # German, for the page: what happened


def reference_open_cents(reference: PaymentReference, *, without_credit: int | None = None):
    """``(open, partial)``: what the reference still owes (amount minus paid payments;
    negative when overpaid) and the sum of its partial credits not yet cleared (but that
    of ``without_credit``)."""
    balance = balance_of(reference)
    partials = BankCredit.objects.filter(
        reference=reference, match=CreditMatch.PARTIAL, cleared_at__isnull=True
    )
    if without_credit is not None:
        partials = partials.exclude(pk=without_credit)
    partial_sum = partials.aggregate(total=Coalesce(Sum("amount_cents"), 0))["total"]
    return balance.owed_cents - balance.paid_cents, partial_sum


def credit_assign(*, credit_id: int, code: str, note: str, user) -> ClearingResult:
    """Assign a credit to the Kassenzeichen ``code`` (typed in any grouping, with its check
    digits), with the amount rules of the import: what is open → paid (source ``clerk``);
    less → partial; more → paid and listed for a refund of the difference; a reference
    already paid → listed for a refund. A fuzzy match reassigned to another code has its
    payment marked refunded first (it never belonged to that reference). Raises
    :class:`ClearingRefused`.
    """
    cleaned = code_clean(code)
    if cleaned is None:
        raise ClearingRefused(
            _(
                "„%(code)s“ ist kein gültiges Kassenzeichen: Die Prüfziffern stimmen nicht. "
                "Bitte prüfen Sie die Ziffern (12 Ziffern, z. B. 5300 0000 0120)."
            )
            % {"code": code.strip()},
            field="code",
        )
    with transaction.atomic():
        _reconciliation_lock()
        credit = _credit_lock(credit_id)
        _check_open(credit)
        if credit.currency != "EUR":
            raise ClearingRefused(
                _(
                    "Eine Gutschrift in %(currency)s kann keinem Kassenzeichen in Euro "
                    "zugeordnet werden. Buchen Sie den Euro-Betrag von Hand und markieren "
                    "Sie den Eingang dann als erledigt."
                )
                % {"currency": credit.currency}
            )
        reference = PaymentReference.objects.filter(code=cleaned).first()
        if reference is None:
            raise ClearingRefused(
                _("Es gibt kein Kassenzeichen %(code)s. Bitte prüfen Sie die Eingabe.")
                % {"code": code_grouped(cleaned)},
                field="code",
            )
        if credit.payment_id is not None:
            if credit.reference_id == reference.pk:
                raise ClearingRefused(
                    _(
                        "Der Eingang ist diesem Kassenzeichen schon zugeordnet. Bestätigen Sie "
                        "die Zuordnung oder markieren Sie den Eingang als erledigt."
                    ),
                    field="code",
                )
            _payment_withdraw(credit, user=user, why=f"umgebucht auf {code_grouped(cleaned)}")
        open_cents, partial = reference_open_cents(reference, without_credit=credit.pk)
        remaining = open_cents - partial
        amount = credit.amount_cents
        credit.reference = reference
        detail = f"{_detail(credit.statement.filename, credit.bank_reference)}; von Hand zugeordnet"
        statements = {credit.statement_id}
        if open_cents <= 0 or remaining <= 0:
            credit.match = CreditMatch.OVERPAID
            message = _(
                "Das Kassenzeichen ist bereits bezahlt. Der Eingang steht als Überzahlung "
                "zur Erstattung in der Liste."
            )
        elif amount < remaining:
            credit.match = CreditMatch.PARTIAL
            message = _(
                "Als Teilzahlung zugeordnet; es fehlen noch %(missing)s. Der Eingang bleibt in "
                "der Liste, bis der Rest eingeht."
            ) % {"missing": _money(remaining - amount)}
        else:
            payment = services.payment_record_received(
                reference,
                channel=BANK_TRANSFER,
                amount_cents=amount + partial,
                source=TransitionSource.CLERK,
                detail=detail,
                actor=user,
            )
            credit.payment = payment
            if partial:
                partials = BankCredit.objects.filter(
                    reference=reference, match=CreditMatch.PARTIAL, cleared_at__isnull=True
                ).exclude(pk=credit.pk)
                statements.update(partials.values_list("statement_id", flat=True))
                partials.update(
                    payment=payment,
                    cleared_at=timezone.now(),
                    cleared_by=user,
                    clearing_note=PARTIALS_NOTE,
                )
            if amount == remaining:
                credit.match = CreditMatch.CLERK
                credit.cleared_at = timezone.now()
                credit.cleared_by = user
                message = _("Zugeordnet; das Kassenzeichen ist damit bezahlt.")
            else:
                credit.match = CreditMatch.OVERPAID
                message = _(
                    "Zugeordnet; das Kassenzeichen ist bezahlt. %(excess)s sind zu viel "
                    "gezahlt: Der Eingang steht zur Erstattung in der Liste."
                ) % {"excess": _money(amount - remaining)}
        _note_add(
            credit,
            user,
            f"Kassenzeichen {reference.code_display} zugeordnet ({_MATCH_NOTES[credit.match]}).",
            note,
        )
        credit.save()
        statement_counters_refresh(statements)
    logger.info(
        "credit %s (%s) assigned by %s to reference %s: %s",
        credit.pk,
        credit.bank_reference,
        getattr(user, "username", user),
        reference.code,
        credit.match,
    )
    return ClearingResult(credit, message)


def credit_clear(*, credit_id: int, note: str, user) -> ClearingResult:
    """Mark a credit done: a fuzzy match confirmed (the note may be empty), or any other
    credit to clear "zurücküberwiesen/erledigt" (a note is required: what was done)."""
    note = (note or "").strip()
    with transaction.atomic():
        _reconciliation_lock()
        credit = _credit_lock(credit_id)
        _check_open(credit)
        confirming = credit.match == CreditMatch.FUZZY
        if not note and not confirming:
            raise ClearingRefused(
                _(
                    "Bitte vermerken Sie, was mit dem Eingang geschehen ist, z. B. "
                    "„am 17.03. zurücküberwiesen“."
                ),
                field="note",
            )
        credit.cleared_at = timezone.now()
        credit.cleared_by = user
        _note_add(
            credit,
            user,
            "Zuordnung bestätigt." if confirming else "Als erledigt markiert.",
            note,
        )
        credit.save(update_fields=["cleared_at", "cleared_by", "clearing_note"])
        statement_counters_refresh([credit.statement_id])
    logger.info(
        "credit %s (%s) %s by %s",
        credit.pk,
        credit.bank_reference,
        "confirmed" if confirming else "cleared",
        getattr(user, "username", user),
    )
    message = (
        _("Die Zuordnung ist bestätigt.")
        if confirming
        else _("Der Eingang ist als erledigt markiert.")
    )
    return ClearingResult(credit, message)


def credit_unassign(*, credit_id: int, note: str, user) -> ClearingResult:
    """Take back a fuzzy match that is wrong: its payment is marked refunded (it never
    belonged to that reference) and the credit is listed as not matched."""
    note = (note or "").strip()
    if not note:
        raise ClearingRefused(
            _("Bitte vermerken Sie, warum die Zuordnung falsch ist."), field="note"
        )
    with transaction.atomic():
        _reconciliation_lock()
        credit = _credit_lock(credit_id)
        _check_open(credit)
        if credit.match != CreditMatch.FUZZY:
            raise ClearingRefused(_("Nur eine unscharfe Zuordnung kann zurückgenommen werden."))
        old_code = credit.reference.code_display if credit.reference else ""
        _payment_withdraw(credit, user=user, why=note)
        credit.match = CreditMatch.UNMATCHED
        credit.reference = None
        _note_add(
            credit,
            user,
            f"Unscharfe Zuordnung zu {old_code} zurückgenommen.",
            note,
        )
        credit.save()
        statement_counters_refresh([credit.statement_id])
    logger.info(
        "credit %s (%s): fuzzy match to %s taken back by %s",
        credit.pk,
        credit.bank_reference,
        old_code,
        getattr(user, "username", user),
    )
    return ClearingResult(credit, _("Die Zuordnung ist zurückgenommen; der Eingang ist offen."))


def _credit_lock(credit_id: int) -> BankCredit:
    # Belongs with the app's other locks in lock_objects.py (one row, by primary key).
    credit = (
        BankCredit.objects.select_for_update(of=("self",))
        .select_related("statement", "reference", "payment")
        .filter(pk=credit_id)
        .first()
    )
    if credit is None:
        raise ClearingRefused(_("Diesen Zahlungseingang gibt es nicht."))
    return credit


def _check_open(credit: BankCredit) -> None:
    if credit.cleared_at is not None:
        by = credit.cleared_by.display_name if credit.cleared_by else _("dem System")
        raise ClearingRefused(
            _("Dieser Eingang wurde bereits am %(date)s von %(name)s geklärt.")
            % {
                "date": formats.date_format(
                    timezone.localtime(credit.cleared_at), "SHORT_DATETIME_FORMAT"
                ),
                "name": by,
            }
        )
    if credit.match not in CREDIT_MATCHES_OPEN:
        raise ClearingRefused(_("Dieser Eingang ist bereits zugeordnet; es ist nichts zu klären."))


def _payment_withdraw(credit: BankCredit, *, user, why: str) -> None:
    """Undo the payment an automatic match recorded for this credit alone."""
    payment = credit.payment
    if payment is None:
        return
    if payment.amount_cents != credit.amount_cents or payment.provider != BANK_TRANSFER:
        raise ClearingRefused(
            _(
                "Zu diesem Eingang gehört eine Zahlung, die auch andere Eingänge umfasst. "
                "Bitte klären Sie ihn über die Zahlung."
            )
        )
    if payment.status == PaymentStatus.PAID:
        services.transition(
            payment,
            PaymentStatus.REFUNDED,
            source=TransitionSource.CLERK,
            actor=user,
            detail=f"Fehlzuordnung des Eingangs {credit.bank_reference}: {why}",
        )
    credit.payment = None


def _note_add(credit: BankCredit, user, what: str, note: str) -> None:
    """Append one line to the credit's note: when, who, what, and the clerk's words."""
    at = formats.date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")
    who = getattr(user, "display_name", "") or str(user or "System")
    line = f"{at}, {who}: {what}"
    if note.strip():
        line += f" {note.strip()}"
    credit.clearing_note = "\n".join(filter(None, [credit.clearing_note, line]))


def _money(cents: int) -> str:
    return _amount_text(cents, "EUR")


# -- reads for the cash office -------------------------------------------------------------


def credits_to_clear(*, match: str = ""):
    """The credits a clerk has to look at, the oldest booking first: those to clear
    (:data:`~.models.CREDIT_MATCHES_TO_CLEAR`) and fuzzy matches to confirm, not yet
    cleared. ``match`` narrows to one kind."""
    matches = [match] if match in CREDIT_MATCHES_OPEN else list(CREDIT_MATCHES_OPEN)
    return (
        BankCredit.objects.filter(match__in=matches, cleared_at__isnull=True)
        .select_related("reference", "statement")
        .order_by("booking_date", "pk")
    )


def credits_to_clear_counts() -> dict[str, int]:
    """How many credits of each kind are to clear (one query)."""
    rows = (
        BankCredit.objects.filter(match__in=CREDIT_MATCHES_OPEN, cleared_at__isnull=True)
        .values_list("match")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


def credit_get(credit_id: int) -> BankCredit | None:
    return (
        BankCredit.objects.select_related("statement", "reference", "payment", "cleared_by")
        .filter(pk=credit_id)
        .first()
    )


def credit_code_suggestion(credit: BankCredit) -> str:
    """A Kassenzeichen to offer in the assign form: the one reference found in the
    remittance, if exactly one exists; else empty."""
    valid, _near = reference_codes_in(credit.remittance)
    codes = list(PaymentReference.objects.filter(code__in=valid).values_list("code", flat=True))
    return code_grouped(codes[0]) if len(codes) == 1 else ""
