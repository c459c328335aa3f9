from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "followups"
    verbose_name = "伴走型相談支援"

    def ready(self) -> None:
        from delivery.kinds import register_kind
        from delivery.planner import register_plan_step
        from kizuna.report_sections import register_section
        from subscribers import events, line_chat

        from . import line, personal_data, report, services
        from .messages import PART_RANK, QuestionnaireTexts
        from .models import MESSAGE_KIND
        from .planning import plan_questionnaires

        register_kind(MESSAGE_KIND, QuestionnaireTexts, part_of_day=PART_RANK)
        register_plan_step(MESSAGE_KIND, plan_questionnaires)
        personal_data.register()
        events.loss_reported.connect(services.stop_after_loss, dispatch_uid="followups.loss")
        line_chat.register_text_answer(line.talk_link_answer)
        register_section(report.SECTION)
