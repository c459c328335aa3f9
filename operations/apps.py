from django.apps import AppConfig


class OperationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"
    verbose_name = "運用"

    def ready(self) -> None:
        from kizuna.celery import app

        from .heartbeat import WorkerHeartbeat

        # Every worker records that it is alive. A worker sets Django up (and so calls this)
        # before it builds its steps from app.steps.
        app.steps["worker"].add(WorkerHeartbeat)
