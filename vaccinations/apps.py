from django.apps import AppConfig


class VaccinationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "vaccinations"
    verbose_name = "予防接種"

    def ready(self) -> None:
        from delivery.kinds import register_kind
        from delivery.planner import register_plan_step
        from subscribers import line_chat

        from . import line, personal_data, planning
        from .messages import VaccineReminders
        from .models import MESSAGE_KIND

        register_kind(MESSAGE_KIND, VaccineReminders, part_of_day=10)
        register_plan_step(MESSAGE_KIND, planning.plan_reminders)
        line_chat.register_text_answer(line.answer)
        personal_data.register()
