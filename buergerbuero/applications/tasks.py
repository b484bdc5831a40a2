"""Background work of applications: receipts, emails to citizens, reminders, retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from buergerbuero.identity.trust import TrustLevel
from buergerbuero.notifications.services import Attachment, send_email
from buergerbuero.notifications.zbp.services import inbox_recipient, inbox_send

from .models import Application, ApplicationStatus, Case, Document, DocumentKind

logger = logging.getLogger("buergerbuero.applications")


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def citizen_email(application: Application) -> str:
    if application.user and application.user.email:
        return application.user.email
    if application.contact_email:
        return application.contact_email
    for field in application.definition.spec.all_fields():
        if field.type == "email" and application.answers.get(field.key):
            return application.answers[field.key]
    return ""


@task()
def after_submission(case_id: int) -> None:
    """File the receipt PDF in the case and email it to the citizen (once)."""
    from .documents import receipt_pdf

    case = Case.objects.select_related("application__service", "department").get(pk=case_id)
    application = case.application
    receipt = application.documents.filter(kind=DocumentKind.RECEIPT).first()
    if receipt is None:
        pdf = receipt_pdf(case)
        receipt = Document(
            application=application,
            kind=DocumentKind.RECEIPT,
            name=f"Eingangsbestaetigung-{case.reference}.pdf",
            content_type="application/pdf",
            size=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
        receipt.file.save(receipt.name, ContentFile(pdf), save=False)
        receipt.save()
    else:
        with receipt.file.open("rb") as handle:
            pdf = handle.read()
    address = citizen_email(application)
    if address:
        with transaction.atomic():
            send_email(
                to=address,
                template="applications/email/submitted",
                context={
                    "reference": case.reference,
                    "service_name": application.service.name,
                    "status_url": site_url(_status_path(case)),
                    "logged_in": application.user_id is not None,
                },
                language=application.language,
                attachments=[Attachment(receipt.name, pdf, "application/pdf")],
                topic="application.submitted",
            )
    spec = application.definition.spec
    if spec.automatic and not _fee_open(application):
        _decide_automatically(case)


def _fee_open(application: Application) -> bool:
    """The citizen chose to transfer the fee and it has not come in yet."""
    from buergerbuero.payments.selectors import balance_of, reference_of

    reference = reference_of(application.payment_purpose)
    return reference is not None and balance_of(reference).open_cents > 0


@task()
def decide_when_paid(case_id: int) -> None:
    """An automatic service whose fee came by transfer: decide now that it is here."""
    case = Case.objects.select_related("application__definition").get(pk=case_id)
    if case.application.definition.spec.automatic and not _fee_open(case.application):
        _decide_automatically(case)


def _decide_automatically(case: Case) -> None:
    from .casework import notice_issue, notice_text_default
    from .models import CaseEvent, CaseStatus, EventKind

    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.notices.exists():
            return
        Case.objects.filter(pk=case.pk).update(
            status=CaseStatus.APPROVED, decided_at=timezone.now(), version=F("version") + 1
        )
        locked.refresh_from_db()
        CaseEvent.objects.create(
            case=locked, kind=EventKind.DECISION, text=str(CaseStatus.APPROVED.label)
        )
        text = notice_text_default(locked, CaseStatus.APPROVED, language=case.application.language)
        notice_issue(locked, decision=CaseStatus.APPROVED, text=text)


def _status_path(case: Case) -> str:
    """Where the citizen follows the case: "Mein Bürgerbüro" with an account; without one,
    a fresh secret link (the newest link works, older ones stop)."""
    from django.urls import reverse
    from django.utils import translation

    from .services import resume_link_create

    application = case.application
    with translation.override(application.language or "de"):
        if application.user_id is None:
            return resume_link_create(application, email=citizen_email(application))
        return reverse("applications:my_case", args=[case.reference])


@task()
def notify_citizen(case_id: int, what: str) -> None:
    """Tell the citizen something happened on their case; the content stays in the
    account (an email carries no personal data beyond the reference). A citizen whose
    BundID has an inbox gets the message there as well, a notice with its PDF."""
    case = Case.objects.select_related("application__service", "application__user").get(pk=case_id)
    application = case.application
    address = citizen_email(application)
    if not address and inbox_recipient(application.user) is None:
        return
    template = f"applications/email/{what}"
    context = {
        "reference": case.reference,
        "service_name": application.service.name,
        "status_url": site_url(_status_path(case)),
    }
    email = None
    if address:
        email = send_email(
            to=address,
            template=template,
            context=context,
            language=application.language,
            topic=f"case.{what}",
        )
    attachments, key = _inbox_notice(case) if what == "notice" else ([], None)
    inbox_send(
        user=application.user,
        template=template,
        context=context,
        language=application.language,
        service=application.service.name,
        reference=case.reference,
        attachments=attachments,
        topic=f"case.{what}",
        email=email,
        key=key,
        level=TrustLevel.highest(application.identity_level, application.service.trust_level),
    )


def _inbox_notice(case: Case) -> tuple[list[Attachment], str | None]:
    """The latest notice's PDF for the inbox, and a key that sends it there only once."""
    notice = case.notices.select_related("document").first()
    if notice is None:
        return [], None
    with notice.document.file.open("rb") as handle:
        pdf = handle.read()
    attachment = Attachment(notice.document.name, pdf, notice.document.content_type)
    return [attachment], f"case.notice:{notice.pk}"


@task()
def notify_caseworker(case_id: int, what: str) -> None:
    """Tell the assigned caseworker that the citizen answered (a message, a document).
    Unassigned cases show up in the department's inbox instead."""
    case = Case.objects.select_related("assigned_to", "service").get(pk=case_id)
    if case.assigned_to is None or not case.assigned_to.email:
        return
    send_email(
        to=case.assigned_to.email,
        template=f"applications/email/caseworker_{what}",
        context={
            "reference": case.reference,
            "service_name": case.service.name,
            "case_url": site_url(_backoffice_path(case)),
        },
        language="de",
        topic=f"case.caseworker_{what}",
    )


def _backoffice_path(case: Case) -> str:
    from django.urls import reverse
    from django.utils import translation

    with translation.override("de"):
        return reverse("backoffice:case", args=[case.reference])


@task()
def resume_link_send(application_id: int, path: str) -> None:
    application = Application.objects.select_related("service").get(pk=application_id)
    send_email(
        to=application.contact_email,
        template="applications/email/resume",
        context={
            "service_name": application.service.name,
            "resume_url": site_url(path),
            "expires_at": application.expires_at,
        },
        language=application.language,
        topic="application.resume_link",
    )


# -- housekeeping (run by `manage.py housekeeping`, e.g. hourly from a timer) ------------


def drafts_remind() -> int:
    """Remind citizens of drafts that expire within APPLICATION_DRAFT_REMINDER_DAYS."""
    soon = timezone.now() + dt.timedelta(days=settings.APPLICATION_DRAFT_REMINDER_DAYS)
    due = Application.objects.filter(
        status__in=[ApplicationStatus.DRAFT, ApplicationStatus.AWAITING_PAYMENT],
        expires_at__lte=soon,
        expires_at__gt=timezone.now(),
        reminder_sent_at=None,
    ).select_related("service", "user")
    sent = 0
    for application in due:
        address = citizen_email(application)
        with transaction.atomic():
            Application.objects.filter(pk=application.pk).update(reminder_sent_at=timezone.now())
            if address:
                send_email(
                    to=address,
                    template="applications/email/draft_reminder",
                    context={
                        "service_name": application.service.name,
                        "expires_at": application.expires_at,
                        "logged_in": application.user_id is not None,
                    },
                    language=application.language,
                    topic="application.draft_reminder",
                )
                sent += 1
    return sent


def drafts_expire() -> int:
    """Delete drafts past their expiry, with their uploads. A draft whose payment is
    under way is kept until the payment is settled."""
    from buergerbuero.payments.models import PaymentStatus
    from buergerbuero.payments.selectors import payment_for

    from .services import draft_discard

    expired = 0
    for application in Application.objects.filter(
        status__in=[ApplicationStatus.DRAFT, ApplicationStatus.AWAITING_PAYMENT],
        expires_at__lte=timezone.now(),
    ):
        payment = payment_for(application.payment_purpose)
        if payment and payment.status in (PaymentStatus.PENDING, PaymentStatus.PAID):
            continue
        draft_discard(application)
        expired += 1
    if expired:
        logger.info("%s expired drafts deleted", expired)
    return expired


def cases_anonymise() -> int:
    """Cases past their retention date: documents deleted, answers and names removed.
    The reference, service, dates and the audit trail stay."""
    count = 0
    for case in Case.objects.filter(retain_until__lt=timezone.localdate(), anonymised_at=None):
        with transaction.atomic():
            application = case.application
            for document in application.documents.all():
                if hasattr(document, "notice"):
                    document.file.delete(save=False)
                    continue
                document.file.delete(save=False)
                document.delete()
            application.answers = {}
            application.raw = {}
            application.contact_email = ""
            application.user = None
            application.save()
            case.messages.all().delete()
            case.events.exclude(kind__in=["submitted", "decision", "status"]).delete()
            Case.objects.filter(pk=case.pk).update(applicant_name="–", anonymised_at=timezone.now())
            count += 1
    if count:
        logger.info("%s cases anonymised after their retention period", count)
    return count


def orphan_files_remove(*, min_age: dt.timedelta = dt.timedelta(hours=6)) -> int:
    """Files in the case file's storage that no document refers to — left behind when a
    transaction that had already written its PDF was rolled back. Only folders touched in
    the last week are looked at, and only files older than ``min_age``."""
    from .models import private_storage

    storage = private_storage()
    if not storage.exists("applications"):
        return 0
    now = timezone.now()
    removed = 0
    folders, _files = storage.listdir("applications")
    for folder in folders:
        path = f"applications/{folder}"
        if now - storage.get_modified_time(path) > dt.timedelta(days=7):
            continue
        referenced = set(
            Document.objects.filter(file__startswith=f"{path}/").values_list("file", flat=True)
        )
        for name in storage.listdir(path)[1]:
            full = f"{path}/{name}"
            if full not in referenced and now - storage.get_modified_time(full) > min_age:
                storage.delete(full)
                removed += 1
    if removed:
        logger.info("%s orphaned document files removed", removed)
    return removed
