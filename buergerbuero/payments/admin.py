"""Payments in the admin: read only. A status changes only through ``services.transition``
(here: the refund action), so every change lands in the transition log."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Payment, PaymentStatus, PaymentTransition, TransitionSource
from .money import format_cents
from .services import transition


class PaymentTransitionInline(admin.TabularInline):
    model = PaymentTransition
    fields = ["created_at", "from_status", "to_status", "source", "actor", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "description", "amount", "status", "provider", "paid_at"]
    list_filter = ["status", "provider"]
    search_fields = ["uuid", "purpose", "description", "provider_reference"]
    date_hierarchy = "created_at"
    fields = [
        "uuid",
        "purpose",
        "description",
        "amount",
        "status",
        "provider",
        "provider_reference",
        "return_url",
        "created_at",
        "updated_at",
        "paid_at",
    ]
    readonly_fields = fields
    inlines = [PaymentTransitionInline]
    actions = ["mark_refunded"]

    @admin.display(description=_("Betrag"), ordering="amount_cents")
    def amount(self, obj: Payment) -> str:
        return format_cents(obj.amount_cents)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a payment is a record of money: it stays

    @admin.action(description=_("Als erstattet markieren"), permissions=["change"])
    def mark_refunded(self, request, queryset):
        refunded = 0
        for payment in queryset.filter(status=PaymentStatus.PAID).order_by("pk"):
            transition(
                payment,
                PaymentStatus.REFUNDED,
                source=TransitionSource.CLERK,
                detail=f"Erstattung vermerkt von {request.user.get_username()}.",
                actor=request.user,
            )
            refunded += 1
        skipped = queryset.count() - refunded
        self.message_user(
            request,
            ngettext(
                "%(count)d Zahlung als erstattet markiert.",
                "%(count)d Zahlungen als erstattet markiert.",
                refunded,
            )
            % {"count": refunded},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d Zahlung ist nicht bezahlt und blieb unverändert.",
                    "%(count)d Zahlungen sind nicht bezahlt und blieben unverändert.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
