import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")

app = Celery("kizuna")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Worker steps are added by the apps that own them, from their AppConfig.ready() (the workers'
# heartbeat: operations.apps): a worker sets Django up before it reads app.steps.
