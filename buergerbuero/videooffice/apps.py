from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoOfficeConfig(AppConfig):
    name = "buergerbuero.videooffice"
    label = "videooffice"
    verbose_name = _("Virtuelle Ämter (Video-Sprechstunde)")

    def ready(self) -> None:
        from buergerbuero.catalog.next_steps import register_next_step

        from . import (
            signals,  # noqa: F401
            turn,  # noqa: F401  (registers the STUN/TURN system check)
        )
        from .next_step import video_office_url_for

        # Service pages with the video channel lead to their office.
        register_next_step("video", video_office_url_for)
