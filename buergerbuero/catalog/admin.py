import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from .models import Category, LifeSituation, RequiredDocument, Service, ServiceChannel
from .services import catalog_export, catalog_import_json


class RequiredDocumentInline(TranslationTabularInline):
    model = RequiredDocument
    extra = 0


class ServiceChannelInline(admin.TabularInline):
    model = ServiceChannel
    extra = 0


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Katalogdatei (JSON)"),
        help_text=gettext_lazy(
            "Format buergerbuero.catalog/1; nichts wird importiert, solange ein Fehler besteht."
        ),
    )


@admin.register(Service)
class ServiceAdmin(TranslationAdmin):
    list_display = ["name", "slug", "department", "trust_level", "popular", "updated_at"]
    list_filter = ["department", "trust_level", "popular", "categories", "life_situations"]
    search_fields = ["name_de", "name_en", "slug", "keywords_de", "leika_key"]
    prepopulated_fields = {"slug": ["name_de"]}
    filter_horizontal = ["categories", "life_situations"]
    inlines = [ServiceChannelInline, RequiredDocumentInline]
    change_list_template = "admin/catalog/service/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="catalog_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="catalog_export"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        response = HttpResponse(
            json.dumps(catalog_export(), ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="leistungskatalog.json"'
        return response

    # An import upserts departments and topics and replaces documents and channels too.
    IMPORT_PERMISSIONS = [
        f"{app}.{action}_{model}"
        for app, model in [
            ("catalog", "service"),
            ("catalog", "category"),
            ("catalog", "lifesituation"),
            ("catalog", "requireddocument"),
            ("catalog", "servicechannel"),
            ("organisation", "department"),
        ]
        for action in ("add", "change", "delete")
    ]

    def import_view(self, request):
        if not request.user.has_perms(self.IMPORT_PERMISSIONS):
            raise PermissionDenied
        problems = []
        posted = request.method == "POST"
        form = CatalogImportForm(
            request.POST if posted else None, request.FILES if posted else None
        )
        if posted and form.is_valid():
            result = catalog_import_json(content=form.cleaned_data["file"].read())
            if result.ok:
                messages.success(
                    request,
                    _("Katalog importiert: %(created)d neu, %(updated)d aktualisiert.")
                    % {"created": result.created, "updated": result.updated},
                )
                return redirect("admin:catalog_service_changelist")
            problems = [str(problem) for problem in result.problems]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Katalog importieren"),
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
        }
        return render(request, "admin/catalog/service/import.html", context)


@admin.register(Category)
class CategoryAdmin(TranslationAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name_de"]}


@admin.register(LifeSituation)
class LifeSituationAdmin(TranslationAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name_de"]}
