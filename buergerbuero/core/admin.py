from django.contrib import admin

from .models import Municipality


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "primary_colour", "contact_email"]

    def has_add_permission(self, request) -> bool:
        return not Municipality.objects.exists()
