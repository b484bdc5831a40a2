"""Staff roles and the groups that carry their permissions.

Roles per department live on the account (``User.departments``: caseworker of,
``User.led_departments``: team lead of); roles across the city are groups:

- **Administration**: everything (like a superuser, but visible and revocable as a group);
- **Krisenstab** (crisis staff): ``identity.crisis_access`` only — no access to cases;
- **Sachbearbeitung**, **Katalogpflege**, **Stadtkasse**: as their names say.

The groups and their permissions are not created by a migration: :func:`roles_ensure`
creates or repairs them (idempotent). The demo calls it on loading; production runs
``manage.py roles_ensure`` after each ``migrate``.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

logger = logging.getLogger("buergerbuero.identity")

ADMINISTRATION = "Administration"
CRISIS_STAFF = "Krisenstab"
CASEWORKERS = "Sachbearbeitung"
CATALOG_EDITORS = "Katalogpflege"
CASH_OFFICE = "Stadtkasse"

CRISIS_PERMISSION = "identity.crisis_access"


def _group_permissions() -> dict[str, Q | None]:
    """Which permissions each group carries (None: none of its own)."""
    return {
        ADMINISTRATION: Q(),  # all
        CRISIS_STAFF: Q(content_type__app_label="identity", codename="crisis_access"),
        # Cases are reached by department, not by permission; identification by video is
        # done by caseworkers in the video office (identity.services.videoident_record).
        CASEWORKERS: Q(content_type__app_label="identity", codename="record_videoident"),
        # Catalog, pages and customer centres; the accessibility-feedback queue to work,
        # but never to delete (a citizen's report must stay on record).
        CATALOG_EDITORS: Q(content_type__app_label__in=["catalog", "organisation", "pages"])
        & ~Q(codename="delete_accessibilityfeedback"),
        # Payments, but nothing deleted: the cash office's records are evidence.
        CASH_OFFICE: Q(content_type__app_label="payments") & ~Q(codename__startswith="delete_"),
    }


@transaction.atomic
def roles_ensure() -> dict[str, int]:
    """Create the role groups and set their permissions; returns permissions per group.

    Safe to run any number of times: groups are found by name, their permissions are set
    to exactly the list above (a permission added by hand to one of these groups is
    removed — give it through another group instead).
    """
    counts = {}
    for name, lookup in _group_permissions().items():
        group, created = Group.objects.get_or_create(name=name)
        if lookup is None:
            group.permissions.clear()
        else:
            group.permissions.set(Permission.objects.filter(lookup))
        counts[name] = group.permissions.count()
        if created:
            logger.info("role group created: %s", name)
    return counts


# -- who has which role ------------------------------------------------------------------


def is_administrator(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.groups.filter(name=ADMINISTRATION).exists())
    )


def is_crisis_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(CRISIS_PERMISSION))


def works_in(user, department_id: int) -> bool:
    """Caseworker or team lead of the department (a team lead may do all a caseworker may)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return (
        user.departments.filter(pk=department_id).exists()
        or user.led_departments.filter(pk=department_id).exists()
    )


def leads(user, department_id: int) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.led_departments.filter(pk=department_id).exists()
    )


def works_at_centre(user, centre_id: int) -> bool:
    """Staff of the customer centre (its counters, its appointments), or an administrator."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.centres.filter(pk=centre_id).exists() or is_administrator(user)


def works_in_any(user) -> bool:
    """May enter the back office: staff of at least one department, as caseworker or lead."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.departments.exists() or user.led_departments.exists())
    )


def department_ids_of(user) -> set[int]:
    """The departments whose cases the user may work on: worked in and led."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return set()
    return set(user.departments.values_list("pk", flat=True)) | set(
        user.led_departments.values_list("pk", flat=True)
    )


def is_staff_account(user) -> bool:
    """Accounts that log in at the staff login, never at the citizens' one."""
    return bool(user is not None and user.is_staff)
