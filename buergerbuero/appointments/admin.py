"""Administration of what can be booked where (bookable services, counter plans) and a
read-only view of the appointments (citizens change them by their link, staff on the day
list)."""

from django.contrib import admin

from .models import Appointment, AppointmentService, BookableService, CounterPlan


@admin.register(BookableService)
class BookableServiceAdmin(admin.ModelAdmin):
    list_display = ["service", "centre", "minutes", "active"]
    list_filter = ["centre", "active"]
    list_editable = ["minutes", "active"]
    autocomplete_fields = ["service"]


@admin.register(CounterPlan)
class CounterPlanAdmin(admin.ModelAdmin):
    list_display = ["centre", "weekday", "starts", "ends", "first_counter", "counters"]
    list_filter = ["centre", "weekday"]
    filter_horizontal = ["services"]


class AppointmentServiceInline(admin.TabularInline):
    model = AppointmentService
    extra = 0
    can_delete = False
    readonly_fields = ["service", "minutes"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "centre", "name", "state"]
    list_filter = ["state", "centre"]
    date_hierarchy = "starts_at"
    search_fields = ["name", "email"]
    inlines = [AppointmentServiceInline]
    readonly_fields = [
        "public_id",
        "centre",
        "starts_at",
        "ends_at",
        "name",
        "email",
        "mobile",
        "user",
        "language",
        "state",
        "created_at",
        "cancelled_at",
        "reminder_sent_at",
        "ticket",
    ]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
