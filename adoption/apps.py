from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdoptionConfig(AppConfig):
    name = "adoption"
    verbose_name = _("導入・移行")

    def ready(self) -> None:
        from delivery.compose import register_kind

        from .messages import ChannelMoveTexts, ImportWelcomeTexts

        register_kind("import", ImportWelcomeTexts)
        register_kind("move", ChannelMoveTexts)
