from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UrgentNoticesConfig(AppConfig):
    name = "urgent_notices"
    verbose_name = _("緊急のお知らせ")

    def ready(self) -> None:
        from delivery.kinds import register_kind

        from .messages import KIND, UrgentNoticeTexts

        register_kind(KIND, UrgentNoticeTexts)
