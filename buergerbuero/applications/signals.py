"""Reactions to other parts: form definitions move the catalog revision (they decide whether
a service page shows "Online beantragen"); a paid payment submits its application."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from buergerbuero.catalog.snapshot import catalog_revision_bump
from buergerbuero.payments.signals import payment_status_changed

from .models import FormDefinition

logger = logging.getLogger("buergerbuero.applications")


def _bump_after_commit(**kwargs) -> None:
    transaction.on_commit(catalog_revision_bump)


post_save.connect(_bump_after_commit, sender=FormDefinition, dispatch_uid="forms-save")
post_delete.connect(_bump_after_commit, sender=FormDefinition, dispatch_uid="forms-delete")


def _submit_when_paid(*, payment, new_status, **kwargs) -> None:
    """A paid application is submitted even if the citizen never comes back to our page
    (closed tab, lost network): the provider's confirmation is enough."""
    from buergerbuero.payments.models import PaymentStatus

    from .models import Application
    from .services import NotReady, application_submit

    prefix = "application:"
    if new_status != PaymentStatus.PAID or not payment.purpose.startswith(prefix):
        return
    application = Application.objects.filter(public_id=payment.purpose[len(prefix) :]).first()
    if application is None:
        return
    try:
        case = application_submit(application.pk)
    except NotReady:
        logger.error("application %s paid but incomplete; left as draft", application.public_id)
        return
    # Paid by transfer after submitting: an automatic service decides now (its after-
    # submission task skipped the decision while the fee was open).
    if application.definition.spec.automatic and not case.notices.exists():
        from .tasks import decide_when_paid

        decide_when_paid.enqueue(case.pk)


payment_status_changed.connect(_submit_when_paid, dispatch_uid="applications-submit-when-paid")
