from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdoptionConfig(AppConfig):
    name = "adoption"
    verbose_name = _("導入・移行")

    def ready(self) -> None:
        from delivery.kinds import register_kind
        from subscribers import line_chat

        from . import moves, personal_data
        from .messages import IMPORT_KIND, MOVE_KIND, ChannelMoveTexts, ImportWelcomeTexts

        register_kind(IMPORT_KIND, ImportWelcomeTexts)
        register_kind(MOVE_KIND, ChannelMoveTexts)
        line_chat.register_text_answer(moves.answer_link_code)
        personal_data.register()
