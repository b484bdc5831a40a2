"""Payments in the admin: read only. A status changes only through ``services.transition``
(the cash office's screens), so every change lands in the transition log."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    BankCredit,
    BankStatement,
    DirectDebitMandate,
    DirectDebitRun,
    Payment,
    PaymentReference,
    PaymentTransition,
)
from .money import format_cents


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
    # Refunds need a reason the citizen reads and an email: the cash office's page
    # (/kasse/zahlungen/<uuid>/) records them, not a bulk action here.

    @admin.display(description=_("Betrag"), ordering="amount_cents")
    def amount(self, obj: Payment) -> str:
        return format_cents(obj.amount_cents)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a payment is a record of money: it stays


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of money: looked at here, changed only through the cash office's screens."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PaymentReference)
class PaymentReferenceAdmin(ReadOnlyAdmin):
    list_display = ["code", "description", "amount", "due_date", "issuer", "created_at"]
    search_fields = ["code", "purpose", "description"]
    date_hierarchy = "created_at"

    @admin.display(description=_("Betrag"), ordering="amount_cents")
    def amount(self, obj: PaymentReference) -> str:
        return format_cents(obj.amount_cents)


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = [
        "imported_at",
        "filename",
        "account_iban",
        "credits_total",
        "credits_matched",
        "credits_open",
    ]
    date_hierarchy = "imported_at"


@admin.register(BankCredit)
class BankCreditAdmin(ReadOnlyAdmin):
    list_display = ["booking_date", "amount_cents", "currency", "match", "reference", "cleared_at"]
    list_filter = ["match", "currency"]
    search_fields = ["remittance", "debtor_name", "bank_reference"]


@admin.register(DirectDebitMandate)
class DirectDebitMandateAdmin(ReadOnlyAdmin):
    list_display = ["mandate_reference", "reference", "debtor_name", "signed_on", "revoked_at"]
    search_fields = ["mandate_reference", "debtor_name"]
    exclude = ["iban"]  # shown masked on the cash office's page


@admin.register(DirectDebitRun)
class DirectDebitRunAdmin(ReadOnlyAdmin):
    list_display = [
        "message_id",
        "collection_date",
        "collection_count",
        "total_cents",
        "created_at",
    ]
    exclude = ["xml"]  # downloaded from the cash office's page
