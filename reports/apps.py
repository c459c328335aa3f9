from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "事業報告と調達書類"

    def ready(self) -> None:
        from subscribers import erasure

        from .erasure import count_before_erasure

        erasure.register_step("reports", count_before_erasure)
