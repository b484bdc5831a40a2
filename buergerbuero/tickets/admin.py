"""The walk-in queue in the admin. Service groups and counters are edited here; tickets are
records, looked at only: they change through the kiosk, the status page and the counter
screen (services.py), so that every change reaches the live pages and the SMS."""

from django.contrib import admin

from .models import Counter, ServiceGroup, Ticket


@admin.register(ServiceGroup)
class ServiceGroupAdmin(admin.ModelAdmin):
    list_display = ["letter", "name", "centre", "typical_minutes", "position"]
    list_filter = ["centre"]
    search_fields = ["name", "centre__name"]
    filter_horizontal = ["services"]


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ["name", "centre", "is_open", "staffed_by"]
    list_filter = ["centre", "is_open"]
    filter_horizontal = ["groups"]
    # Opened and closed from the counter screen (services.counter_open / counter_close).
    readonly_fields = ["is_open", "staffed_by"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["display", "centre", "day", "group", "state", "source", "drawn_at"]
    list_filter = ["state", "source", "centre", "day"]
    search_fields = ["display"]
    date_hierarchy = "drawn_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
