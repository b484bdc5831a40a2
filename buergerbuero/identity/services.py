"""Writes of the identity app: logging in from outside, linking, identification by video.

BundID, the city's OpenID Connect providers and the development IdP all end in
:func:`external_login`, which decides *which account* a verified identity belongs to; the
protocols only decide *whether* the identity is verified.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import asdict, dataclass

from django.contrib.auth import get_user_model, logout
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ExternalIdentity, IdentityVerification
from .trust import TrustLevel, login_with_level

logger = logging.getLogger("buergerbuero.identity")

# A new identity waiting for "yes, link it to my account" (see LinkConfirmationRequired).
SESSION_PENDING_LINK = "identity.pending_link"
PENDING_LINK_SECONDS = 10 * 60


class ExternalLoginRefused(Exception):
    """The identity is verified but may not log in here; ``message`` says why, in German."""

    message = _("Die Anmeldung ist nicht möglich.")

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message

    def __str__(self) -> str:
        return str(self.message)


class IdentityLinkedElsewhere(ExternalLoginRefused):
    message = _(
        "Diese Anmeldung ist bereits mit einem anderen Konto verknüpft. Melden Sie sich ab "
        "und mit dieser Anmeldung erneut an, um jenes Konto zu nutzen."
    )


class LinkConfirmationRequired(Exception):
    """Someone is logged in and an identity arrives that no account has yet: linking it
    would let its owner into this account for good, so the person is asked first (a shared
    computer where someone else is still logged in). The identity waits in the session;
    ``pending_link_finish`` completes or declines it."""


class StaffAccountRefused(ExternalLoginRefused):
    message = _(
        "Dienstkonten der Verwaltung melden sich über die Anmeldung für Mitarbeitende an, "
        "nicht über BundID oder andere Bürgerkonten."
    )


class AccountInactive(ExternalLoginRefused):
    message = _("Dieses Konto ist gesperrt. Bitte wenden Sie sich an die Stadtverwaltung.")


@dataclass(frozen=True)
class PersonData:
    """What an identity provider says about the person. Empty values say nothing."""

    given_name: str = ""
    family_name: str = ""
    birth_date: dt.date | None = None
    street: str = ""
    postcode: str = ""
    city: str = ""
    email: str = ""

    def fields(self) -> dict:
        return {
            "first_name": self.given_name[:150],
            "last_name": self.family_name[:150],
            "birth_date": self.birth_date,
            "street": self.street[:200],
            "postcode": self.postcode[:5],
            "city": self.city[:100],
            "email": self.email[:254],
        }


def external_login(
    request,
    *,
    method: str,
    provider: str,
    subject: str,
    level: str | TrustLevel,
    person: PersonData,
    has_inbox: bool = False,
    attribute_levels: dict[str, str] | None = None,
    link_confirmed: bool = False,
):
    """Log in the person a verified external identity stands for and return the account.

    - Known identity: its account.
    - Someone is logged in already: the identity is linked to *that* account (step-up or
      "link BundID" on the account page) once they confirmed it (``link_confirmed``;
      else :class:`LinkConfirmationRequired`), unless it belongs to another account.
    - Otherwise a new account is created for it.

    Person data from a login at level substantial or high come from an ID document and
    replace what the account held; at level low they only fill empty fields.
    """
    level = TrustLevel(level)
    current = request.user if request.user.is_authenticated else None
    key = {"method": str(method), "provider": provider, "subject": subject}
    if current is not None and current.is_staff:
        raise StaffAccountRefused
    new_link = current is not None and not ExternalIdentity.objects.filter(**key).exists()
    if new_link and not link_confirmed:
        request.session[SESSION_PENDING_LINK] = {
            **key,
            "level": level.value,
            "person": {**asdict(person), "birth_date": _iso_date(person.birth_date)},
            "has_inbox": has_inbox,
            "attribute_levels": dict(attribute_levels or {}),
            "user": current.pk,
            "at": time.time(),
        }
        logger.info("link of a %s identity to user=%s waits for confirmation", method, current.pk)
        raise LinkConfirmationRequired
    with transaction.atomic():
        identity, user = _identity_and_account(current, method, provider, subject, person)
        if user.is_staff:
            raise StaffAccountRefused
        if not user.is_active:
            raise AccountInactive
        _person_update(user, person, authoritative=level.rank >= TrustLevel.SUBSTANTIAL.rank)
        identity.last_level = level
        identity.has_inbox = has_inbox
        identity.last_login_at = timezone.now()
        identity.save(update_fields=["last_level", "has_inbox", "last_login_at"])
    login_with_level(
        request,
        user,
        level=level,
        method=method,
        provider=provider,
        attribute_levels=attribute_levels,
    )
    logger.info("login user=%s method=%s level=%s", user.pk, method, level.value)
    return user


def _iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def pending_link(request) -> dict | None:
    """The identity waiting to be linked to the logged-in account, if still fresh."""
    data = request.session.get(SESSION_PENDING_LINK)
    if (
        not isinstance(data, dict)
        or not request.user.is_authenticated
        or data.get("user") != request.user.pk
        or time.time() - data.get("at", 0) > PENDING_LINK_SECONDS
    ):
        return None
    return data


def pending_link_finish(request, *, link: bool):
    """Link the waiting identity to the logged-in account (``link``), or log that account
    out and log in with the identity alone. Returns the account now logged in."""
    data = pending_link(request)
    request.session.pop(SESSION_PENDING_LINK, None)
    if data is None:
        raise ExternalLoginRefused(
            _("Die Anmeldung ist abgelaufen. Bitte melden Sie sich noch einmal an.")
        )
    if not link:
        logout(request)  # the identity's owner goes on in their own account
    person = dict(data["person"])
    birth_date = person.pop("birth_date")
    return external_login(
        request,
        method=data["method"],
        provider=data["provider"],
        subject=data["subject"],
        level=data["level"],
        person=PersonData(
            **person, birth_date=dt.date.fromisoformat(birth_date) if birth_date else None
        ),
        has_inbox=data["has_inbox"],
        attribute_levels=data["attribute_levels"],
        link_confirmed=link,
    )


def _identity_and_account(current, method, provider, subject, person):
    key = {"method": method, "provider": provider, "subject": subject}
    identity = ExternalIdentity.objects.select_related("user").filter(**key).first()
    if identity is not None:
        if current is not None and identity.user_id != current.pk:
            logger.warning(
                "link refused: %s identity of user=%s offered to user=%s",
                method,
                identity.user_id,
                current.pk,
            )
            raise IdentityLinkedElsewhere
        return identity, identity.user
    user = current or _account_create(method, person)
    try:
        with transaction.atomic():
            identity = ExternalIdentity.objects.create(user=user, **key)
    except IntegrityError:
        # The same identity arrived twice at once (a double click at the IdP): one won.
        identity = ExternalIdentity.objects.select_related("user").get(**key)
        if identity.user_id != user.pk:
            if current is not None:
                raise IdentityLinkedElsewhere from None
            user.delete()  # the account made for the losing request stays unused
        return identity, identity.user
    if current is not None:
        logger.info("linked %s identity to user=%s", method, user.pk)
    return identity, user


def _account_create(method: str, person: PersonData):
    User = get_user_model()
    user = User(username=f"{method}-{uuid.uuid4().hex[:16]}")
    user.set_unusable_password()
    user.save()
    return user


def _person_update(user, person: PersonData, *, authoritative: bool) -> None:
    changed = []
    for field, value in person.fields().items():
        current = getattr(user, field)
        if value in ("", None) or value == current:
            continue
        if authoritative or not current:
            setattr(user, field, value)
            changed.append(field)
    if person.email and "email" in changed:
        # The identity provider vouches for this address; no extra confirmation mail.
        user.email_verified_at = timezone.now()
        changed.append("email_verified_at")
    if changed:
        user.save(update_fields=changed)


def external_identity_unlink(user, identity_id: int) -> None:
    """Remove one way in, but never the last one (the account would be unreachable)."""
    identity = ExternalIdentity.objects.get(pk=identity_id, user=user)
    others = user.external_identities.exclude(pk=identity.pk).exists()
    if not others and not user.has_usable_password():
        raise ExternalLoginRefused(
            _("Dies ist Ihr einziger Anmeldeweg. Legen Sie zuerst ein Passwort fest.")
        )
    identity.delete()
    logger.info("unlinked %s identity of user=%s", identity.method, user.pk)


# -- identification by video (Videoident) --------------------------------------------------


def may_record_videoident(caseworker) -> bool:
    return bool(
        caseworker.is_authenticated
        and caseworker.is_active
        and caseworker.is_staff
        and caseworker.has_perm("identity.record_videoident")
    )


@transaction.atomic
def videoident_record(
    *,
    caseworker,
    citizen,
    document_type: str,
    level: str | TrustLevel = TrustLevel.SUBSTANTIAL,
) -> IdentityVerification:
    """A caseworker saw the citizen and their ID document on camera and confirms it.

    Raises the account's verified level (never lowers it), keeps who, when and which
    document, and writes the audit trail. The video office calls this during a call.
    """
    if not may_record_videoident(caseworker) or caseworker.pk == citizen.pk:
        raise PermissionDenied
    if citizen.is_staff:
        raise PermissionDenied
    level = TrustLevel(level)
    if level == TrustLevel.HIGH:
        # Seeing an ID card on camera is not the eID's cryptographic proof.
        raise ValueError("identification by video reaches at most level substantial")
    document_type = IdentityVerification.DocumentType(document_type)
    verification = IdentityVerification.objects.create(
        user=citizen,
        level=level,
        document_type=document_type,
        verified_by=caseworker,
        verified_by_name=caseworker.get_username(),
    )
    new_level = TrustLevel.highest(citizen.verified_level, level)
    if new_level != citizen.verified_level:
        citizen.verified_level = new_level
        citizen.save(update_fields=["verified_level"])

    from buergerbuero.applications.audit import audit  # the audit trail lives there

    audit(
        caseworker,
        "identity.videoident",
        detail=f"user:{citizen.pk} document:{document_type.value} level:{level.value}",
    )
    return verification
