"""Admin screens: form definitions (edit as JSON, import, export), cases and the audit
trail read-only. Caseworkers work in the back office (/sachbearbeitung/), not here."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .models import Application, AuditEntry, Case, FormDefinition
from .services import DefinitionImportError, definition_export, definition_import


class DefinitionForm(forms.ModelForm):
    """Saving never edits a version: a changed document becomes the next version."""

    document = forms.JSONField(
        label=_("Formulardefinition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false"}),
        help_text=_("Format: docs/form-definitions.md. Beim Speichern entsteht eine neue Version."),
    )

    class Meta:
        model = FormDefinition
        fields = ["document"]

    def clean_document(self):
        document = self.cleaned_data["document"]
        if not isinstance(document, dict):
            raise forms.ValidationError(_("Die Definition muss ein JSON-Objekt sein."))
        from .definition import parse_definition

        try:
            parse_definition(document)
        except Exception as error:  # pydantic lists every problem
            raise forms.ValidationError(str(error)) from None
        return document


class ImportForm(forms.Form):
    file = forms.FileField(label=_("JSON-Datei"))


@admin.register(FormDefinition)
class FormDefinitionAdmin(admin.ModelAdmin):
    form = DefinitionForm
    list_display = ["service", "version", "is_active", "created_at", "created_by"]
    list_filter = ["is_active", "service__department"]
    search_fields = ["service__slug", "service__name"]
    actions = ["export_json"]
    change_list_template = "admin/applications/formdefinition/change_list.html"

    def save_model(self, request, obj, form, change):
        try:
            definition, created = definition_import(
                form.cleaned_data["document"], user=request.user
            )
        except DefinitionImportError as error:
            messages.error(request, "; ".join(error.problems))
            return
        obj.pk = definition.pk
        if created:
            messages.success(
                request, _("Als Version %(v)s gespeichert.") % {"v": definition.version}
            )
        else:
            messages.info(request, _("Keine Änderung: die aktive Version bleibt."))

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="forms_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                data = json.loads(form.cleaned_data["file"].read().decode("utf-8"))
                definition, created = definition_import(data, user=request.user)
            except (UnicodeDecodeError, ValueError):
                form.add_error("file", _("Die Datei ist kein gültiges JSON (UTF-8)."))
            except DefinitionImportError as error:
                for problem in error.problems:
                    form.add_error("file", problem)
            else:
                text = (
                    _("%(slug)s: Version %(v)s gespeichert.")
                    if created
                    else _("%(slug)s: unverändert.")
                )
                messages.success(
                    request, text % {"slug": definition.service.slug, "v": definition.version}
                )
                return redirect("admin:applications_formdefinition_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Formular importieren"),
        }
        return render(request, "admin/applications/formdefinition/import.html", context)

    @admin.action(description=_("Als JSON exportieren"))
    def export_json(self, request, queryset):
        documents = [definition_export(d) for d in queryset.select_related("service")]
        payload = documents[0] if len(documents) == 1 else documents
        response = HttpResponse(
            json.dumps(payload, ensure_ascii=False, indent=2), content_type="application/json"
        )
        name = documents[0]["service"] if len(documents) == 1 else "formulare"
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Overview for administrators; no personal data beyond the applicant's name."""

    list_display = ["reference", "service", "department", "status", "assigned_to", "created_at"]
    list_filter = ["status", "department"]
    search_fields = ["reference"]
    fields = [
        "reference",
        "service",
        "department",
        "status",
        "assigned_to",
        "created_at",
        "retain_until",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "case_reference", "detail"]
    list_filter = ["action"]
    search_fields = ["case_reference", "actor_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["public_id", "service", "status", "updated_at", "expires_at"]
    list_filter = ["status"]
    fields = [
        "public_id",
        "service",
        "definition",
        "status",
        "created_at",
        "updated_at",
        "expires_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
