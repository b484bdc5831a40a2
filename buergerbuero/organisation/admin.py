from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from .models import CentreClosure, CustomerCentre, Department, OpeningHours


@admin.register(Department)
class DepartmentAdmin(TranslationAdmin):
    list_display = ["name", "email", "phone"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name_de"]}


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class CentreClosureInline(admin.TabularInline):
    model = CentreClosure
    extra = 0


@admin.register(CustomerCentre)
class CustomerCentreAdmin(TranslationAdmin):
    list_display = ["name", "kind", "district", "street", "postcode"]
    list_filter = ["kind"]
    search_fields = ["name", "district"]
    filter_horizontal = ["staff"]
    inlines = [OpeningHoursInline, CentreClosureInline]
