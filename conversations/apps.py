from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("LINEトークでの手続き")

    def ready(self) -> None:
        from subscribers import line_chat

        from . import chat

        line_chat.register_chat(chat.CHAT)
