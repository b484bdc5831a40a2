"""Writes of citizens' local accounts: registration and confirmation, contact data, the
second factor, deletion.

Every function here that sends an email does it through ``notifications.send_email``
inside its transaction, so nothing is announced for a change that was rolled back.
Nothing here tells a visitor whether an address has an account: registering an address
that exists already answers like a new registration and writes to that address instead.
"""

from __future__ import annotations

import base64
import logging
import uuid
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from buergerbuero.notifications.services import send_email

from ..models import ExternalIdentity
from ..staff import second_factor
from ..trust import TrustLevel
from .login import OWNS_ITS_ADDRESS, account_awaiting_confirmation
from .tokens import verification_token_make

logger = logging.getLogger("buergerbuero.identity")

TEMPLATES = "identity/account/email/"


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _audit(user, action: str, detail: str = "") -> None:
    from buergerbuero.applications.audit import audit  # the audit trail lives there

    audit(user, action, detail=detail)


# -- registration -------------------------------------------------------------------------


def accounts_with_email(email: str):
    """Accounts that own ``email``: confirmed, or registered with it and awaiting the
    confirmation. A changed, unconfirmed profile address owns nothing."""
    return get_user_model().objects.filter(OWNS_ITS_ADDRESS, email__iexact=email.strip())


@transaction.atomic
def account_register(*, first_name: str, last_name: str, email: str, password: str):
    """Create a citizen account that can log in once its address is confirmed.

    Returns the new account, or None when the address belongs to an account already (that
    account gets an email saying so — or its confirmation link again, if it is still
    waiting); the caller shows the same page either way.
    """
    email = email.strip()
    existing = accounts_with_email(email).order_by("pk").first()
    if existing is not None:
        if account_awaiting_confirmation(existing):
            verification_send(existing)
        else:
            send_email(
                to=existing.email,
                template=TEMPLATES + "already_registered",
                context={
                    "login_url": site_url(reverse("identity:login")),
                    "reset_url": site_url(reverse("identity:account_password_reset")),
                },
                language=_language(),
                topic="account.already_registered",
            )
        logger.info("registration for an existing address (user=%s)", existing.pk)
        return None
    user = get_user_model()(
        username=f"konto-{uuid.uuid4().hex[:12]}",
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
        email=email,
        is_active=False,  # until the address is confirmed
    )
    user.set_password(password)
    user.save()
    _audit(user, "identity.privacy_consent", "Datenschutzhinweise bei der Registrierung")
    verification_send(user)
    logger.info("account registered user=%s", user.pk)
    return user


def verification_send(user) -> None:
    """Email the confirmation link to the account's address."""
    path = reverse("identity:account_verify", args=[verification_token_make(user)])
    send_email(
        to=user.email,
        template=TEMPLATES + "verify",
        context={
            "name": user.get_full_name(),
            "verify_url": site_url(path),
            "hours": settings.ACCOUNT_VERIFICATION_HOURS,
        },
        language=_language(),
        topic="account.verify",
    )


@transaction.atomic
def verification_resend(*, email: str) -> None:
    """A new confirmation link for an account waiting for one; nothing for other addresses
    (the page answers the same)."""
    for user in accounts_with_email(email):
        if account_awaiting_confirmation(user) or (user.is_active and not user.email_verified_at):
            verification_send(user)


@transaction.atomic
def account_email_confirm(*, user) -> bool:
    """The citizen used the link: the address is confirmed and a new account may log in.
    Returns False if it was confirmed before (a second click)."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if user.email_verified_at is not None:
        return False
    fields = ["email_verified_at"]
    if account_awaiting_confirmation(user):
        user.is_active = True
        fields.append("is_active")
    user.email_verified_at = timezone.now()
    user.save(update_fields=fields)
    logger.info("email address confirmed user=%s", user.pk)
    return True


# -- contact data -------------------------------------------------------------------------

PROFILE_FIELDS = ("first_name", "last_name", "birth_date", "street", "postcode", "city", "phone")


def profile_from_id_document(user) -> bool:
    """Name, date of birth and address came from an ID document (BundID or the city's IdP
    at level substantial or higher): each such login writes them again."""
    return ExternalIdentity.objects.filter(
        user=user, last_level__in=[TrustLevel.SUBSTANTIAL, TrustLevel.HIGH]
    ).exists()


@transaction.atomic
def profile_update(*, user, data: dict) -> list[str]:
    """Store changed contact data; a new email address must be confirmed again (a link goes
    to the new address). Returns the names of the changed fields."""
    user = get_user_model().objects.get(pk=user.pk)  # a ModelForm may have changed ours
    changed = [
        field
        for field in (*PROFILE_FIELDS, "email")
        if field in data and data[field] != getattr(user, field)
    ]
    for field in changed:
        setattr(user, field, data[field])
    if "email" in changed:
        user.email_verified_at = None
        changed.append("email_verified_at")
    if changed:
        user.save(update_fields=changed)
    if "email" in changed and user.email:
        verification_send(user)
    logger.info("profile changed user=%s fields=%s", user.pk, ",".join(changed) or "-")
    return changed


# -- second factor (TOTP and backup codes) -------------------------------------------------
# The devices are the staff's (staff/second_factor.py): one authenticator app and one set
# of backup codes per account. Citizens choose it; staff must have it.


def totp_device_pending(user):
    """The unconfirmed authenticator being set up (a new secret on first call)."""
    return second_factor.totp_device_start(user)


def totp_active(user):
    return second_factor.totp_device_of(user)


def totp_config_url(device, user) -> str:
    """The otpauth:// address the QR code carries: the app shows the city's office and the
    citizen's email address (not the generated username) beside the codes."""
    from buergerbuero.core.selectors import municipality_get

    issuer = f"{municipality_get().name} Bürgerbüro".replace(":", "")
    label = f"{issuer}:{user.email or user.get_username()}"
    params = urlencode(
        {
            "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{quote(label)}?{params}"


@transaction.atomic
def totp_confirm(*, user, code: str) -> list[str] | None:
    """Switch the pending authenticator on if ``code`` is right; returns the new backup
    codes (shown once), or None for a wrong code."""
    codes = second_factor.totp_device_confirm(totp_device_pending(user), code)
    if codes is not None:
        _audit(user, "identity.totp_on")
    return codes


def backup_codes_renew(*, user) -> list[str]:
    return second_factor.backup_codes_renew(user)


def backup_codes_left(user) -> int:
    return second_factor.backup_codes_left(user)


@transaction.atomic
def totp_disable(*, user) -> None:
    second_factor.second_factor_remove(user)
    _audit(user, "identity.totp_off")


def data_export_recorded(*, user) -> None:
    """The citizen downloaded their data: kept in the audit trail."""
    _audit(user, "identity.data_export")
    logger.info("data export user=%s", user.pk)


# -- deletion -----------------------------------------------------------------------------


@transaction.atomic
def account_delete(*, user) -> dict[str, int]:
    """Delete the account and what only it needs; keep what the law requires.

    Deleted: the account with its contact data, login identities and second-factor
    devices, and drafts (with their uploads). Kept, detached from the account: submitted
    applications and their cases and notices (the department keeps them until the
    retention period ends and ``cases_anonymise`` runs), payment records and Kassenzeichen
    (10 years, § 147 AO and the municipal budget law), a draft whose payment is under way
    (it expires with its payment). Returns counts for the log.
    """
    from buergerbuero.applications.models import Application, ApplicationStatus
    from buergerbuero.applications.services import draft_discard
    from buergerbuero.payments.models import PaymentStatus
    from buergerbuero.payments.selectors import payment_for

    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    address, name, language = user.email, user.get_full_name(), _language()
    drafts = detached = 0
    for application in Application.objects.filter(user=user).exclude(
        status=ApplicationStatus.SUBMITTED
    ):
        payment = payment_for(application.payment_purpose)
        if payment and payment.status in (PaymentStatus.PENDING, PaymentStatus.PAID):
            detached += 1  # the payment decides; drafts_expire removes it later
            continue
        draft_discard(application)
        drafts += 1
    submitted = Application.objects.filter(user=user, status=ApplicationStatus.SUBMITTED).count()
    _audit(user, "identity.account_deleted", f"user:{user.pk}")
    user_id = user.pk
    # Foreign keys do the rest: identities and OTP devices cascade; applications, cases,
    # payments, Kassenzeichen and mandates set their account to NULL.
    user.delete()
    if address:
        send_email(
            to=address,
            template=TEMPLATES + "deleted",
            context={"name": name, "submitted": submitted},
            language=language,
            topic="account.deleted",
        )
    counts = {"drafts": drafts, "kept_drafts": detached, "submitted": submitted}
    logger.info(
        "account deleted user=%s drafts=%s kept_drafts=%s submitted=%s",
        user_id,
        drafts,
        detached,
        submitted,
    )
    return counts
