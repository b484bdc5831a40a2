from modeltranslation.translator import TranslationOptions, register

from .models import CustomerCentre, Department


@register(Department)
class DepartmentTranslation(TranslationOptions):
    fields = ("name",)


@register(CustomerCentre)
class CustomerCentreTranslation(TranslationOptions):
    fields = ("accessibility",)
