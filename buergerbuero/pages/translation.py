from modeltranslation.translator import TranslationOptions, register

from .models import Page, SignLanguageVideo


@register(Page)
class PageTranslation(TranslationOptions):
    fields = ("title", "body")
    required_languages = {"de": ("title", "body")}


@register(SignLanguageVideo)
class SignLanguageVideoTranslation(TranslationOptions):
    fields = ("title", "description")
