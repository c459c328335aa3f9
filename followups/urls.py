"""Family and health staff pages of follow-ups (namespace "followups")."""

from django.urls import path

from . import views

app_name = "followups"

urlpatterns = [
    path("q/<str:token>/", views.answer, name="answer"),
    path("q/<str:token>/thanks/", views.thanks, name="thanks"),
    path("talk/", views.talk, name="talk"),
    path("talk/<str:token>/", views.talk, name="talk_link"),  # from LINE: exchanged for a session
    path("staff/followups/", views.cases, name="cases"),
    path("staff/followups/<int:pk>/", views.case, name="case"),
    path("staff/followups/<int:pk>/update/", views.update, name="update"),
    path("staff/followups/export.csv", views.export, name="export"),
    path("staff/followups/import/", views.import_file, name="import"),
]
