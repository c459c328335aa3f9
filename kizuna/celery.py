import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")

app = Celery("kizuna")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _add_worker_heartbeat() -> None:
    # Imported late: the step reads Django settings, which need the app above first.
    from operations.heartbeat import WorkerHeartbeat

    app.steps["worker"].add(WorkerHeartbeat)


_add_worker_heartbeat()
