from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("workers/", views.workers, name="workers"),
    path("failures/", views.failures, name="failures"),
    path("retry/", views.retry, name="retry"),
    path("cancel/", views.cancel, name="cancel"),
    path(
        "municipalities/<int:pk>/pause/",
        views.pause_or_resume,
        {"kind": "pause"},
        name="pause",
    ),
    path(
        "municipalities/<int:pk>/resume/",
        views.pause_or_resume,
        {"kind": "resume"},
        name="resume",
    ),
    path("actions/", views.actions, name="actions"),
    path("audit/", views.audit_log, name="audit"),
    path("audit.csv", views.audit_csv, name="audit_csv"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("enrolment/", views.enrolment_links, name="enrolment_links"),
]
