from modeltranslation.translator import TranslationOptions, register

from .models import VideoOffice


@register(VideoOffice)
class VideoOfficeTranslation(TranslationOptions):
    fields = ("name", "description")
