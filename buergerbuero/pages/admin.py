from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from modeltranslation.admin import TranslationAdmin

from .models import AccessibilityFeedback, Page, SignLanguageVideo
from .services import sign_language_video_describe


@admin.register(Page)
class PageAdmin(TranslationAdmin):
    list_display = ["title", "slug", "updated_at"]


@admin.register(AccessibilityFeedback)
class AccessibilityFeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "status", "page_url", "short_message", "email", "handled_by"]
    list_filter = ["status", "language"]
    search_fields = ["message", "page_url", "email"]
    readonly_fields = ["created_at", "message", "page_url", "name", "email", "language"]
    fields = [*readonly_fields, "status", "handled_by", "internal_note"]

    @admin.display(description="Nachricht")
    def short_message(self, obj) -> str:
        return obj.message[:80]

    def save_model(self, request, obj, form, change):
        if obj.status != AccessibilityFeedback.Status.NEW and obj.handled_by is None:
            obj.handled_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SignLanguageVideo)
class SignLanguageVideoAdmin(TranslationAdmin):
    list_display = ["title", "position", "size", "duration_seconds"]
    readonly_fields = ["size"]

    @admin.display(description="Größe")
    def size(self, obj) -> str:
        return filesizeformat(obj.size_bytes)

    def save_model(self, request, obj, form, change):
        if "file" in form.changed_data or not change:
            sign_language_video_describe(video=obj)
        super().save_model(request, obj, form, change)
