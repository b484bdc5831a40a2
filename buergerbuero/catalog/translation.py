from modeltranslation.translator import TranslationOptions, register

from .models import Category, LifeSituation, RequiredDocument, Service


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(LifeSituation)
class LifeSituationTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Service)
class ServiceTranslation(TranslationOptions):
    fields = (
        "name",
        "teaser",
        "description",
        "easy_language",
        "fees",
        "prerequisites",
        "legal_basis",
        "processing_time",
        "keywords",
        "questions",
    )
    required_languages = {"de": ("name", "teaser", "description")}


@register(RequiredDocument)
class RequiredDocumentTranslation(TranslationOptions):
    fields = ("name",)
