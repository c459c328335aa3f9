from django.apps import AppConfig


class CheckupsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checkups"
    verbose_name = "乳幼児健診"

    def ready(self) -> None:
        from delivery.kinds import register_kind
        from delivery.planner import register_plan_step

        from . import messages, personal_data, planning
        from .models import CORRECTION_KIND, EVE_KIND, INVITATION_KIND, REMINDER_KIND

        register_kind(REMINDER_KIND, messages.CheckReminders, part_of_day=11)
        register_kind(INVITATION_KIND, messages.SessionInvitations)
        register_kind(EVE_KIND, messages.SessionEveReminders)
        register_kind(CORRECTION_KIND, messages.SessionCorrections)
        register_plan_step("checkups", planning.plan_checkups)
        personal_data.register()
