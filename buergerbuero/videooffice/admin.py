"""Virtual offices in the admin. Offices and their hours are edited here; knocks and calls
are records, looked at only: they change through the citizen's and the caseworker's pages
(services.py), so every change reaches the waiting rooms and dashboards."""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from buergerbuero.core.models import Municipality

from .models import (
    Call,
    CallDocument,
    CaseworkerPresence,
    ConsultationHours,
    HoursException,
    Knock,
    VideoAppointment,
    VideoOffice,
)


class ConsultationHoursInline(admin.TabularInline):
    model = ConsultationHours
    extra = 0


class HoursExceptionInline(admin.TabularInline):
    model = HoursException
    extra = 0


@admin.register(VideoOffice)
class VideoOfficeAdmin(TranslationAdmin):
    list_display = ["name", "slug", "department", "languages", "appointment_minutes", "is_active"]
    list_filter = ["is_active", "department"]
    search_fields = ["name_de", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_de"]}
    filter_horizontal = ["caseworkers", "services"]
    inlines = [ConsultationHoursInline, HoursExceptionInline]
    change_list_template = "admin/videooffice/videooffice/change_list.html"

    def changelist_view(self, request, extra_context=None):
        # Whether caseworkers may identify citizens by video is the city's decision
        # (Municipality.videoident_enabled); whoever runs the offices should see it here.
        municipality = Municipality.objects.first()
        context = {
            "videoident_enabled": bool(municipality and municipality.videoident_enabled),
            "municipality_url": (
                reverse("admin:core_municipality_change", args=[municipality.pk])
                if municipality
                else ""
            ),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)


class RecordAdmin(admin.ModelAdmin):
    """Looked at, never added or edited here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(VideoAppointment)
class VideoAppointmentAdmin(RecordAdmin):
    """Booked, cancelled and entered through the citizen's pages (appointments.py); a
    caseworker sees the day's appointments on the dashboard."""

    list_display = ["starts_at", "office", "name", "mode", "state", "line"]
    list_filter = ["state", "office"]
    date_hierarchy = "starts_at"
    search_fields = ["name", "email"]
    exclude = ["token_hash"]


@admin.register(Knock)
class KnockAdmin(RecordAdmin):
    list_display = ["created_at", "office", "state", "language", "mode", "trust_level"]
    list_filter = ["state", "office", "mode", "language"]
    date_hierarchy = "created_at"
    fields = [
        "public_id",
        "office",
        "user",
        "concern",
        "language",
        "mode",
        "trust_level",
        "consent_at",
        "state",
        "priority",
        "queue_at",
        "created_at",
        "ended_at",
        "decline_message",
        "transferred_from",
    ]
    readonly_fields = fields


class CallDocumentInline(admin.TabularInline):
    model = CallDocument
    fields = ["name", "content_type", "size", "created_at", "filed_as"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(RecordAdmin):
    list_display = ["started_at", "office", "caseworker", "duration", "end_reason", "rating"]
    list_filter = ["office", "end_reason", "rating", ("ended_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "started_at"
    fields = [
        "public_id",
        "office",
        "knock",
        "caseworker",
        "started_at",
        "ended_at",
        "duration",
        "end_reason",
        "recording",
        "case",
        "outcome_note",
        "rating",
        "rating_comment",
    ]
    readonly_fields = fields
    inlines = [CallDocumentInline]

    @admin.display(description=_("Dauer"))
    def duration(self, call: Call) -> str:
        if call.ended_at is None:
            return str(_("läuft"))
        minutes, seconds = divmod(int((call.ended_at - call.started_at).total_seconds()), 60)
        return f"{minutes}:{seconds:02d}"

    @admin.display(description=_("Aufzeichnung"))
    def recording(self, call: Call) -> str:
        return str(
            _(
                "Keine. Bild und Ton werden nie aufgezeichnet; gespeichert sind nur diese "
                "Angaben und die Dokumente, die die Person geschickt hat."
            )
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record that a conversation took place stays


@admin.register(CaseworkerPresence)
class CaseworkerPresenceAdmin(admin.ModelAdmin):
    """Caseworkers set their status on the dashboard; here one can see it and, if someone
    forgot, set them away."""

    list_display = ["user", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "user__last_name"]
    fields = ["user", "status", "updated_at"]
    readonly_fields = ["user", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False
