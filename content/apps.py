from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("配信コンテンツ")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import published, signals
        from .models import StageMessage

        for signal in (post_save, post_delete, signals.texts_written):
            signal.connect(
                published.texts_changed, sender=StageMessage, dispatch_uid="content.published"
            )
