from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ExternalIdentity, IdentityVerification, User


class ExternalIdentityInline(admin.TabularInline):
    """Ways in from outside. Read-only: an identity is linked by logging in with it."""

    model = ExternalIdentity
    extra = 0
    can_delete = True  # an admin may cut a compromised link; the person can link anew
    fields = ["method", "provider", "subject", "last_level", "has_inbox", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class IdentityVerificationInline(admin.TabularInline):
    """Identification by video: a record of who checked which document. Never edited."""

    model = IdentityVerification
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ["verified_at", "method", "document_type", "level", "verified_by_name"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Kontaktdaten"), {"fields": ("birth_date", "street", "postcode", "city", "phone")}),
        (
            _("Identität"),
            {"fields": ("email_verified_at", "verified_level")},
        ),
        (_("Sachbearbeitung"), {"fields": ("departments", "led_departments")}),
    )
    readonly_fields = ("email_verified_at", "verified_level")
    filter_horizontal = (*DjangoUserAdmin.filter_horizontal, "departments", "led_departments")
    list_filter = (*DjangoUserAdmin.list_filter, "verified_level", "departments")
    inlines = [ExternalIdentityInline, IdentityVerificationInline]


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(admin.ModelAdmin):
    list_display = ["verified_at", "user", "document_type", "level", "verified_by_name"]
    list_filter = ["document_type", "level"]
    search_fields = ["user__username", "user__last_name", "verified_by_name"]
    readonly_fields = [f.name for f in IdentityVerification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
