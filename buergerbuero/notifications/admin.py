from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import EmailAttachment, InboxAttachment, InboxDelivery, OutgoingEmail, OutgoingSms
from .services import email_resend, sms_resend
from .zbp.base import InboxError
from .zbp.services import inbox_resend, inbox_status_refresh


class EmailAttachmentInline(admin.TabularInline):
    model = EmailAttachment
    fields = ["download", "content_type", "file_size"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    @admin.display(description=_("Datei"))
    def download(self, obj) -> str:
        url = reverse("notifications:outbox_attachment", args=[obj.email_id, obj.pk])
        return format_html('<a href="{}" download>{}</a>', url, obj.filename)

    @admin.display(description=_("Größe"))
    def file_size(self, obj) -> str:
        return filesizeformat(obj.size)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The outbox as a record: everything is read-only; a failed email can be resent."""

    list_display = ["created_at", "status", "to", "subject", "topic", "attempts"]
    list_filter = ["status", "topic", "language"]
    search_fields = ["to", "subject", "topic"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    inlines = [EmailAttachmentInline]
    fields = [
        "to",
        "subject",
        "language",
        "topic",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "message_id",
        "body_text",
        "body_html",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Erneut senden"), permissions=["change"])
    def resend(self, request, queryset):
        emails = list(queryset.only("pk"))
        resent = sum(email_resend(email=email) for email in emails)
        skipped = len(emails) - resent
        if resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d E-Mail wird erneut gesendet.",
                    "%(count)d E-Mails werden erneut gesendet.",
                    resent,
                )
                % {"count": resent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d E-Mail wurde übersprungen: schon gesendet oder gerade im Versand.",
                    "%(count)d E-Mails wurden übersprungen: schon gesendet oder gerade im Versand.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


class InboxAttachmentInline(admin.TabularInline):
    model = InboxAttachment
    fields = ["filename", "content_type", "file_size"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    @admin.display(description=_("Größe"))
    def file_size(self, obj) -> str:
        return filesizeformat(obj.size)


@admin.register(InboxDelivery)
class InboxDeliveryAdmin(admin.ModelAdmin):
    """Messages to BundID inboxes (ZBP), read-only; a failed one can be resent."""

    list_display = [
        "created_at",
        "status",
        "user",
        "subject",
        "topic",
        "attempts",
        "provider_status",
    ]
    list_filter = ["status", "topic", "provider_status"]
    search_fields = ["subject", "topic", "reference", "provider_message_id"]
    date_hierarchy = "created_at"
    actions = ["resend", "status_refresh"]
    inlines = [InboxAttachmentInline]
    fields = [
        "user",
        "subject",
        "service",
        "reference",
        "language",
        "topic",
        "email",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "provider_message_id",
        "provider_status",
        "provider_checked_at",
        "stork_qaa_level",
        "recipient_subject",
        "mailbox_handle",
        "key",
        "idempotency_key",
        "body_text",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Erneut senden"), permissions=["change"])
    def resend(self, request, queryset):
        deliveries = list(queryset.only("pk"))
        resent = sum(inbox_resend(delivery=delivery) for delivery in deliveries)
        skipped = len(deliveries) - resent
        if resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d Nachricht wird erneut an das BundID-Postfach gesendet.",
                    "%(count)d Nachrichten werden erneut an das BundID-Postfach gesendet.",
                    resent,
                )
                % {"count": resent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d Nachricht wurde übersprungen: schon zugestellt oder gerade "
                    "im Versand.",
                    "%(count)d Nachrichten wurden übersprungen: schon zugestellt oder gerade "
                    "im Versand.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Status im Postfach abfragen"), permissions=["view"])
    def status_refresh(self, request, queryset):
        refreshed = 0
        for delivery in queryset.exclude(provider_message_id=""):
            try:
                inbox_status_refresh(delivery=delivery)
            except InboxError as error:
                self.message_user(
                    request,
                    _("Status von Nachricht %(id)s nicht abrufbar: %(error)s")
                    % {"id": delivery.pk, "error": error},
                    messages.ERROR,
                )
            else:
                refreshed += 1
        if refreshed:
            self.message_user(
                request,
                ngettext(
                    "Status von %(count)d Nachricht abgefragt.",
                    "Status von %(count)d Nachrichten abgefragt.",
                    refreshed,
                )
                % {"count": refreshed},
                messages.SUCCESS,
            )


@admin.register(OutgoingSms)
class OutgoingSmsAdmin(admin.ModelAdmin):
    """The SMS outbox as a record: read-only; a failed SMS can be resent."""

    list_display = ["created_at", "status", "to", "topic", "attempts", "gateway", "error"]
    list_filter = ["status", "topic", "language", "gateway"]
    search_fields = ["to", "topic", "gateway_message_id"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = [
        "to",
        "body",
        "language",
        "topic",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "gateway",
        "gateway_message_id",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("Letzter Fehler"))
    def error(self, obj) -> str:
        return obj.last_error[:120]

    @admin.action(description=_("Erneut senden"), permissions=["change"])
    def resend(self, request, queryset):
        messages_ = list(queryset.only("pk"))
        resent = sum(sms_resend(sms=sms) for sms in messages_)
        skipped = len(messages_) - resent
        if resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d SMS wird erneut gesendet.",
                    "%(count)d SMS werden erneut gesendet.",
                    resent,
                )
                % {"count": resent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d SMS wurde übersprungen: schon gesendet oder gerade im Versand.",
                    "%(count)d SMS wurden übersprungen: schon gesendet oder gerade im Versand.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
