"""Everything this system holds about one citizen, for the export (GDPR Art. 15 and 20).

Read-only: it reads the other apps' models, changes nothing. No secrets leave: no password
hash, no second-factor keys or backup codes, no tokens of resume links. Staff members'
names are left out (they are the staff member's data, not the citizen's)::

    data = account_data_export(user)      # a dict, serialisable with DjangoJSONEncoder
    json.dumps(data, cls=DjangoJSONEncoder)
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.utils import timezone

FORMAT = "buergerbuero.account-export/1"
LINK_EMAIL_TOPICS = {"account.verify", "account.password_reset"}


def _iso(value):
    return value.isoformat() if value else None


def account_data_export(user) -> dict:
    from buergerbuero.core.selectors import municipality_get

    applications = _applications(user)
    return {
        "format": FORMAT,
        "created_at": _iso(timezone.now()),
        "controller": municipality_get().name,
        "account": _account(user),
        "login_identities": _identities(user),
        "second_factor": _second_factor(user),
        "identity_verifications": [
            {
                "method": verification.method,
                "level": verification.level,
                "document_type": verification.get_document_type_display(),
                "verified_at": _iso(verification.verified_at),
            }
            for verification in user.identity_verifications.all()
        ],
        "applications": applications,
        "payments": _payments(user, [a["public_id"] for a in applications]),
        "emails": _emails(user, applications),
        "consents_and_account_events": _account_events(user),
    }


def _account(user) -> dict:
    return {
        "username": user.get_username(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "email_confirmed_at": _iso(user.email_verified_at),
        "birth_date": _iso(user.birth_date),
        "street": user.street,
        "postcode": user.postcode,
        "city": user.city,
        "phone": user.phone,
        "created_at": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "verified_level": user.verified_level,
        "has_password": user.has_usable_password(),
    }


def _identities(user) -> list[dict]:
    return [
        {
            "method": identity.method,
            "method_name": identity.get_method_display(),
            "provider": identity.provider,
            "subject": identity.subject,
            "last_level": identity.last_level,
            "has_inbox": identity.has_inbox,
            "linked_at": _iso(identity.created_at),
            "last_login_at": _iso(identity.last_login_at),
        }
        for identity in user.external_identities.order_by("created_at")
    ]


def _second_factor(user) -> dict:
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return {
        "authenticator_app": totp is not None,
        "authenticator_app_since": _iso(getattr(totp, "created_at", None)),
        "backup_codes_left": StaticToken.objects.filter(device__user=user).count(),
    }


def _applications(user) -> list[dict]:
    from buergerbuero.applications.models import Application, CaseEvent

    applications = (
        Application.objects.filter(user=user)
        .select_related("service", "case__department")
        .prefetch_related(
            "documents",
            Prefetch("case__events", CaseEvent.objects.filter(public=True)),
            "case__messages",
            "case__document_requests",
            "case__notices",
        )
        .order_by("created_at")
    )
    result = []
    for application in applications:
        case = getattr(application, "case", None)
        result.append(
            {
                "public_id": str(application.public_id),
                "service": application.service.name,
                "status": application.status,
                "language": application.language,
                "created_at": _iso(application.created_at),
                "updated_at": _iso(application.updated_at),
                "submitted_at": _iso(application.submitted_at),
                "draft_expires_at": _iso(application.expires_at),
                "answers": application.answers,
                "contact_email": application.contact_email,
                "documents": [
                    {
                        "name": document.name,
                        "kind": document.get_kind_display(),
                        "content_type": document.content_type,
                        "size": document.size,
                        "created_at": _iso(document.created_at),
                    }
                    for document in application.documents.all()
                ],
                "case": _case(case) if case else None,
            }
        )
    return result


def _case(case) -> dict:
    return {
        "reference": case.reference,
        "department": case.department.name,
        "status": case.status,
        "status_name": case.get_status_display(),
        "applicant_name": case.applicant_name,
        "created_at": _iso(case.created_at),
        "decided_at": _iso(case.decided_at),
        "closed_at": _iso(case.closed_at),
        "retain_until": _iso(case.retain_until),
        "events": [
            {"kind": event.get_kind_display(), "text": event.text, "at": _iso(event.created_at)}
            for event in case.events.all()
        ],
        "messages": [
            {
                "from": "citizen" if message.from_citizen else "office",
                "body": message.body,
                "sent_at": _iso(message.created_at),
                "read_at": _iso(message.read_at),
            }
            for message in case.messages.all()
        ],
        "document_requests": [
            {
                "description": request.description,
                "due_date": _iso(request.due_date),
                "requested_at": _iso(request.created_at),
                "fulfilled_at": _iso(request.fulfilled_at),
            }
            for request in case.document_requests.all()
        ],
        "notices": [
            {
                "title": notice.title,
                "decision": notice.decision,
                "issued_at": _iso(notice.issued_at),
                "verification_code": notice.verification_code,
                "revoked_at": _iso(notice.revoked_at),
            }
            for notice in case.notices.all()
        ],
    }


def _payments(user, application_ids: list[str]) -> dict:
    from buergerbuero.payments.models import DirectDebitMandate, Payment, PaymentReference

    purposes = [f"application:{public_id}" for public_id in application_ids]
    references = PaymentReference.objects.filter(Q(user=user) | Q(purpose__in=purposes))
    payments = Payment.objects.filter(Q(reference__in=references) | Q(purpose__in=purposes))
    return {
        "kassenzeichen": [
            {
                "code": reference.code,
                "description": reference.description,
                "amount_cents": reference.amount_cents,
                "currency": reference.currency,
                "due_date": _iso(reference.due_date),
                "issuer": reference.issuer,
                "created_at": _iso(reference.created_at),
            }
            for reference in references.order_by("created_at")
        ],
        "payments": [
            {
                "payment_number": str(payment.uuid),
                "kassenzeichen": payment.reference.code if payment.reference else None,
                "description": payment.description,
                "amount_cents": payment.amount_cents,
                "currency": payment.currency,
                "status": payment.status,
                "channel": payment.provider,
                "created_at": _iso(payment.created_at),
                "paid_at": _iso(payment.paid_at),
            }
            for payment in payments.select_related("reference").order_by("created_at")
        ],
        "direct_debit_mandates": [
            {
                "mandate_reference": mandate.mandate_reference,
                "kassenzeichen": mandate.reference.code,
                "account_holder": mandate.debtor_name,
                "iban": mandate.iban,
                "bic": mandate.bic,
                "signed_on": _iso(mandate.signed_on),
                "revoked_at": _iso(mandate.revoked_at),
            }
            for mandate in DirectDebitMandate.objects.filter(user=user).select_related("reference")
        ],
    }


def _emails(user, applications: list[dict]) -> list[dict]:
    from buergerbuero.notifications.models import EmailAttachment, OutgoingEmail

    # Only the account's confirmed address: an address anyone can type (a changed, not yet
    # confirmed one, or a draft's "send me the link" address) would hand out other people's
    # mail, resume links included.
    if not (user.email and user.email_verified_at):
        return []
    query = Q(to__iexact=user.email)
    return [
        {
            "to": email.to,
            "subject": email.subject,
            "topic": email.topic,
            "status": email.status,
            "created_at": _iso(email.created_at),
            "sent_at": _iso(email.sent_at),
            # Account emails carry one-time links (confirmation, password reset): not exported.
            "text": "" if email.topic in LINK_EMAIL_TOPICS else email.body_text,
            "attachments": [attachment.filename for attachment in email.attachments.all()],
        }
        for email in OutgoingEmail.objects.filter(query)
        .prefetch_related(Prefetch("attachments", EmailAttachment.objects.defer("content")))
        .order_by("created_at")
    ]


def _account_events(user) -> list[dict]:
    from buergerbuero.applications.models import AuditEntry

    return [
        {"action": entry.action, "detail": entry.detail, "at": _iso(entry.at)}
        for entry in AuditEntry.objects.filter(actor=user, action__startswith="identity.").order_by(
            "at"
        )
    ]
