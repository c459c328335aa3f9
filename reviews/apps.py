from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = _("医療監修")

    def ready(self) -> None:
        from subscribers.line_chat import register_postback_answer

        from . import line_feedback, signals

        signals.connect()
        register_postback_answer(line_feedback.answer)
