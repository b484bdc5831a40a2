import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from .models import Category, LifeSituation, RequiredDocument, Service, ServiceChannel
from .services import catalog_export, catalog_import


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

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            return redirect("admin:index")
        problems = []
        posted = request.method == "POST"
        form = CatalogImportForm(
            request.POST if posted else None, request.FILES if posted else None
        )
        if posted and form.is_valid():
            try:
                data = json.load(form.cleaned_data["file"])
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                problems = [_("Die Datei ist kein gültiges JSON: %(error)s") % {"error": error}]
            else:
                result = catalog_import(data=data)
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
