from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Kontaktdaten"), {"fields": ("birth_date", "street", "postcode", "city", "phone")}),
        (_("Sachbearbeitung"), {"fields": ("departments",)}),
    )
    filter_horizontal = (*DjangoUserAdmin.filter_horizontal, "departments")
    list_filter = (*DjangoUserAdmin.list_filter, "departments")
