from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UrgentNoticesConfig(AppConfig):
    name = "urgent_notices"
    verbose_name = _("緊急のお知らせ")

    def ready(self) -> None:
        from delivery.compose import register_kind

        from .messages import UrgentNoticeTexts

        register_kind("urgent", UrgentNoticeTexts)
