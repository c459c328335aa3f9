from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = _("医療監修")

    def ready(self) -> None:
        from delivery.messages import FEEDBACK_POSTBACK
        from subscribers.line_chat import register_postback_answer

        from . import line_feedback, personal_data, signals

        signals.connect()
        personal_data.register()
        register_postback_answer(FEEDBACK_POSTBACK, line_feedback.answer)
