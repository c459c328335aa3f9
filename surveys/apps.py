from django.apps import AppConfig


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "surveys"
    verbose_name = "読者アンケート"

    def ready(self) -> None:
        from delivery.kinds import register_kind
        from subscribers import events

        from . import personal_data, services
        from .messages import SurveyInvitations
        from .models import MESSAGE_KIND

        register_kind(MESSAGE_KIND, SurveyInvitations)
        personal_data.register()
        events.loss_reported.connect(
            services.cancel_invitations_after_loss, dispatch_uid="surveys.loss"
        )
